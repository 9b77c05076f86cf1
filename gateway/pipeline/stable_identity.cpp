#include "gateway/pipeline/stable_identity.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace gg::gateway {
namespace {

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 || length != 32) {
    throw std::runtime_error("SHA-256 unavailable");  // OpenSSL misconfigured: a start-up class failure
  }
  return digest;
}

std::string hex(const unsigned char* bytes, std::size_t count) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

StableIdentity stable_identity(std::string_view key) {
  auto digest = sha256(key);
  StableIdentity identity;
  identity.identifier_value = hex(digest.data(), 16);
  // RFC 9562 UUID version 8 (custom): the hash's first 16 bytes with the version and variant bits set.
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x80);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
  const std::string h = hex(digest.data(), 16);
  identity.full_url = "urn:uuid:" + h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" +
                      h.substr(16, 4) + "-" + h.substr(20, 12);
  return identity;
}

}  // namespace gg::gateway
