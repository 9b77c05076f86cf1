// CDS Hooks 2.0 "Trusting CDS Clients": the service accepts a call only with a JWT signed by a trusted issuer's
// key (kid from its JWK Set), for this service (aud), current (exp, iat) and never seen before (jti).
#include <gtest/gtest.h>

#include "cds_test_support.hpp"
#include "gateway/cds/client_token.hpp"

namespace gg::gateway {
namespace {

using testing::client_claims;
using testing::jwks_of;
using testing::TestKey;

constexpr std::string_view kIssuer = "https://ehr.example.org/";
constexpr std::string_view kOther = "https://other-ehr.example.org/";
constexpr std::string_view kAudience = "https://gateway.example.org/cds-services/gradient-findings";
const std::chrono::sys_seconds kNow{std::chrono::seconds(1'800'000'000)};
constexpr long long kT = 1'800'000'000;

class ClientTokenTest : public ::testing::Test {
 protected:
  // Made once for the suite: RSA key generation is slow.
  static const TestKey* ec() {
    static const TestKey key = TestKey::ec384("ec-1");
    return &key;
  }
  static const TestKey* rsa() {
    static const TestKey key = TestKey::rsa("rsa-1");
    return &key;
  }
  static const TestKey* stranger() {
    static const TestKey key = TestKey::ec384("ec-1");  // same kid, another key
    return &key;
  }

  ClientTokenVerifier verifier() const {
    auto keys = JsonWebKeySet::parse(jwks_of({ec(), rsa()}));
    EXPECT_TRUE(keys) << keys.error();
    auto other = JsonWebKeySet::parse(jwks_of({stranger()}));
    EXPECT_TRUE(other) << other.error();
    return ClientTokenVerifier(
        {{std::string(kIssuer), *keys}, {std::string(kOther), *other}},
        ClientTokenPolicy{std::string(kAudience), std::chrono::seconds(60), std::chrono::seconds(300)});
  }

  static std::string bearer(const std::string& jwt) { return "Bearer " + jwt; }
  static std::string good_claims(std::string_view jti = "jti-1") {
    return client_claims(kIssuer, kAudience, kT - 10, kT + 240, jti);
  }
};

TEST_F(ClientTokenTest, AcceptsEs384TokenOfTrustedIssuer) {
  auto v = verifier();
  auto identity = v.verify(bearer(ec()->sign(good_claims())), kNow);
  ASSERT_TRUE(identity) << identity.error();
  EXPECT_EQ(identity->iss, kIssuer);
  EXPECT_EQ(identity->kid, "ec-1");
  EXPECT_EQ(identity->jti, "jti-1");
}

TEST_F(ClientTokenTest, AcceptsRs384Token) {
  auto v = verifier();
  auto identity = v.verify(bearer(rsa()->sign(good_claims())), kNow);
  ASSERT_TRUE(identity) << identity.error();
  EXPECT_EQ(identity->kid, "rsa-1");
}

TEST_F(ClientTokenTest, AcceptsAudienceAsArrayAndLowerCaseScheme) {
  auto v = verifier();
  const std::string claims = R"({"iss":")" + std::string(kIssuer) + R"(","aud":["https://x.example/",")" +
                             std::string(kAudience) + R"("],"iat":)" + std::to_string(kT) + R"(,"exp":)" +
                             std::to_string(kT + 60) + R"(,"jti":"a"})";
  auto identity = v.verify("bearer " + ec()->sign(claims), kNow);
  EXPECT_TRUE(identity) << identity.error();
}

TEST_F(ClientTokenTest, RefusesSignatureOfAnotherKeyWithTheSameKid) {
  auto v = verifier();
  auto identity = v.verify(bearer(stranger()->sign(good_claims())), kNow);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error(), "the token's signature does not verify");
}

TEST_F(ClientTokenTest, RefusesPayloadChangedAfterSigning) {
  auto v = verifier();
  const std::string jwt = ec()->sign(good_claims());
  const auto dot = jwt.find('.');
  const auto last = jwt.rfind('.');
  const std::string forged = jwt.substr(0, dot + 1) +
                             testing::base64url(client_claims(kIssuer, kAudience, kT, kT + 240, "other-jti")) +
                             jwt.substr(last);
  auto identity = v.verify(bearer(forged), kNow);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error(), "the token's signature does not verify");
}

TEST_F(ClientTokenTest, RefusesUntrustedIssuer) {
  auto v = verifier();
  auto identity =
      v.verify(bearer(ec()->sign(client_claims("https://evil.example/", kAudience, kT, kT + 60, "j"))), kNow);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error(), "the token's issuer is not trusted");
}

TEST_F(ClientTokenTest, RefusesKeyOfAnotherTrustedIssuer) {
  // kOther trusts only the stranger's key: the issuer claim picks the JWK Set.
  auto v = verifier();
  auto identity = v.verify(bearer(ec()->sign(client_claims(kOther, kAudience, kT, kT + 60, "j"))), kNow);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error(), "the token's signature does not verify");
}

TEST_F(ClientTokenTest, RefusesWrongAudience) {
  auto v = verifier();
  auto identity = v.verify(
      bearer(ec()->sign(client_claims(kIssuer, "https://gateway.example.org/cds-services", kT, kT + 60, "j"))),
      kNow);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error(), "the token's aud is not this service");
}

TEST_F(ClientTokenTest, RefusesExpiredTokenBeyondLeewayOnly) {
  auto v = verifier();
  EXPECT_TRUE(v.verify(bearer(ec()->sign(client_claims(kIssuer, kAudience, kT - 200, kT - 59, "within"))), kNow));
  auto identity = v.verify(bearer(ec()->sign(client_claims(kIssuer, kAudience, kT - 200, kT - 61, "late"))), kNow);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error(), "the token has expired");
}

TEST_F(ClientTokenTest, RefusesLongLivedAndFutureTokens) {
  auto v = verifier();
  auto long_lived = v.verify(bearer(ec()->sign(client_claims(kIssuer, kAudience, kT, kT + 3600, "a"))), kNow);
  ASSERT_FALSE(long_lived);
  EXPECT_NE(long_lived.error().find("short-lived"), std::string::npos);
  auto future = v.verify(bearer(ec()->sign(client_claims(kIssuer, kAudience, kT + 120, kT + 200, "b"))), kNow);
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error(), "the token's iat lies in the future");
}

TEST_F(ClientTokenTest, RefusesReplayedJtiUntilItExpires) {
  auto v = verifier();
  const std::string token = bearer(ec()->sign(client_claims(kIssuer, kAudience, kT, kT + 60, "once")));
  EXPECT_TRUE(v.verify(token, kNow));
  auto replay = v.verify(token, kNow + std::chrono::seconds(30));
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error(), "the token was used before (jti replayed)");
  // The same jti from another issuer is another token.
  EXPECT_TRUE(v.verify(bearer(stranger()->sign(client_claims(kOther, kAudience, kT, kT + 60, "once"))), kNow));
  EXPECT_EQ(v.remembered_token_ids(), 2U);
  // Once past exp + leeway the jti is forgotten (the token itself is refused as expired by then).
  EXPECT_FALSE(v.verify(token, kNow + std::chrono::seconds(200)));
  EXPECT_EQ(v.remembered_token_ids(), 0U);
}

TEST_F(ClientTokenTest, RefusesUnknownKid) {
  auto v = verifier();
  const std::string header = R"({"alg":"ES384","typ":"JWT","kid":"ec-2"})";
  auto identity = v.verify(bearer(ec()->sign(good_claims(), header)), kNow);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error(), "the token's kid is not in its issuer's JWK Set");
}

TEST_F(ClientTokenTest, RefusesNoneSymmetricAndMismatchedAlgorithms) {
  auto v = verifier();
  const std::string payload = testing::base64url(good_claims());
  for (const char* header :
       {R"({"alg":"none","typ":"JWT","kid":"ec-1"})", R"({"alg":"HS384","typ":"JWT","kid":"ec-1"})"}) {
    auto identity = v.verify("Bearer " + testing::base64url(header) + "." + payload + ".", kNow);
    ASSERT_FALSE(identity) << header;
    EXPECT_NE(identity.error().find("alg"), std::string::npos);
  }
  // An RSA algorithm named for the EC key.
  auto mismatched =
      v.verify(bearer(rsa()->sign(good_claims(), R"({"alg":"RS384","typ":"JWT","kid":"ec-1"})")), kNow);
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error(), "the token's alg does not match its key");
}

TEST_F(ClientTokenTest, RefusesMissingOrMalformedBearer) {
  auto v = verifier();
  EXPECT_FALSE(v.verify("", kNow));
  EXPECT_FALSE(v.verify("Basic dXNlcjpwYXNz", kNow));
  EXPECT_FALSE(v.verify("Bearer not-a-jwt", kNow));
  EXPECT_FALSE(v.verify("Bearer a.b.c.d", kNow));
}

TEST_F(ClientTokenTest, RequiresJtiIatAndExp) {
  auto v = verifier();
  const std::string no_jti = R"({"iss":")" + std::string(kIssuer) + R"(","aud":")" + std::string(kAudience) +
                             R"(","iat":)" + std::to_string(kT) + R"(,"exp":)" + std::to_string(kT + 60) + "}";
  auto identity = v.verify(bearer(ec()->sign(no_jti)), kNow);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error(), "the token lacks exp, iat or jti");
}

TEST(JsonWebKeySetTest, RefusesPointOffTheCurveAndShortRsaKeys) {
  // x and y of 48 zero bytes: not a point of P-384.
  const std::string zeros = testing::base64url(std::string(48, '\0'));
  auto off_curve = JsonWebKeySet::parse(R"({"keys":[{"kty":"EC","crv":"P-384","kid":"k","x":")" + zeros +
                                        R"(","y":")" + zeros + R"("}]})");
  EXPECT_FALSE(off_curve);
  auto small = JsonWebKeySet::parse(R"({"keys":[{"kty":"RSA","kid":"k","n":")" +
                                    testing::base64url(std::string(128, '\xC5')) + R"(","e":"AQAB"}]})");
  EXPECT_FALSE(small);
  EXPECT_FALSE(JsonWebKeySet::parse("{}"));
  EXPECT_FALSE(JsonWebKeySet::parse("not json"));
}

}  // namespace
}  // namespace gg::gateway
