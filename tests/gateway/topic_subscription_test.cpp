#include "gateway/ingress/topic_subscription.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gg::gateway {
namespace {

TopicSubscriptionSpec spec() {
  TopicSubscriptionSpec spec;
  spec.filter = "Observation?code=http://loinc.org|2143-6,http://loinc.org|2191-5";
  spec.endpoint = "http://gateway:8080/notify";
  spec.header = "X-Gradient-Secret: s3cret";
  return spec;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// The R4 topic (Backport IG): Basic with code fhir-types#SubscriptionTopic, our canonical URL, active, triggered
// by Observation create/update, filterable by code; trigger and filter under the names HAPI 8.8.0 reads (4.3).
TEST(TopicSubscription, TopicIsABasicWithTheBackportTopicExtensions) {
  const auto json = topic_basic_json(spec());
  EXPECT_TRUE(contains(json, R"("resourceType":"Basic")"));
  EXPECT_TRUE(contains(json, R"({"system":"http://hl7.org/fhir/fhir-types","code":"SubscriptionTopic"})"));
  EXPECT_TRUE(contains(json,
                       R"({"url":"http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url",)"
                       R"("valueUri":"http://gradient-gateway.dev/fhir/SubscriptionTopic/observation-changed"})"));
  EXPECT_TRUE(contains(json, R"("valueCode":"active")"));
  EXPECT_TRUE(
      contains(json, "http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionTopic.resourceTrigger"));
  EXPECT_TRUE(contains(json, R"({"url":"resource","valueUri":"Observation"})"));
  EXPECT_TRUE(contains(json, R"({"url":"supportedInteraction","valueCode":"create"})"));
  EXPECT_TRUE(contains(json, R"({"url":"supportedInteraction","valueCode":"update"})"));
  EXPECT_TRUE(contains(json, R"({"url":"filterParameter","valueString":"code"})"));
}

TEST(TopicSubscription, SubscriptionCarriesProfileTopicFilterAndFullResourceContent) {
  const auto json = topic_subscription_json(spec());
  EXPECT_TRUE(contains(
      json,
      R"("profile":["http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription"])"));
  EXPECT_TRUE(
      contains(json, R"("criteria":"http://gradient-gateway.dev/fhir/SubscriptionTopic/observation-changed")"));
  EXPECT_TRUE(
      contains(json, R"("valueString":"Observation?code=http://loinc.org|2143-6,http://loinc.org|2191-5")"));
  EXPECT_TRUE(contains(json, R"("type":"rest-hook","endpoint":"http://gateway:8080/notify")"));
  EXPECT_TRUE(contains(json, "backport-payload-content\",\"valueCode\":\"full-resource\""));
  EXPECT_TRUE(contains(json, R"("header":["X-Gradient-Secret: s3cret"])"));
  EXPECT_FALSE(contains(json, R"("id")"));
  EXPECT_TRUE(contains(topic_subscription_json(spec(), "42"), R"("id":"42")"));
}

TEST(TopicSubscription, OurOwnSubscriptionMatchesAndAnyDifferenceDoesNot) {
  const auto wanted = spec();
  auto active = topic_subscription_json(wanted, "42");
  active.replace(active.find("\"requested\""), 11, "\"active\"");
  EXPECT_TRUE(topic_subscription_matches(active, wanted));

  auto other_codes = wanted;
  other_codes.filter = "Observation?code=http://loinc.org|2143-6";
  EXPECT_FALSE(topic_subscription_matches(active, other_codes));
  auto other_secret = wanted;
  other_secret.header = "X-Gradient-Secret: rotated";
  EXPECT_FALSE(topic_subscription_matches(active, other_secret));
  auto other_endpoint = wanted;
  other_endpoint.endpoint = "http://elsewhere/notify";
  EXPECT_FALSE(topic_subscription_matches(active, other_endpoint));

  auto errored = active;
  errored.replace(errored.find("\"active\""), 8, "\"error\"");
  EXPECT_FALSE(topic_subscription_matches(errored, wanted));
  std::string id_only = active;
  id_only.replace(id_only.find("full-resource"), 13, "id-only");
  EXPECT_FALSE(topic_subscription_matches(id_only, wanted));
  EXPECT_FALSE(topic_subscription_matches("not json", wanted));
}

// The scheduled check's view of a read: gone, the server's status, and whether it is still ours as we want it.
TEST(TopicSubscription, AReadSaysGoneStatusAndWhetherItStillServesTheSpec) {
  const auto wanted = spec();
  auto active = topic_subscription_json(wanted, "42");
  active.replace(active.find("\"requested\""), 11, "\"active\"");
  const auto ours = topic_subscription_found(200, active, wanted);
  EXPECT_EQ(ours.status, "active");
  EXPECT_TRUE(ours.serves_spec);
  EXPECT_EQ(subscription_lost_reason("42", ours), "");

  auto other_codes = wanted;
  other_codes.filter = "Observation?code=http://loinc.org|2143-6";
  EXPECT_EQ(subscription_lost_reason("42", topic_subscription_found(200, active, other_codes)),
            "Subscription/42 was changed (status active)");
  EXPECT_EQ(subscription_lost_reason("42", topic_subscription_found(410, "{}", wanted)),
            "Subscription/42 is gone (HTTP 410)");
  auto errored = active;
  errored.replace(errored.find("\"active\""), 8, "\"error\"");
  EXPECT_EQ(subscription_lost_reason("42", topic_subscription_found(200, errored, wanted)),
            "Subscription/42 is error");
  EXPECT_FALSE(topic_subscription_found(200, "not json", wanted).serves_spec);
}

}  // namespace
}  // namespace gg::gateway
