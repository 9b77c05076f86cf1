// SMART Backend Services' pure parts (fhir/smart_auth.hpp): the signed client assertion, the token request, and
// reading the discovery document and the token response. The rules are those of SMART App Launch 2.x, "Backend
// Services" (https://hl7.org/fhir/smart-app-launch/backend-services.html), RFC 7515 (JWS compact form), RFC 7518
// (RS384, ES384's R || S), RFC 7523 section 2.2 and RFC 6749 sections 4.4 and 5. The whole exchange against an
// authorization server written in Python (PyJWT) is tests/integration/test_smart_auth.py.
#include "fhir/smart_auth.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace gg::fhir {
namespace {

using namespace std::chrono_literals;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey rsa_key(unsigned bits) {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
}
Pkey ec_key(const char* curve) {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

std::string private_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

std::string base64url_decode(std::string text) {
  std::replace(text.begin(), text.end(), '-', '+');
  std::replace(text.begin(), text.end(), '_', '/');
  const std::size_t padding = (4 - text.size() % 4) % 4;
  text.append(padding, '=');
  std::string bytes(text.size() / 4 * 3, '\0');
  const int size =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  bytes.resize(static_cast<std::size_t>(size) - padding);
  return bytes;
}

std::vector<std::string> split(const std::string& jws) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot = jws.find('.'); dot != std::string::npos; dot = jws.find('.', start)) {
    parts.push_back(jws.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(jws.substr(start));
  return parts;
}

// Verifies a compact JWS with `key` and SHA-384, turning ES384's R || S back into DER as OpenSSL wants it.
bool verifies(const std::string& jws, EVP_PKEY* key, bool ecdsa) {
  const auto parts = split(jws);
  if (parts.size() != 3) return false;
  const std::string input = parts[0] + "." + parts[1];
  std::string signature = base64url_decode(parts[2]);
  if (ecdsa) {
    if (signature.size() != 96) return false;
    const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 48, nullptr), BN_bin2bn(bytes + 48, 48, nullptr));
    unsigned char* der = nullptr;
    const int size = i2d_ECDSA_SIG(sig, &der);
    signature.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha384(), nullptr, key) == 1 &&
         EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

const AssertionClaims kClaims{"gradient-gateway", "https://auth.example.org/token", 1764940000,
                              "0123456789abcdef0123456789abcdef"};

TEST(SmartAssertion, RsaKeySignsRs384ThatItsPublicKeyVerifies) {
  const auto key = rsa_key(2048);
  auto signer = AssertionSigner::from_pem(private_pem(key.get()));
  ASSERT_TRUE(signer) << signer.error();
  EXPECT_EQ(signer->algorithm(), "RS384");
  const auto jws = signer->sign("key-1", assertion_claims_json(kClaims));
  const auto parts = split(jws);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(base64url_decode(parts[0]), R"({"alg":"RS384","typ":"JWT","kid":"key-1"})");
  EXPECT_EQ(base64url_decode(parts[1]), assertion_claims_json(kClaims));
  // No padding and the URL-safe alphabet (RFC 7515 section 2).
  EXPECT_EQ(jws.find_first_of("+/="), std::string::npos);
  EXPECT_TRUE(verifies(jws, key.get(), false));
  // A 2048-bit RSA signature is 256 bytes; a changed claim no longer verifies.
  EXPECT_EQ(base64url_decode(parts[2]).size(), 256u);
  auto payload = parts[1];
  payload[10] = payload[10] == 'A' ? 'B' : 'A';
  const auto forged = parts[0] + "." + payload + "." + parts[2];
  EXPECT_FALSE(verifies(forged, key.get(), false));
  EXPECT_FALSE(verifies(jws, rsa_key(2048).get(), false));
}

TEST(SmartAssertion, EcP384KeySignsEs384AsRAndSOf48BytesEach) {
  const auto key = ec_key("P-384");
  auto signer = AssertionSigner::from_pem(private_pem(key.get()));
  ASSERT_TRUE(signer) << signer.error();
  EXPECT_EQ(signer->algorithm(), "ES384");
  // ECDSA signs with a fresh nonce: every signature differs, each verifies, each is R || S (RFC 7518 section 3.4),
  // also when R or S has leading zero bytes (about 1 in 128 signatures: 200 make one likely).
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const auto jws = signer->sign("ec-1", assertion_claims_json(kClaims));
    ASSERT_TRUE(verifies(jws, key.get(), true)) << jws;
    EXPECT_EQ(base64url_decode(split(jws)[0]), R"({"alg":"ES384","typ":"JWT","kid":"ec-1"})");
    seen.insert(jws);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(SmartAssertion, RefusesKeysTheTwoAlgorithmsCannotUse) {
  EXPECT_EQ(AssertionSigner::from_pem(private_pem(rsa_key(1024).get())).error(),
            "an RSA key of fewer than 2048 bits");
  EXPECT_EQ(AssertionSigner::from_pem(private_pem(ec_key("P-256").get())).error(),
            "an EC key not on P-384 (ES384 signs with P-384 only)");
  const Pkey ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  EXPECT_EQ(AssertionSigner::from_pem(private_pem(ed25519.get())).error(), "neither an RSA nor an EC key");
  EXPECT_EQ(
      AssertionSigner::from_pem("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n").error(),
      "not a PEM private key (unencrypted PKCS#8, RSA or EC)");
  EXPECT_FALSE(AssertionSigner::from_pem(""));
}

// The Authentication JWT's claims (SMART Backend Services, "Protocol details"): iss and sub the client_id, aud the
// token endpoint, exp, and a jti of the client's own.
TEST(SmartAssertion, ClaimsAreIssSubAudExpJti) {
  EXPECT_EQ(assertion_claims_json(kClaims),
            R"({"iss":"gradient-gateway","sub":"gradient-gateway","aud":"https://auth.example.org/token",)"
            R"("exp":1764940000,"jti":"0123456789abcdef0123456789abcdef"})");
  const auto a = random_jti();
  const auto b = random_jti();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(SmartTokenRequest, IsAFormOfClientCredentialsWithTheAssertion) {
  EXPECT_EQ(token_request_body("system/*.rs system/Observation.cu", "aaa.bbb.c-_"),
            "grant_type=client_credentials&scope=system%2F%2A.rs%20system%2FObservation.cu"
            "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
            "&client_assertion=aaa.bbb.c-_");
  EXPECT_EQ(token_request_body("", "x.y.z").find("scope="), std::string::npos);
}

TEST(SmartDiscovery, TakesTheTokenEndpointWhenTheServerTakesOurMethodAndAlgorithm) {
  EXPECT_EQ(*smart_token_endpoint(R"({"token_endpoint":"https://auth.example.org/token",
      "token_endpoint_auth_methods_supported":["private_key_jwt"],
      "token_endpoint_auth_signing_alg_values_supported":["RS384","ES384"]})",
                                  "ES384"),
            "https://auth.example.org/token");
  // The lists are optional: without them the endpoint is taken as it is.
  EXPECT_EQ(*smart_token_endpoint(R"({"token_endpoint":"https://a/t"})", "RS384"), "https://a/t");
  EXPECT_EQ(smart_token_endpoint(R"({"issuer":"x"})", "RS384").error(), "no token_endpoint");
  EXPECT_EQ(smart_token_endpoint(R"({"token_endpoint":"https://a/t",
      "token_endpoint_auth_methods_supported":["client_secret_basic"]})",
                                 "RS384")
                .error(),
            "token_endpoint_auth_methods_supported lacks private_key_jwt");
  EXPECT_EQ(smart_token_endpoint(R"({"token_endpoint":"https://a/t",
      "token_endpoint_auth_signing_alg_values_supported":["RS384"]})",
                                 "ES384")
                .error(),
            "token_endpoint_auth_signing_alg_values_supported lacks ES384");
  EXPECT_EQ(smart_token_endpoint("<html>", "RS384").error(), "not JSON");
  EXPECT_EQ(smart_token_endpoint("[]", "RS384").error(), "not a JSON object");
}

TEST(SmartTokenResponse, ReadsTheBearerTokenAndItsLifetime) {
  auto grant = parse_token_response(
      R"({"access_token":"eyJ.abc.def","token_type":"bearer","expires_in":300,"scope":"system/*.rs"})");
  ASSERT_TRUE(grant) << grant.error();
  EXPECT_EQ(grant->access_token, "eyJ.abc.def");
  EXPECT_EQ(grant->expires_in, 300s);
  EXPECT_EQ(grant->scope, "system/*.rs");
  // token_type is case-insensitive (RFC 6749 section 5.1); expires_in may be absent or a decimal.
  grant = parse_token_response(R"({"access_token":"t","token_type":"Bearer","expires_in":59.9})");
  ASSERT_TRUE(grant) << grant.error();
  EXPECT_EQ(grant->expires_in, 59s);
  grant = parse_token_response(R"({"access_token":"t","token_type":"BEARER"})");
  ASSERT_TRUE(grant);
  EXPECT_FALSE(grant->expires_in);
  EXPECT_EQ(parse_token_response(R"({"access_token":"t","token_type":"bearer","expires_in":1e30})")->expires_in,
            std::chrono::seconds(100'000'000));

  EXPECT_EQ(parse_token_response(R"({"token_type":"bearer"})").error(), "no access_token");
  EXPECT_EQ(parse_token_response(R"({"access_token":"t","token_type":"mac"})").error(),
            "token_type is not bearer");
  EXPECT_EQ(parse_token_response(R"({"access_token":"t"})").error(), "token_type is not bearer");
  EXPECT_EQ(parse_token_response(R"({"access_token":"a b","token_type":"bearer"})").error(),
            "the access_token is not printable ASCII");
  EXPECT_EQ(parse_token_response(R"({"access_token":"t\r\nX: 1","token_type":"bearer"})").error(),
            "the access_token is not printable ASCII");
  EXPECT_EQ(parse_token_response(R"({"access_token":"t","token_type":"bearer","expires_in":0})").error(),
            "expires_in is not positive");
  EXPECT_EQ(parse_token_response(R"({"access_token":"t","token_type":"bearer","expires_in":"300"})").error(),
            "expires_in is not a number");
}

TEST(SmartTokenResponse, RenewsAMarginBeforeExpiryAndAtLatestHalfway) {
  EXPECT_EQ(renew_after(300s, 30s), 270s);
  EXPECT_EQ(renew_after(40s, 30s), 20s);
  EXPECT_EQ(renew_after(5s, 30s), 3s);  // 5 - min(30, 5 / 2 = 2)
  EXPECT_EQ(renew_after(1s, 30s), 1s);
}

TEST(SmartTokenResponse, ErrorsAreTheirCodeAndDescriptionInPrintableText) {
  EXPECT_EQ(token_error_text(R"({"error":"invalid_client","error_description":"jti was used before"})"),
            "invalid_client: jti was used before");
  EXPECT_EQ(token_error_text(R"({"error":"invalid_scope"})"), "invalid_scope");
  EXPECT_EQ(token_error_text(R"({"error":"x","error_description":"a\nb"})"), "x: a?b");
  EXPECT_EQ(token_error_text(R"({"error":")" + std::string(400, 'e') + R"("})"), std::string(300, 'e') + "...");
  EXPECT_EQ(token_error_text("Bad gateway"), "");
  EXPECT_EQ(token_error_text(R"({"message":"no"})"), "");
}

}  // namespace
}  // namespace gg::fhir
