#include "gateway/pipeline/stable_identity.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gg::gateway {
namespace {

TEST(StableIdentity, SameKeyGivesSameIdentifierAndUuid) {
  auto a = stable_identity("RiskAssessment|Patient/1|Observation/1/_history/1;");
  auto b = stable_identity("RiskAssessment|Patient/1|Observation/1/_history/1;");
  auto c = stable_identity("RiskAssessment|Patient/1|Observation/1/_history/2;");
  EXPECT_EQ(a.identifier_value, b.identifier_value);
  EXPECT_EQ(a.full_url, b.full_url);
  EXPECT_NE(a.identifier_value, c.identifier_value);
  EXPECT_EQ(a.identifier_value.size(), 32u);
  // urn:uuid:xxxxxxxx-xxxx-8xxx-[89ab]xxx-xxxxxxxxxxxx (RFC 9562 version 8)
  ASSERT_EQ(a.full_url.size(), 45u);
  EXPECT_EQ(a.full_url.substr(0, 9), "urn:uuid:");
  EXPECT_EQ(a.full_url[23], '8');
  EXPECT_NE(std::string("89ab").find(a.full_url[28]), std::string::npos);
}

TEST(StableIdentity, KnownVectorIsStableAcrossReleases) {
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad (FIPS 180-2, appendix B.1)
  auto identity = stable_identity("abc");
  EXPECT_EQ(identity.identifier_value, "ba7816bf8f01cfea414140de5dae2223");
  EXPECT_EQ(identity.full_url, "urn:uuid:ba7816bf-8f01-8fea-8141-40de5dae2223");
}

TEST(StableIdentity, APrefixGivesTheIdentityOfTheJoinedKey) {
  const auto split = stable_identity("ab", "c");
  EXPECT_EQ(split.identifier_value, "ba7816bf8f01cfea414140de5dae2223");  // SHA-256("abc"), as above
  EXPECT_EQ(split.full_url, "urn:uuid:ba7816bf-8f01-8fea-8141-40de5dae2223");
  const std::string key = "Patient/1|Observation/1/_history/1;gradient-gateway-default@2026.11.26";
  const auto joined = stable_identity("RiskAssessment|" + key);
  const auto prefixed = stable_identity("RiskAssessment|", key);
  EXPECT_EQ(prefixed.identifier_value, joined.identifier_value);
  EXPECT_EQ(prefixed.full_url, joined.full_url);
  EXPECT_NE(stable_identity("CarePlan|", key).identifier_value, joined.identifier_value);
}

}  // namespace
}  // namespace gg::gateway
