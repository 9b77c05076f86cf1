#include "gateway/ingress/topic_notification.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gg::gateway {
namespace {

// Shaped after the Backport IG's R4 examples (Parameters-r4-notification-status, Bundle-r4-notification-handshake,
// -heartbeat; http://hl7.org/fhir/uv/subscriptions-backport/), written anew with our own ids.
std::string status_json(std::string_view type, std::string_view since, std::string_view events = "") {
  return std::string(
             R"({"resourceType":"Parameters","id":"s1","meta":{"profile":[)"
             R"("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4"]},)"
             R"("parameter":[{"name":"subscription","valueReference":{"reference":"https://fhir.example/fhir/Subscription/77"}},)"
             R"({"name":"topic","valueCanonical":"https://gradient.example/topic/hormones"},)"
             R"({"name":"status","valueCode":"active"},{"name":"type","valueCode":")") +
         std::string(type) + R"("},{"name":"events-since-subscription-start","valueString":")" +
         std::string(since) + R"("})" + std::string(events) + "]}";
}

std::string event_json(std::string_view number, std::string_view focus) {
  return R"(,{"name":"notification-event","part":[{"name":"event-number","valueString":")" + std::string(number) +
         R"("},{"name":"timestamp","valueInstant":"2026-11-25T10:00:00Z"},{"name":"focus","valueReference":{"reference":")" +
         std::string(focus) + R"("}}]})";
}

TEST(TopicNotification, HandshakeIsParsedWithItsSubscriptionAndCount) {
  auto parsed = parse_subscription_status(status_json("handshake", "0"));
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->type, NotificationType::handshake);
  EXPECT_EQ(parsed->subscription, "https://fhir.example/fhir/Subscription/77");
  EXPECT_EQ(parsed->topic, "https://gradient.example/topic/hormones");
  EXPECT_EQ(parsed->events_since_subscription_start, 0);
  EXPECT_TRUE(parsed->events.empty());
}

TEST(TopicNotification, EventNotificationCarriesEachEventNumberAndFocus) {
  auto parsed = parse_subscription_status(status_json(
      "event-notification", "3", event_json("2", "Observation/o2") + event_json("3", "Observation/o3")));
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->type, NotificationType::event_notification);
  ASSERT_EQ(parsed->events.size(), 2u);
  EXPECT_EQ(parsed->events[0].event_number, 2);
  EXPECT_EQ(parsed->events[0].focus, "Observation/o2");
  EXPECT_EQ(parsed->events[1].event_number, 3);
}

// HAPI 8.8 and the IG write numbers as valueString in R4; R4B/R5-minded writers use an integer type.
TEST(TopicNotification, NumbersAreReadFromStringOrIntegerValues) {
  const std::string json =
      R"({"resourceType":"Parameters","parameter":[{"name":"subscription","valueReference":{"reference":"Subscription/1"}},)"
      R"({"name":"type","valueCode":"event-notification"},{"name":"events-since-subscription-start","valueInteger":4},)"
      R"({"name":"notification-event","part":[{"name":"event-number","valueUnsignedInt":4}]}]})";
  auto parsed = parse_subscription_status(json);
  ASSERT_TRUE(parsed.has_value()) << parsed.error();
  EXPECT_EQ(parsed->events_since_subscription_start, 4);
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].event_number, 4);
  EXPECT_EQ(parsed->events[0].focus, "");
}

TEST(TopicNotification, MalformedStatusesAreRefusedWithTheirPath) {
  EXPECT_FALSE(parse_subscription_status("{").has_value());
  EXPECT_FALSE(parse_subscription_status(R"({"resourceType":"Observation"})").has_value());
  auto unknown_type = parse_subscription_status(status_json("poke", "0"));
  ASSERT_FALSE(unknown_type.has_value());
  EXPECT_NE(unknown_type.error().find("Parameters.parameter[3]"), std::string::npos);
  EXPECT_FALSE(parse_subscription_status(status_json("heartbeat", "-1")).has_value());
  EXPECT_FALSE(parse_subscription_status(status_json("heartbeat", "two")).has_value());
  const std::string unnumbered = status_json(
      "event-notification", "1",
      R"(,{"name":"notification-event","part":[{"name":"focus","valueReference":{"reference":"Observation/1"}}]})");
  EXPECT_FALSE(parse_subscription_status(unnumbered).has_value());
  EXPECT_FALSE(parse_subscription_status(
                   R"({"resourceType":"Parameters","parameter":[{"name":"type","valueCode":"heartbeat"}]})")
                   .has_value());
}

TEST(TopicNotification, ReferencesReduceToTypeAndId) {
  EXPECT_EQ(subscription_key("https://fhir.example/fhir/Subscription/77"), "Subscription/77");
  EXPECT_EQ(subscription_key("Subscription/77/_history/2"), "Subscription/77");
  EXPECT_EQ(focus_type_and_id("http://hapi/fhir/Observation/o1/_history/3"), "Observation/o1");
  EXPECT_EQ(focus_type_and_id("Observation/o1"), "Observation/o1");
  EXPECT_EQ(focus_type_and_id("o1"), "");
  EXPECT_EQ(focus_type_and_id(""), "");
}

SubscriptionStatus notification(const std::vector<std::int64_t>& numbers, std::optional<std::int64_t> since,
                                NotificationType type = NotificationType::event_notification) {
  SubscriptionStatus status;
  status.type = type;
  status.subscription = "Subscription/77";
  status.events_since_subscription_start = since;
  for (auto number : numbers) status.events.push_back({number, "Observation/o" + std::to_string(number)});
  return status;
}

// The gap rule, case by case: (last seen, notification) -> (gap?, cursor afterwards).
TEST(TopicEventNumbers, NextNumberIsNoGap) {
  auto check = check_event_numbers(4, notification({5}, 5));
  EXPECT_FALSE(check.gap);
  EXPECT_EQ(check.last_seen, 5);
}

TEST(TopicEventNumbers, SkippedNumberIsAGap) {
  auto check = check_event_numbers(4, notification({7}, 7));
  EXPECT_TRUE(check.gap);
  EXPECT_EQ(check.last_seen, 7);
}

TEST(TopicEventNumbers, SeveralEventsInOrderAreNoGapWhateverTheirOrderInTheBundle) {
  auto check = check_event_numbers(4, notification({6, 5}, 6));
  EXPECT_FALSE(check.gap);
  EXPECT_EQ(check.last_seen, 6);
}

TEST(TopicEventNumbers, CountAboveTheHighestNumberIsAGap) {
  auto check = check_event_numbers(4, notification({5}, 9));
  EXPECT_TRUE(check.gap);
  EXPECT_EQ(check.last_seen, 9);
}

TEST(TopicEventNumbers, HeartbeatWithMoreEventsThanSeenIsAGap) {
  auto check = check_event_numbers(4, notification({}, 6, NotificationType::heartbeat));
  EXPECT_TRUE(check.gap);
  EXPECT_EQ(check.last_seen, 6);
  auto quiet = check_event_numbers(6, notification({}, 6, NotificationType::heartbeat));
  EXPECT_FALSE(quiet.gap);
  EXPECT_EQ(quiet.last_seen, 6);
}

TEST(TopicEventNumbers, HandshakeRestartsTheCount) {
  auto check = check_event_numbers(40, notification({}, 0, NotificationType::handshake));
  EXPECT_FALSE(check.gap);
  EXPECT_EQ(check.last_seen, 0);
}

TEST(TopicEventNumbers, NothingSeenYetIsNoGap) {
  auto check = check_event_numbers(std::nullopt, notification({12}, 12));
  EXPECT_FALSE(check.gap);
  EXPECT_EQ(check.last_seen, 12);
  auto heartbeat = check_event_numbers(std::nullopt, notification({}, 3, NotificationType::heartbeat));
  EXPECT_FALSE(heartbeat.gap);
  EXPECT_EQ(heartbeat.last_seen, 3);
}

// A lower number: a late delivery or the server's counter restarted (HAPI counts in memory). No gap, and the
// cursor follows it so that the next gap after a restart is still seen.
TEST(TopicEventNumbers, LowerNumberIsNoGapAndTheCursorFollowsIt) {
  auto check = check_event_numbers(40, notification({1}, 1));
  EXPECT_FALSE(check.gap);
  EXPECT_EQ(check.last_seen, 1);
  EXPECT_TRUE(check_event_numbers(check.last_seen, notification({3}, 3)).gap);
}

TEST(TopicEventNumbers, UnnumberedStatusWithoutCountLeavesTheCursor) {
  auto check = check_event_numbers(4, notification({}, std::nullopt, NotificationType::query_status));
  EXPECT_FALSE(check.gap);
  EXPECT_EQ(check.last_seen, 4);
}

}  // namespace
}  // namespace gg::gateway
