#include "gateway/alerts/webhook_signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

#include "fhir/url.hpp"

namespace gg::gateway {
namespace {

using Decoded = boost::system::result<std::string, std::string>;

// result<string, string> cannot tell a value from an error by type: say which, in place.
Decoded failure(std::string reason) {
  return Decoded(boost::system::in_place_error, std::move(reason));
}

constexpr std::string_view secret_prefix = "whsec_";
// 32 bytes: the middle of the spec's 24 to 64 and the HMAC-SHA256 block's natural key size.
constexpr std::size_t secret_bytes = 32;
// 18 bytes (144 bits) of the hash: collisions are out of reach, and 18 is a multiple of 3, so base64 needs no
// padding.
constexpr std::size_t webhook_id_bytes = 18;

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string base64(const unsigned char* data, std::size_t size) {
  return fhir::base64(std::string_view(reinterpret_cast<const char*>(data), size));
}

}  // namespace

std::string new_webhook_secret() {
  std::array<unsigned char, secret_bytes> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("the system random generator failed to make a webhook secret");
  }
  return std::string(secret_prefix) + base64(key.data(), key.size());
}

boost::system::result<std::string, std::string> secret_key(std::string_view whsec) {
  if (!whsec.starts_with(secret_prefix)) return failure("a webhook secret starts with whsec_");
  auto key = fhir::base64_decode(whsec.substr(secret_prefix.size()));
  if (!key) return failure("the webhook secret after whsec_ is not valid base64");
  if (key->empty()) return failure("the webhook secret is empty after whsec_");
  return Decoded(boost::system::in_place_value, std::move(*key));
}

std::string sign(std::string_view key_bytes, std::string_view msg_id, std::int64_t timestamp_s,
                 std::string_view body) {
  std::string content;
  const std::string timestamp = std::to_string(timestamp_s);
  content.reserve(msg_id.size() + timestamp.size() + body.size() + 2);
  content.append(msg_id).append(".").append(timestamp).append(".").append(body);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key_bytes.data(), static_cast<int>(key_bytes.size()), bytes_of(content), content.size(),
       mac.data(), &mac_size);
  return "v1," + base64(mac.data(), mac_size);
}

std::string signature_header(const std::vector<std::string>& signatures) {
  std::string header;
  for (const auto& signature : signatures) {
    if (!header.empty()) header += ' ';
    header += signature;
  }
  return header;
}

std::string webhook_id(std::string_view alert_key) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(bytes_of(alert_key), alert_key.size(), digest.data());
  std::string id = base64(digest.data(), webhook_id_bytes);
  // base64url (RFC 4648 section 5): ids travel in URLs (replay by webhook-id), where '+' and '/' would need
  // escaping.
  std::replace(id.begin(), id.end(), '+', '-');
  std::replace(id.begin(), id.end(), '/', '_');
  return "msg_" + id;
}

}  // namespace gg::gateway
