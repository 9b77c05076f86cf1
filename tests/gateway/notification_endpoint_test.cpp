#include "gateway/ingress/notification_endpoint.hpp"
#include "gateway_test_support.hpp"

#include <gtest/gtest.h>

#include "gateway/config/knowledge_loader.hpp"
#include "gateway/telemetry/trace_context.hpp"

namespace gg::gateway {
namespace {

constexpr std::string_view kCortisol =
    R"({"resourceType":"Observation","id":"o1","meta":{"versionId":"2"},"status":"final",)"
    R"("code":{"coding":[{"system":"http://loinc.org","code":"2143-6"}]},"subject":{"reference":"Patient/p1"},)"
    R"("effectiveDateTime":"2026-11-20T08:00:00Z","valueQuantity":{"value":15,"system":"http://unitsofmeasure.org","code":"ug/dL"}})";

class NotificationEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::open_test_store();
    auto loaded = load_knowledge(std::string(GG_SOURCE_DIR) + "/config/terminology",
                                 std::string(GG_SOURCE_DIR) + "/config/rules");
    ASSERT_TRUE(loaded.has_value());
    knowledge_ = *loaded;
    endpoint_ = std::make_unique<NotificationEndpoint>(
        NotificationEndpointOptions{"/notify", "X-Gradient-Secret", "s3cret"}, *store_, metrics_,
        knowledge_.decode_options(), [] { return std::string("2026-11-25T10:00:00Z"); },
        [this](bool reconcile) { (reconcile ? reconciles_ : wakes_)++; });
  }

  HttpResponse send(std::string method, std::string target, std::string_view body, bool with_secret = true) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::string(body);
    if (with_secret) request.headers["x-gradient-secret"] = "s3cret";
    return endpoint_->handle(request);
  }

  MetricsRegistry metrics_;
  std::unique_ptr<StateStore> store_;
  LoadedKnowledge knowledge_;
  std::unique_ptr<NotificationEndpoint> endpoint_;
  int wakes_ = 0;
  int reconciles_ = 0;
};

TEST_F(NotificationEndpointTest, PutOfAHormoneResultIsRecordedAndAcknowledgedWithAnEmptyBody) {
  auto response = send("PUT", "/notify/Observation/o1", kCortisol);
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, "");
  auto events = store_->events_of("Observation", "o1");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].version_id, "2");
  EXPECT_EQ(events[0].patient, "Patient/p1");
  EXPECT_EQ(events[0].state, EventState::pending);
  EXPECT_EQ(wakes_, 1);
}

// W3C Trace Context: the notification's traceparent is kept with its event, or a trace is started for it (an
// invalid header is ignored, as section 3.2 of the specification says).
TEST_F(NotificationEndpointTest, TheNotificationsTraceIsKeptWithTheEventOrOneIsStarted) {
  HttpRequest request;
  request.method = "PUT";
  request.target = "/notify/Observation/o1";
  request.body = std::string(kCortisol);
  request.headers["x-gradient-secret"] = "s3cret";
  request.headers["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_EQ(endpoint_->handle(request).status, 200u);
  EXPECT_EQ(store_->events_of("Observation", "o1").at(0).traceparent,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

  request.target = "/notify/Observation/o2";
  request.body = std::string(kCortisol);
  const auto at = request.body.find(R"("id":"o1")");
  ASSERT_NE(at, std::string::npos);
  request.body.replace(at, 9, R"("id":"o2")");
  request.headers["traceparent"] = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
  EXPECT_EQ(endpoint_->handle(request).status, 200u);
  const auto started = store_->events_of("Observation", "o2").at(0).traceparent;
  ASSERT_TRUE(parse_traceparent(started)) << started;
  EXPECT_NE(parse_traceparent(started)->trace_id, "00000000000000000000000000000000");
}

// subscription.trust_authenticated_payload: only a notification whose sender presented a verified client
// certificate has its payload marked trusted, and only when the option is on.
TEST_F(NotificationEndpointTest, APayloadIsTrustedOnlyFromACertifiedSenderAndWhenConfigured) {
  NotificationEndpointOptions options{"/notify", "X-Gradient-Secret", "s3cret"};
  options.trust_authenticated_payload = true;
  NotificationEndpoint trusting(
      options, *store_, metrics_, knowledge_.decode_options(), [] { return std::string("2026-11-25T10:00:00Z"); },
      [](bool) {});
  const auto put = [&](NotificationEndpoint& endpoint, const std::string& id, const std::string& certificate) {
    HttpRequest request;
    request.method = "PUT";
    request.target = "/notify/Observation/" + id;
    request.body = std::string(kCortisol);
    request.body.replace(request.body.find(R"("id":"o1")"), 9, R"("id":")" + id + R"(")");
    request.headers["x-gradient-secret"] = "s3cret";
    request.client_certificate = certificate;
    EXPECT_EQ(endpoint.handle(request).status, 200u);
    return store_->events_of("Observation", id).at(0).payload_trusted;
  };
  EXPECT_TRUE(put(trusting, "c1", "CN=hapi,O=Test CA"));
  EXPECT_FALSE(put(trusting, "c2", ""));
  EXPECT_FALSE(put(*endpoint_, "c3", "CN=hapi,O=Test CA"));  // the option off
}

// One decode at the endpoint: the event carries type, id, version and subject, and the payload is the body's own
// bytes, so the pipeline never decodes the payload to find the patient.
TEST_F(NotificationEndpointTest, EventCarriesWhatTheOneDecodeFoundAndTheBodyAsReceived) {
  ASSERT_EQ(send("PUT", "/notify/Observation/o1", kCortisol).status, 200u);
  auto events = store_->events_of("Observation", "o1");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].resource_type, "Observation");
  EXPECT_EQ(events[0].resource_id, "o1");
  EXPECT_EQ(events[0].version_id, "2");
  EXPECT_EQ(events[0].patient, "Patient/p1");
  EXPECT_EQ(events[0].source, IntakeSource::rest_hook);
  EXPECT_EQ(events[0].payload, kCortisol);
}

TEST_F(NotificationEndpointTest, SameVersionTwiceIsOneEvent) {
  send("PUT", "/notify/Observation/o1", kCortisol);
  auto second = send("PUT", "/notify/Observation/o1", kCortisol);
  EXPECT_EQ(second.status, 200u);
  EXPECT_EQ(store_->events_of("Observation", "o1").size(), 1u);
  EXPECT_EQ(wakes_, 1);
}

TEST_F(NotificationEndpointTest, MissingOrWrongSecretIs401) {
  EXPECT_EQ(send("PUT", "/notify/Observation/o1", kCortisol, false).status, 401u);
  HttpRequest request{
      "PUT", "/notify/Observation/o1", {{"x-gradient-secret", "s3creT"}}, std::string(kCortisol), ""};
  auto response = endpoint_->handle(request);
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(response.content_type.rfind("application/fhir+json", 0), 0u);
  EXPECT_TRUE(store_->events_of("Observation", "o1").empty());
}

TEST_F(NotificationEndpointTest, MalformedJsonIs400OperationOutcomeAndNothingIsRecorded) {
  auto response = send("PUT", "/notify/Observation/o1", R"({"resourceType":"Observation",)");
  EXPECT_EQ(response.status, 400u);
  EXPECT_NE(response.body.find("\"resourceType\":\"OperationOutcome\""), std::string::npos);
  EXPECT_TRUE(store_->events_of("Observation", "o1").empty());
}

TEST_F(NotificationEndpointTest, WrongTypeInAHormoneResultNamesTheElement) {
  std::string body(kCortisol);
  body.replace(body.find(R"("value":15)"), 10, R"("value":"15")");
  auto response = send("PUT", "/notify/Observation/o1", body);
  EXPECT_EQ(response.status, 400u);
  EXPECT_NE(response.body.find("Observation.valueQuantity.value"), std::string::npos);
}

TEST_F(NotificationEndpointTest, IdInBodyMustMatchTheUrl) {
  EXPECT_EQ(send("PUT", "/notify/Observation/other", kCortisol).status, 400u);
}

TEST_F(NotificationEndpointTest, NonHormoneObservationIsAcknowledgedAndSkipped) {
  constexpr std::string_view kHeartRate =
      R"({"resourceType":"Observation","id":"hr","status":"final",)"
      R"("code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":60}})";
  EXPECT_EQ(send("PUT", "/notify/Observation/hr", kHeartRate).status, 200u);
  EXPECT_TRUE(store_->events_of("Observation", "hr").empty());
  EXPECT_EQ(wakes_, 0);
}

TEST_F(NotificationEndpointTest, EmptyPostAsksForACatchUpSearch) {
  EXPECT_EQ(send("POST", "/notify", "").status, 200u);
  EXPECT_EQ(reconciles_, 1);
}

TEST_F(NotificationEndpointTest, DeleteIsRecorded) {
  EXPECT_EQ(send("DELETE", "/notify/Observation/o1", "").status, 200u);
  ASSERT_EQ(store_->events_of("Observation", "o1").size(), 1u);
}

// The gateway subscribes to Observations alone: a notification about another type, or naming an id that FHIR does
// not allow, is refused with an OperationOutcome and nothing is stored (reliability review, point 9).
TEST_F(NotificationEndpointTest, OtherTypesAndInvalidIdsAreRefusedAndNothingIsStored) {
  const auto refused = [&](std::string method, std::string target, std::string_view body, unsigned status) {
    SCOPED_TRACE(method + " " + target);
    const auto response = send(std::move(method), std::move(target), body);
    EXPECT_EQ(response.status, status);
    EXPECT_NE(response.body.find(R"("resourceType":"OperationOutcome")"), std::string::npos);
  };
  refused("PUT", "/notify/Foo/f1", R"({"resourceType":"Foo","id":"f1"})", 404);
  refused("PUT", "/notify/Patient/p1", R"({"resourceType":"Patient","id":"p1"})", 404);
  refused("DELETE", "/notify/Foo/f1", "", 404);
  refused("DELETE", "/notify/Foo/..%2F..%2Fetc", "", 404);
  refused("DELETE", "/notify/Observation/..%2F..%2Fetc", "", 400);
  refused("DELETE", "/notify/Observation/o%0A1", "", 400);
  refused("PUT", "/notify/Observation/" + std::string(65, 'a'), kCortisol, 400);
  EXPECT_TRUE(store_->events_of("Foo", "f1").empty());
  EXPECT_TRUE(store_->events_of("Patient", "p1").empty());
  EXPECT_EQ(store_->counts().pending, 0);
  EXPECT_EQ(wakes_, 0);
  // A FHIR id of the full 64 characters is taken.
  EXPECT_EQ(send("DELETE", "/notify/Observation/" + std::string(64, 'a'), "").status, 200u);
  EXPECT_EQ(store_->events_of("Observation", std::string(64, 'a')).size(), 1u);
}

// A topic-based notification (Backport IG): a history Bundle whose first entry is the status (Parameters in R4),
// then, with full-resource content, the focus resources.
std::string topic_bundle(std::string_view type, std::string_view since, std::string_view events,
                         std::string_view resources = "") {
  return std::string(R"({"resourceType":"Bundle","type":"history","entry":[{"fullUrl":"urn:uuid:1","resource":)"
                     R"({"resourceType":"Parameters","parameter":[)"
                     R"({"name":"subscription","valueReference":{"reference":"http://hapi/fhir/Subscription/9"}},)"
                     R"({"name":"status","valueCode":"active"},{"name":"type","valueCode":")") +
         std::string(type) + R"("},{"name":"events-since-subscription-start","valueString":")" +
         std::string(since) + R"("})" + std::string(events) + "]}}" + std::string(resources) + "]}";
}

std::string topic_event(std::string_view number, std::string_view focus) {
  return R"(,{"name":"notification-event","part":[{"name":"event-number","valueString":")" + std::string(number) +
         R"("},{"name":"focus","valueReference":{"reference":")" + std::string(focus) + R"("}}]})";
}

const std::string kCortisolEntry =
    R"(,{"fullUrl":"http://hapi/fhir/Observation/o1","resource":)" + std::string(kCortisol) + "}";

// Each Observation entry is recorded with what the Bundle's one decode found and its bytes as received; the
// status entry is not an event.
TEST_F(NotificationEndpointTest, TopicBundleRecordsEachHormoneResultWithItsSubject) {
  const auto bundle = topic_bundle("event-notification", "1", topic_event("1", "Observation/o1"), kCortisolEntry);
  ASSERT_EQ(send("POST", "/notify", bundle).status, 200u);
  auto events = store_->events_of("Observation", "o1");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].version_id, "2");
  EXPECT_EQ(events[0].patient, "Patient/p1");
  EXPECT_EQ(events[0].payload, kCortisol);  // the entry's bytes as received, not a re-serialisation
  EXPECT_EQ(wakes_, 1);
  EXPECT_EQ(reconciles_, 0);
  EXPECT_EQ(store_->cursors().cursor("topic-event-number:Subscription/9"), "1");
}

TEST_F(NotificationEndpointTest, TopicHandshakeAndHeartbeatRecordNothingAndAnswer200) {
  auto handshake = send("POST", "/notify", topic_bundle("handshake", "0", ""));
  EXPECT_EQ(handshake.status, 200u);
  // A FHIR Bundle, not an empty body: HAPI's client takes anything else as a failed topic delivery.
  EXPECT_EQ(handshake.content_type, "application/fhir+json");
  EXPECT_NE(handshake.body.find(R"("resourceType":"Bundle")"), std::string::npos);
  EXPECT_EQ(send("POST", "/notify", topic_bundle("heartbeat", "0", "")).status, 200u);
  EXPECT_EQ(store_->counts().pending, 0);
  EXPECT_EQ(wakes_, 0);
  EXPECT_EQ(reconciles_, 0);
}

TEST_F(NotificationEndpointTest, TopicEventNumberGapWakesACatchUpAndStillRecords) {
  ASSERT_EQ(send("POST", "/notify",
                 topic_bundle("event-notification", "1", topic_event("1", "Observation/o1"), kCortisolEntry))
                .status,
            200u);
  EXPECT_EQ(reconciles_, 0);
  const std::string later =
      R"(,{"fullUrl":"http://hapi/fhir/Observation/o1","resource":)" +
      std::string(kCortisol).replace(kCortisol.find(R"("versionId":"2")"), 15, R"("versionId":"5")") + "}";
  ASSERT_EQ(
      send("POST", "/notify", topic_bundle("event-notification", "4", topic_event("4", "Observation/o1"), later))
          .status,
      200u);
  EXPECT_EQ(reconciles_, 1);
  EXPECT_EQ(store_->events_of("Observation", "o1").size(), 2u);
  EXPECT_EQ(store_->cursors().cursor("topic-event-number:Subscription/9"), "4");
}

TEST_F(NotificationEndpointTest, TopicHeartbeatCountingMoreEventsThanSeenWakesACatchUp) {
  ASSERT_EQ(send("POST", "/notify", topic_bundle("heartbeat", "2", "")).status, 200u);
  EXPECT_EQ(reconciles_, 0);
  ASSERT_EQ(send("POST", "/notify", topic_bundle("heartbeat", "3", "")).status, 200u);
  EXPECT_EQ(reconciles_, 1);
  EXPECT_EQ(store_->counts().pending, 0);
}

// id-only content: the Bundle names the focus but does not carry it; the server is asked (catch-up search).
TEST_F(NotificationEndpointTest, TopicIdOnlyNotificationWakesACatchUpAndRecordsNothingItself) {
  ASSERT_EQ(
      send("POST", "/notify", topic_bundle("event-notification", "1", topic_event("1", "Observation/o7"))).status,
      200u);
  EXPECT_EQ(reconciles_, 1);
  EXPECT_EQ(store_->counts().pending, 0);
}

TEST_F(NotificationEndpointTest, TopicBundleWithoutItsStatusIs400AndRecordsNothing) {
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"history","entry":[)" + kCortisolEntry.substr(1) + "]}";
  auto response = send("POST", "/notify", bundle);
  EXPECT_EQ(response.status, 400u);
  EXPECT_NE(response.body.find("OperationOutcome"), std::string::npos);
  EXPECT_TRUE(store_->events_of("Observation", "o1").empty());
  auto bad_type = send("POST", "/notify", topic_bundle("poke", "0", ""));
  EXPECT_EQ(bad_type.status, 400u);
  EXPECT_EQ(reconciles_ + wakes_, 0);
}

TEST_F(NotificationEndpointTest, MalformedTopicBundleIs400WithItsIssues) {
  auto response = send("POST", "/notify", R"({"resourceType":"Bundle","type":)");
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(response.content_type.rfind("application/fhir+json", 0), 0u);
  EXPECT_NE(response.body.find("\"resourceType\":\"OperationOutcome\""), std::string::npos);
}

TEST_F(NotificationEndpointTest, PrefixMatchesOnlyWholeSegments) {
  EXPECT_TRUE(endpoint_->matches(HttpRequest{"PUT", "/notify/Observation/1", {}, "", ""}));
  EXPECT_TRUE(endpoint_->matches(HttpRequest{"POST", "/notify?x=1", {}, "", ""}));
  EXPECT_FALSE(endpoint_->matches(HttpRequest{"PUT", "/notifyx/Observation/1", {}, "", ""}));
}

}  // namespace
}  // namespace gg::gateway
