// For the CDS Hooks tests: key pairs made with OpenSSL in the test, their public JWKs, and JWTs signed with them
// (RFC 7515 compact serialisation; ECDSA signatures as R || S, RFC 7518 section 3.4), written independently of the
// verifier under test.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gg::gateway::testing {

inline std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
  }
  if (bytes.size() - i == 1) {
    const auto n = static_cast<unsigned char>(bytes[i]) << 16;
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63]};
  } else if (bytes.size() - i == 2) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63]};
  }
  return out;
}

// A key pair: "EC" on P-384 (ES384) or "RSA" 2048 bits (RS384).
class TestKey {
 public:
  static TestKey ec384(std::string kid) {
    return TestKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"), std::move(kid), "ES384");
  }
  static TestKey rsa(std::string kid) {
    return TestKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)), std::move(kid), "RS384");
  }

  const std::string& kid() const { return kid_; }
  const std::string& alg() const { return alg_; }

  // The public JWK (RFC 7518 section 6.2.1 / 6.3.1).
  std::string public_jwk() const {
    if (alg_ == "ES384") {
      return R"({"kty":"EC","crv":"P-384","use":"sig","alg":"ES384","kid":")" + kid_ + R"(","x":")" +
             base64url(padded(OSSL_PKEY_PARAM_EC_PUB_X, 48)) + R"(","y":")" +
             base64url(padded(OSSL_PKEY_PARAM_EC_PUB_Y, 48)) + R"("})";
    }
    return R"({"kty":"RSA","use":"sig","alg":"RS384","kid":")" + kid_ + R"(","n":")" +
           base64url(padded(OSSL_PKEY_PARAM_RSA_N, 0)) + R"(","e":")" +
           base64url(padded(OSSL_PKEY_PARAM_RSA_E, 0)) + R"("})";
  }

  // header.payload.signature, the header {"alg", "typ": "JWT", "kid"} unless `header` is given.
  std::string sign(std::string_view payload, std::string header = {}) const {
    if (header.empty()) header = R"({"alg":")" + alg_ + R"(","typ":"JWT","kid":")" + kid_ + R"("})";
    const std::string input = base64url(header) + "." + base64url(payload);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t size = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) != 1) {
      throw std::runtime_error("sign");
    }
    std::string signature(size, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      throw std::runtime_error("sign");
    }
    signature.resize(size);
    if (alg_ == "ES384") signature = raw_ecdsa(signature);
    return input + "." + base64url(signature);
  }

 private:
  TestKey(EVP_PKEY* key, std::string kid, std::string alg)
      : key_(key, EVP_PKEY_free), kid_(std::move(kid)), alg_(std::move(alg)) {
    if (key == nullptr) throw std::runtime_error("keygen");
  }

  std::string padded(const char* param, int length) const {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key_.get(), param, &bn) != 1) throw std::runtime_error(param);
    std::string bytes(static_cast<std::size_t>(length > 0 ? length : BN_num_bytes(bn)), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    BN_free(bn);
    return bytes;
  }

  // DER ECDSA-Sig-Value to the JWS form R || S, 48 bytes each for P-384.
  static std::string raw_ecdsa(const std::string& der) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    if (sig == nullptr) throw std::runtime_error("ecdsa der");
    std::string raw(96, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 48);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 48, 48);
    ECDSA_SIG_free(sig);
    return raw;
  }

  std::shared_ptr<EVP_PKEY> key_;
  std::string kid_;
  std::string alg_;
};

inline std::string jwks_of(std::initializer_list<const TestKey*> keys) {
  std::string json = R"({"keys":[)";
  bool first = true;
  for (const auto* key : keys) {
    if (!first) json += ",";
    first = false;
    json += key->public_jwk();
  }
  return json + "]}";
}

// A CDS Client's authentication JWT payload ("Trusting CDS Clients").
inline std::string client_claims(std::string_view iss, std::string_view aud, long long iat, long long exp,
                                 std::string_view jti) {
  return R"({"iss":")" + std::string(iss) + R"(","aud":")" + std::string(aud) + R"(","iat":)" +
         std::to_string(iat) + R"(,"exp":)" + std::to_string(exp) + R"(,"jti":")" + std::string(jti) + R"("})";
}

}  // namespace gg::gateway::testing
