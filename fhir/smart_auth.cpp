#include "fhir/smart_auth.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>
#include <utility>

#include "fhir/url.hpp"

namespace gg::fhir {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

// RFC 7518 section 3.3: an RSA key for RS* is at least 2048 bits.
constexpr int kMinRsaBits = 2048;
// RFC 7518 section 3.4: ES384's R and S are 48 bytes each.
constexpr int kEs384Coordinate = 48;
// A longer expires_in is taken as this (about three years): the token is then kept until the server refuses it.
constexpr std::int64_t kLongestLifetime = 100'000'000;

EVP_PKEY* pkey(const std::shared_ptr<void>& key) {
  return static_cast<EVP_PKEY*>(key.get());
}

// OpenSSL signs ECDSA as a DER SEQUENCE of two INTEGERs; JWS wants R || S at fixed length.
std::string ecdsa_jose(const std::string& der) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  const EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &bytes, static_cast<long>(der.size())));
  if (!sig) throw std::runtime_error("ES384: the signature is no DER ECDSA-Sig-Value");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string jose(static_cast<std::size_t>(2 * kEs384Coordinate), '\0');
  auto* out = reinterpret_cast<unsigned char*>(jose.data());
  if (BN_bn2binpad(r, out, kEs384Coordinate) != kEs384Coordinate ||
      BN_bn2binpad(s, out + kEs384Coordinate, kEs384Coordinate) != kEs384Coordinate) {
    throw std::runtime_error("ES384: R or S is longer than 48 bytes");
  }
  return jose;
}

template <typename Fill>
std::string json_object(Fill fill) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  fill(writer);
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

void member(rapidjson::Writer<rapidjson::StringBuffer>& writer, const char* name, std::string_view value) {
  writer.Key(name);
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

using Object = boost::system::result<simdjson::dom::object, std::string>;

Object parse_object(simdjson::dom::parser& parser, const simdjson::padded_string& padded) {
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS)
    return Object(boost::system::in_place_error, "not JSON");
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return Object(boost::system::in_place_error, "not a JSON object");
  }
  return object;
}

// Whether the array member `name` is absent, or lists `wanted`.
bool absent_or_lists(simdjson::dom::object object, const char* name, std::string_view wanted) {
  simdjson::dom::array array;
  if (object[name].get_array().get(array) != simdjson::SUCCESS) return true;
  return std::any_of(array.begin(), array.end(), [&](simdjson::dom::element item) {
    std::string_view text;
    return item.get_string().get(text) == simdjson::SUCCESS && text == wanted;
  });
}

std::string printable(std::string_view text, std::size_t limit) {
  std::string out;
  for (const char ch : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
  }
  return out;
}

}  // namespace

boost::system::result<AssertionSigner, std::string> AssertionSigner::from_pem(std::string_view pem) {
  using Result = boost::system::result<AssertionSigner, std::string>;
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Result(boost::system::in_place_error, "cannot read the key");
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) {
    return Result(boost::system::in_place_error, "not a PEM private key (unencrypted PKCS#8, RSA or EC)");
  }
  std::shared_ptr<void> key(raw, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
  if (EVP_PKEY_is_a(raw, "RSA") == 1) {
    if (EVP_PKEY_get_bits(raw) < kMinRsaBits) {
      return Result(boost::system::in_place_error, "an RSA key of fewer than 2048 bits");
    }
    return AssertionSigner(std::move(key), "RS384");
  }
  if (EVP_PKEY_is_a(raw, "EC") == 1) {
    std::array<char, 64> curve{};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_GROUP_NAME, curve.data(), curve.size(), &length) !=
            1 ||
        std::string_view(curve.data(), length) != "secp384r1") {
      return Result(boost::system::in_place_error, "an EC key not on P-384 (ES384 signs with P-384 only)");
    }
    return AssertionSigner(std::move(key), "ES384");
  }
  return Result(boost::system::in_place_error, "neither an RSA nor an EC key");
}

AssertionSigner::AssertionSigner(std::shared_ptr<void> key, std::string algorithm)
    : key_(std::move(key)), algorithm_(std::move(algorithm)) {}

std::string AssertionSigner::sign(std::string_view kid, std::string_view claims) const {
  const std::string header = json_object([&](auto& writer) {
    member(writer, "alg", algorithm_);
    member(writer, "typ", "JWT");
    member(writer, "kid", kid);
  });
  std::string signing_input = base64(header, true) + "." + base64(claims, true);

  const MdCtxPtr context(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha384(), nullptr, pkey(key_)) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    throw std::runtime_error(algorithm_ + ": cannot sign");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1) {
    throw std::runtime_error(algorithm_ + ": cannot sign");
  }
  signature.resize(size);
  if (algorithm_ == "ES384") signature = ecdsa_jose(signature);
  return signing_input + "." + base64(signature, true);
}

std::string assertion_claims_json(const AssertionClaims& claims) {
  return json_object([&](auto& writer) {
    member(writer, "iss", claims.client_id);
    member(writer, "sub", claims.client_id);
    member(writer, "aud", claims.audience);
    writer.Key("exp");
    writer.Int64(claims.expires_at);
    member(writer, "jti", claims.jti);
  });
}

std::string random_jti() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string jti;
  for (const unsigned char byte : bytes) {
    jti += digits[byte >> 4U];
    jti += digits[byte & 0xfU];
  }
  return jti;
}

std::string token_request_body(std::string_view scope, std::string_view assertion) {
  std::string body = "grant_type=client_credentials";
  if (!scope.empty()) body += "&scope=" + percent_encode(scope);
  body += "&client_assertion_type=" + percent_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  body += "&client_assertion=" + percent_encode(assertion);
  return body;
}

boost::system::result<std::string, std::string> smart_token_endpoint(std::string_view json,
                                                                     std::string_view algorithm) {
  using Result = boost::system::result<std::string, std::string>;
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  auto object = parse_object(parser, padded);
  if (!object) return Result(boost::system::in_place_error, object.error());
  std::string_view endpoint;
  if ((*object)["token_endpoint"].get_string().get(endpoint) != simdjson::SUCCESS || endpoint.empty()) {
    return Result(boost::system::in_place_error, "no token_endpoint");
  }
  if (!absent_or_lists(*object, "token_endpoint_auth_methods_supported", "private_key_jwt")) {
    return Result(boost::system::in_place_error, "token_endpoint_auth_methods_supported lacks private_key_jwt");
  }
  if (!absent_or_lists(*object, "token_endpoint_auth_signing_alg_values_supported", algorithm)) {
    return Result(boost::system::in_place_error,
                  "token_endpoint_auth_signing_alg_values_supported lacks " + std::string(algorithm));
  }
  return Result(boost::system::in_place_value, std::string(endpoint));
}

boost::system::result<TokenGrant, std::string> parse_token_response(std::string_view json) {
  using Result = boost::system::result<TokenGrant, std::string>;
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  auto object = parse_object(parser, padded);
  if (!object) return Result(boost::system::in_place_error, object.error());
  TokenGrant grant;
  std::string_view text;
  if ((*object)["access_token"].get_string().get(text) != simdjson::SUCCESS || text.empty()) {
    return Result(boost::system::in_place_error, "no access_token");
  }
  if (!std::all_of(text.begin(), text.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; })) {
    return Result(boost::system::in_place_error, "the access_token is not printable ASCII");
  }
  grant.access_token = text;
  std::string_view type;
  if ((*object)["token_type"].get_string().get(type) != simdjson::SUCCESS ||
      !std::equal(type.begin(), type.end(), std::string_view("bearer").begin(), std::string_view("bearer").end(),
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
    return Result(boost::system::in_place_error, "token_type is not bearer");
  }
  simdjson::dom::element expires;
  if ((*object)["expires_in"].get(expires) == simdjson::SUCCESS) {
    std::int64_t seconds = 0;
    double fractional = 0;
    if (expires.get_int64().get(seconds) != simdjson::SUCCESS) {
      if (expires.get_double().get(fractional) != simdjson::SUCCESS) {
        return Result(boost::system::in_place_error, "expires_in is not a number");
      }
      if (!(fractional >= 1 && fractional < kLongestLifetime)) fractional = fractional < 1 ? 0 : kLongestLifetime;
      seconds = static_cast<std::int64_t>(fractional);
    }
    if (seconds <= 0) return Result(boost::system::in_place_error, "expires_in is not positive");
    grant.expires_in = std::chrono::seconds(std::min<std::int64_t>(seconds, kLongestLifetime));
  }
  if ((*object)["scope"].get_string().get(text) == simdjson::SUCCESS) grant.scope = text;
  return grant;
}

std::chrono::seconds renew_after(std::chrono::seconds expires_in, std::chrono::seconds margin) {
  return expires_in - std::min(margin, expires_in / 2);
}

std::string token_error_text(std::string_view json) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  auto object = parse_object(parser, padded);
  if (!object) return {};
  std::string_view error;
  if ((*object)["error"].get_string().get(error) != simdjson::SUCCESS || error.empty()) return {};
  std::string text(error);
  std::string_view description;
  if ((*object)["error_description"].get_string().get(description) == simdjson::SUCCESS && !description.empty()) {
    text += ": ";
    text += description;
  }
  constexpr std::size_t limit = 300;
  return printable(text, limit);
}

}  // namespace gg::fhir
