// Standard Webhooks signing (https://github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md):
// the reference libraries' known answer, secrets that round-trip, bad secrets refused, rotation headers, and
// webhook ids that are the same for the same alert and differ between alerts.
#include "gateway/alerts/webhook_signature.hpp"

#include <gtest/gtest.h>

#include <set>

namespace gg::gateway {
namespace {

// The known-answer vector of the reference libraries' "sign function works" tests:
// libraries/javascript/src/webhook.test.ts and libraries/php/tests/WebhookTest.php (testSignFunctionWorks).
constexpr std::string_view reference_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view reference_msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t reference_timestamp = 1614265330;
constexpr std::string_view reference_payload = R"({"test": 2432232314})";
constexpr std::string_view reference_signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// The key of a secret the test expects to be accepted (result<string, string>::value() cannot throw a string).
std::string key_of(std::string_view whsec) {
  const auto key = secret_key(whsec);
  EXPECT_TRUE(key) << whsec << ": " << key.error();
  return key ? *key : std::string();
}

TEST(WebhookSignature, SignsTheReferenceLibrariesKnownAnswer) {
  const auto key = secret_key(reference_secret);
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ(key->size(), 24U);
  EXPECT_EQ(sign(*key, reference_msg_id, reference_timestamp, reference_payload), reference_signature);
}

TEST(WebhookSignature, SignatureCoversIdTimestampAndBody) {
  const auto key = key_of(reference_secret);
  EXPECT_NE(sign(key, "msg_other", reference_timestamp, reference_payload), reference_signature);
  EXPECT_NE(sign(key, reference_msg_id, reference_timestamp + 1, reference_payload), reference_signature);
  EXPECT_NE(sign(key, reference_msg_id, reference_timestamp, R"({"test":2432232314})"), reference_signature);
  EXPECT_NE(sign(key + "x", reference_msg_id, reference_timestamp, reference_payload), reference_signature);
}

TEST(WebhookSignature, NewSecretsAreWhsecOf32RandomBytesAndRoundTrip) {
  const std::string first = new_webhook_secret();
  const std::string second = new_webhook_secret();
  EXPECT_TRUE(first.starts_with("whsec_"));
  EXPECT_NE(first, second);
  const auto key = secret_key(first);
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ(key->size(), 32U);
  const auto other = secret_key(second);
  ASSERT_TRUE(other);
  EXPECT_NE(*key, *other);
}

TEST(WebhookSignature, SecretKeyDecodesPaddedAndUnpaddedBase64) {
  EXPECT_EQ(key_of("whsec_AAE="), std::string("\0\1", 2));
  EXPECT_EQ(key_of("whsec_AAE"), std::string("\0\1", 2));
  EXPECT_EQ(key_of("whsec_AA=="), std::string(1, '\0'));
  EXPECT_EQ(key_of("whsec_AA"), std::string(1, '\0'));
  EXPECT_EQ(key_of("whsec_AAAA"), std::string(3, '\0'));
}

TEST(WebhookSignature, SecretKeyRefusesWhatIsNotAWhsecSecret) {
  for (const std::string_view bad :
       {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_====", "whsec_A",
        "whsec_AA=", "whsec_AAA==", "whsec_AA===", "whsec_not*base64", "whsec_ MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_MfKQ9r8GKYqrTwjU\nPD8ILPZIo2LaLaSw", "whsec_AA=A", "whsec_-_-_"}) {
    const auto key = secret_key(bad);
    EXPECT_FALSE(key) << bad;
    if (!key) {
      EXPECT_NE(key.error().find("whsec_"), std::string::npos) << key.error();
    }
  }
}

TEST(WebhookSignature, HeaderSeparatesRotationSignaturesBySingleSpaces) {
  EXPECT_EQ(signature_header({}), "");
  EXPECT_EQ(signature_header({"v1,a"}), "v1,a");
  EXPECT_EQ(signature_header({"v1,new", "v1,old"}), "v1,new v1,old");
}

TEST(WebhookSignature, RotationSignsWithEachKey) {
  const auto old_key = key_of(reference_secret);
  const auto new_key = key_of(new_webhook_secret());
  const std::string header =
      signature_header({sign(new_key, reference_msg_id, reference_timestamp, reference_payload),
                        sign(old_key, reference_msg_id, reference_timestamp, reference_payload)});
  EXPECT_TRUE(header.ends_with(std::string(" ") + std::string(reference_signature))) << header;
  EXPECT_EQ(header.find(' '), header.rfind(' '));
}

TEST(WebhookSignature, WebhookIdIsStablePerAlertAndDistinctBetweenAlerts) {
  const std::string id = webhook_id("finding|Patient/1|gradient-egfr|2026-01-01");
  EXPECT_EQ(id, webhook_id("finding|Patient/1|gradient-egfr|2026-01-01"));
  EXPECT_TRUE(id.starts_with("msg_"));
  EXPECT_EQ(id.size(), 4U + 24U);  // 18 hash bytes, unpadded base64url
  EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 4),
            std::string::npos)
      << id;
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(webhook_id("finding|Patient/" + std::to_string(i)));
  EXPECT_EQ(ids.size(), 1000U);
  EXPECT_NE(webhook_id(""), webhook_id(" "));
}

}  // namespace
}  // namespace gg::gateway
