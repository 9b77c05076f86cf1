#include "gateway/pipeline/stable_identity.hpp"

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace gg::gateway {
namespace {

// SHA-256 fetched once for the process. EVP_sha256() in EVP_Digest makes OpenSSL 3 look the algorithm up in its
// provider on every call (an implicit fetch), which cost as much as the hash itself at several identities per
// patient (docs/performance.md). A fetched EVP_MD may be used from any thread.
const EVP_MD* sha256_algorithm() {
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> algorithm(EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                                                         &EVP_MD_free);
  if (!algorithm) throw std::runtime_error("SHA-256 unavailable");  // OpenSSL misconfigured: a start-up failure
  return algorithm.get();
}

// SHA-256 of `first` followed by `second`. One digest context per thread, reset for every hash: EVP_Digest would
// allocate and free a context each time, and a patient's write-back hashes a dozen identities.
std::array<unsigned char, 32> sha256(std::string_view first, std::string_view second) {
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                                     &EVP_MD_CTX_free);
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (!context || EVP_DigestInit_ex2(context.get(), sha256_algorithm(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), first.data(), first.size()) != 1 ||
      EVP_DigestUpdate(context.get(), second.data(), second.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1 || length != 32) {
    throw std::runtime_error("SHA-256 unavailable");
  }
  return digest;
}

constexpr char kDigits[] = "0123456789abcdef";

// Two hex digits a byte from `out` on; returns the position after them.
char* hex(const unsigned char* bytes, std::size_t count, char* out) {
  for (std::size_t i = 0; i < count; ++i) {
    *out++ = kDigits[bytes[i] >> 4];
    *out++ = kDigits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

StableIdentity stable_identity(std::string_view key) {
  return stable_identity({}, key);
}

StableIdentity stable_identity(std::string_view prefix, std::string_view key) {
  auto digest = sha256(prefix, key);
  StableIdentity identity;
  identity.identifier_value.resize(32);
  hex(digest.data(), 16, identity.identifier_value.data());
  // RFC 9562 UUID version 8 (custom): the hash's first 16 bytes with the version and variant bits set, written
  // 8-4-4-4-12.
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x80);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
  constexpr std::string_view kScheme = "urn:uuid:";
  identity.full_url.resize(kScheme.size() + 36);
  char* out = identity.full_url.data();
  out += kScheme.copy(out, kScheme.size());
  std::size_t byte = 0;
  for (const std::size_t group : {4, 2, 2, 2, 6}) {
    if (byte != 0) *out++ = '-';
    out = hex(digest.data() + byte, group, out);
    byte += group;
  }
  return identity;
}

}  // namespace gg::gateway
