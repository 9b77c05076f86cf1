// The routing table: the notification endpoint first whatever the method, GET and HEAD routes, and 404/405 as
// OperationOutcomes. A fake notification endpoint stands in for ingress/.
#include "gateway/http/router.hpp"
#include "gateway_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fhir/json_codec.hpp"

namespace gg::gateway {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::open_test_store();
    router_ = std::make_unique<Router>(
        RouterTargets{[](const HttpRequest& request) { return path_of(request.target).substr(0, 7) == "/notify"; },
                      [this](const HttpRequest& request) {
                        notified_.push_back(request.method + " " + request.target);
                        return HttpResponse{200, "", "", {}};
                      },
                      *store_,
                      metrics_,
                      readiness_,
                      {},
                      kAdminToken});
  }

  // With the admin token, as an operator's script sends it.
  HttpResponse send(std::string method, std::string target, std::string authorization = "Bearer admin-token-1") {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    if (!authorization.empty()) request.headers["authorization"] = std::move(authorization);
    return router_->handler()(request);
  }

  static constexpr const char* kAdminToken = "admin-token-1";

  MetricsRegistry metrics_;
  Readiness readiness_{false};
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Router> router_;
  std::vector<std::string> notified_;
};

fhir::OperationOutcome outcome_of(const HttpResponse& response) {
  EXPECT_EQ(response.content_type, kFhirJson);
  return testing::outcome_of(response);
}

TEST_F(RouterTest, NotificationsGoToTheEndpointWhateverTheirMethod) {
  for (const char* method : {"PUT", "POST", "DELETE", "GET"}) {
    EXPECT_EQ(send(method, "/notify/Observation/1").status, 200U) << method;
  }
  EXPECT_EQ(notified_, (std::vector<std::string>{"PUT /notify/Observation/1", "POST /notify/Observation/1",
                                                 "DELETE /notify/Observation/1", "GET /notify/Observation/1"}));
}

TEST_F(RouterTest, AnythingButGetOrHeadElsewhereIsA405OperationOutcome) {
  for (const char* target : {"/healthz", "/admin/events", "/nowhere"}) {
    const auto response = send("POST", target);
    EXPECT_EQ(response.status, 405U) << target;
    const auto outcome = outcome_of(response);
    ASSERT_EQ(outcome.issue.size(), 1U);
    EXPECT_EQ(outcome.issue[0].severity, "error");
    EXPECT_EQ(outcome.issue[0].code, "not-supported");
    EXPECT_EQ(outcome.issue[0].diagnostics, "only GET and HEAD here");
    const auto allow = std::find_if(response.headers.begin(), response.headers.end(),
                                    [](const auto& header) { return header.first == "Allow"; });
    ASSERT_NE(allow, response.headers.end()) << target;
    EXPECT_EQ(allow->second, "GET, HEAD");
  }
  EXPECT_TRUE(notified_.empty());
}

// Load balancers probe with HEAD: answered as GET is (the server leaves the body out), not 405 (reliability
// review, point 9).
TEST_F(RouterTest, HeadIsAnsweredAsGet) {
  for (const char* target : {"/healthz", "/readyz", "/metrics"}) {
    EXPECT_EQ(send("HEAD", target).status, send("GET", target).status) << target;
  }
  EXPECT_EQ(send("HEAD", "/healthz").body, R"({"status":"up"})");
  EXPECT_EQ(send("HEAD", "/nowhere").status, 404U);
}

TEST_F(RouterTest, AnExtraRouteServesItsPathAndWhatLiesBelowItWhateverTheMethod) {
  std::vector<std::string> served;
  Router router(RouterTargets{[](const HttpRequest&) { return false; },
                              [](const HttpRequest&) { return HttpResponse{}; },
                              *store_,
                              metrics_,
                              readiness_,
                              {ExtraRoute{"/cds-services", [&served](const HttpRequest& request) {
                                            served.push_back(request.method + " " + request.target);
                                            return HttpResponse{204, "", "", {}};
                                          }}}});
  HttpRequest request;
  for (const char* target : {"/cds-services", "/cds-services/gradient-findings?x=1", "/cds-servicesx", "/cds"}) {
    request.method = "DELETE";
    request.target = target;
    (void)router.handle(request);
  }
  // "/cds-servicesx" and "/cds" are not below "/cds-services": the GET-and-HEAD rule answers them (405).
  EXPECT_EQ(served,
            (std::vector<std::string>{"DELETE /cds-services", "DELETE /cds-services/gradient-findings?x=1"}));
}

// Issue 13: what the header alone decides, before a body is read. The operator routes and the notification
// endpoint's own check refuse without their credentials; everything else waits for the body.
TEST(RouterHeaderCheck, RefusesMissingCredentialsBeforeTheBody) {
  MetricsRegistry metrics;
  auto store = testing::open_test_store();
  Readiness readiness{false};
  RouterTargets targets{[](const HttpRequest& request) { return path_of(request.target).starts_with("/notify"); },
                        [](const HttpRequest&) {
                          return HttpResponse{200, "", "", {}};
                        },
                        *store,
                        metrics,
                        readiness,
                        {},
                        "admin-token"};
  targets.notification_refuse = [](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (request.headers.contains("x-gradient-secret")) return std::nullopt;
    return HttpResponse{401, "", "", {}};
  };
  Router router(std::move(targets));
  const auto header = [](std::string target, std::map<std::string, std::string> headers = {}) {
    HttpRequest request;
    request.method = "PUT";
    request.target = std::move(target);
    request.headers = std::move(headers);
    return request;
  };
  const auto refused = [&](const HttpRequest& request) {
    const auto response = router.refuse_before_body(request);
    return response ? response->status : 0U;
  };
  EXPECT_EQ(refused(header("/notify/Observation/1")), 401U);
  EXPECT_EQ(refused(header("/notify/Observation/1", {{"x-gradient-secret", "s"}})), 0U);
  EXPECT_EQ(refused(header("/admin/events")), 401U);
  EXPECT_EQ(refused(header("/alerts/subscriptions", {{"authorization", "Bearer wrong"}})), 401U);
  EXPECT_EQ(refused(header("/alerts/subscriptions", {{"authorization", "Bearer admin-token"}})), 0U);
  EXPECT_EQ(refused(header("/healthz")), 0U);
  EXPECT_EQ(refused(header("/cds-services/gradient-findings")), 0U);
}

// Issue 13 and the reliability review's point 9: a client address that fails authentication auth_limit.limit times
// is answered 429 with Retry-After on the notification endpoint and the operator routes, its credential unread,
// until its window ends; other addresses are served meanwhile.
TEST(RouterAuthLimit, AClientThatKeepsFailingIsAnswered429UntilItsWindowEnds) {
  MetricsRegistry metrics;
  auto store = testing::open_test_store();
  Readiness readiness{false};
  ManualClock clock(std::chrono::sys_seconds(std::chrono::seconds(1'800'000'000)));
  RouterTargets targets{[](const HttpRequest& request) { return path_of(request.target).starts_with("/notify"); },
                        [](const HttpRequest&) {
                          return HttpResponse{200, "", "", {}};
                        },
                        *store,
                        metrics,
                        readiness,
                        {},
                        "admin-token",
                        &clock};
  targets.notification_refuse = [](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (request.headers.contains("x-gradient-secret")) return std::nullopt;
    return HttpResponse{401, "", "", {}};
  };
  targets.auth_limit = AuthLimitOptions{3, std::chrono::seconds(60), 100};
  Router router(std::move(targets));
  const auto request = [](std::string remote, std::string target, std::map<std::string, std::string> headers) {
    HttpRequest made;
    made.method = "GET";
    made.target = std::move(target);
    made.headers = std::move(headers);
    made.remote_address = std::move(remote);
    return made;
  };
  const std::map<std::string, std::string> admin = {{"authorization", "Bearer admin-token"}};
  const std::map<std::string, std::string> wrong = {{"authorization", "Bearer guess"}};
  const std::map<std::string, std::string> secret = {{"x-gradient-secret", "s"}};

  EXPECT_EQ(router.handle(request("10.0.0.1", "/admin/events", wrong)).status, 401U);
  EXPECT_EQ(router.refuse_before_body(request("10.0.0.1", "/notify/Observation/1", {}))->status, 401U);
  clock.advance(std::chrono::seconds(15));
  EXPECT_EQ(router.refuse_before_body(request("10.0.0.1", "/alerts/subscriptions", wrong))->status, 401U);
  // Locked out: the right credential does not help, on any guarded route, before or after the body.
  const auto locked = router.handle(request("10.0.0.1", "/admin/events", admin));
  EXPECT_EQ(locked.status, 429U);
  EXPECT_EQ(
      locked.headers,
      (std::vector<std::pair<std::string, std::string>>{{"Retry-After", "45"}}));  // the window began 15 s ago
  EXPECT_EQ(testing::outcome_of(locked).issue.at(0).code, "throttled");
  EXPECT_EQ(router.refuse_before_body(request("10.0.0.1", "/notify/Observation/1", secret))->status, 429U);
  // The probes answer it; other addresses are served.
  EXPECT_EQ(router.handle(request("10.0.0.1", "/healthz", {})).status, 200U);
  EXPECT_FALSE(router.refuse_before_body(request("10.0.0.2", "/notify/Observation/1", secret)));
  EXPECT_EQ(router.handle(request("10.0.0.2", "/admin/events?type=Observation&id=1", admin)).status, 200U);
  EXPECT_EQ(metrics.counter("gradient_gateway_http_auth_failures_total", "").value(), 3.0);
  EXPECT_EQ(metrics.counter("gradient_gateway_http_locked_out_total", "").value(), 2.0);

  clock.advance(std::chrono::seconds(45));
  EXPECT_EQ(router.handle(request("10.0.0.1", "/admin/events?type=Observation&id=1", admin)).status, 200U);
}

TEST_F(RouterTest, OperatorRoutesRefuseAMissingOrWrongAdminTokenWith401) {
  const std::pair<const char*, const char*> refused[] = {
      {"", "an admin bearer token is required (Authorization: Bearer ...)"},
      {"Bearer admin-token-2", "wrong admin bearer token"},
      {"Bearer admin-token-", "wrong admin bearer token"},
      {"Basic YWRtaW4tdG9rZW4tMQ==", "an admin bearer token is required (Authorization: Bearer ...)"}};
  for (const char* target :
       {"/admin/events?type=Observation&id=1", "/admin/rejections", "/alerts/subscriptions", "/admin/nothing"}) {
    for (const auto& [authorization, diagnostics] : refused) {
      const auto response = send("GET", target, authorization);
      EXPECT_EQ(response.status, 401U) << target << " " << authorization;
      EXPECT_EQ(response.headers, (std::vector<std::pair<std::string, std::string>>{
                                      {"WWW-Authenticate", R"(Bearer realm="gradient-gateway")"}}));
      const auto outcome = outcome_of(response);
      ASSERT_EQ(outcome.issue.size(), 1U);
      EXPECT_EQ(outcome.issue[0].code, "login");
      EXPECT_EQ(outcome.issue[0].diagnostics, diagnostics);
    }
  }
  // The scheme is case-insensitive (RFC 7235 section 2.1); the probes need no token, /metrics does (by default).
  EXPECT_EQ(send("GET", "/admin/events?type=Observation&id=1", "bearer admin-token-1").status, 200U);
  EXPECT_EQ(send("GET", "/healthz", "").status, 200U);
  EXPECT_EQ(send("GET", "/readyz", "").status, 503U);  // not ready (no FHIR server), but answered
  EXPECT_EQ(send("GET", "/metrics", "").status, 401U);
  EXPECT_EQ(send("GET", "/metrics", "Bearer wrong").status, 401U);
  EXPECT_EQ(send("GET", "/metrics").status, 200U);
}

// Issue 14 (docs/ui.md): the pages take the admin token as a bearer token or as HTTP Basic's password (any user
// name), so that a browser can open them; their 401 asks for Basic first (RFC 7617 section 2), then Bearer.
TEST_F(RouterTest, ThePagesTakeTheAdminTokenAlsoAsTheBasicPassword) {
  const std::vector<std::pair<std::string, std::string>> challenge{
      {"WWW-Authenticate", R"(Basic realm="gradient-gateway", charset="UTF-8")"},
      {"WWW-Authenticate", R"(Bearer realm="gradient-gateway")"}};
  const std::pair<const char*, const char*> refused[] = {
      {"", "the admin token is required (Authorization: Bearer ..., or Basic with the token as the password)"},
      {"Basic bnVyc2U6YWRtaW4tdG9rZW4tMg==", "wrong admin token"},  // nurse:admin-token-2
      {"Basic YWRtaW4tdG9rZW4tMQ==",                                // the token without "user:"
       "the admin token is required (Authorization: Bearer ..., or Basic with the token as the password)"},
      {"Basic bnVyc2U6YWRtaW4tdG9rZW4tMQ=",
       "the admin token is required (Authorization: Bearer ..., or Basic with "
       "the token as the password)"},  // wrong padding
      {"Bearer admin-token-2", "wrong admin token"}};
  for (const char* target : {"/ui/status", "/ui/api/patients/7", "/ui"}) {  // 15 failures: under the lockout
    for (const auto& [authorization, diagnostics] : refused) {
      const auto response = send("GET", target, authorization);
      EXPECT_EQ(response.status, 401U) << target << " " << authorization;
      EXPECT_EQ(response.headers, challenge) << target;
      EXPECT_EQ(outcome_of(response).issue.at(0).diagnostics, diagnostics) << target << " " << authorization;
    }
    // Past the gate (no page is routed in this test: 404).
    EXPECT_EQ(send("GET", target, "Basic bnVyc2U6YWRtaW4tdG9rZW4tMQ==").status, 404U) << target;
    EXPECT_EQ(send("GET", target, "basic  bnVyc2U6YWRtaW4tdG9rZW4tMQ== ").status, 404U) << target;
    EXPECT_EQ(send("GET", target, "Bearer admin-token-1").status, 404U) << target;
  }
  // Only the pages: the APIs keep bearer tokens alone.
  EXPECT_EQ(send("GET", "/admin/rejections", "Basic bnVyc2U6YWRtaW4tdG9rZW4tMQ==").status, 401U);
  // "/uix" is not below "/ui".
  EXPECT_EQ(send("GET", "/uix", "").status, 404U);
}

// Issue 13, item 4: server.metrics_access. token (above); open: anyone; listener: not on the main listener (404),
// but on one of its own that serves /metrics and the probes alone, without a credential.
TEST_F(RouterTest, MetricsAreOpenOrElsewhereWhenConfigured) {
  const auto router_with = [this](MetricsRoute route) {
    RouterTargets targets{[](const HttpRequest&) { return false; },
                          [](const HttpRequest&) { return HttpResponse{}; },
                          *store_,
                          metrics_,
                          readiness_,
                          {},
                          kAdminToken};
    targets.metrics_route = route;
    return std::make_unique<Router>(std::move(targets));
  };
  HttpRequest anonymous;
  anonymous.method = "GET";
  anonymous.target = "/metrics";
  EXPECT_EQ(router_with(MetricsRoute::open)->handle(anonymous).status, 200U);
  EXPECT_FALSE(router_with(MetricsRoute::open)->refuse_before_body(anonymous));
  EXPECT_EQ(router_with(MetricsRoute::elsewhere)->handle(anonymous).status, 404U);
  EXPECT_EQ(router_with(MetricsRoute::token)->refuse_before_body(anonymous)->status, 401U);

  MetricsEndpoint endpoint(*store_, metrics_);
  const HttpHandler own = metrics_listener_handler(endpoint, readiness_, *store_);
  const auto scraped = own(anonymous);
  EXPECT_EQ(scraped.status, 200U);
  EXPECT_NE(scraped.body.find("gradient_gateway_events{state=\"pending\"}"), std::string::npos) << scraped.body;
  HttpRequest other = anonymous;
  other.target = "/healthz";
  EXPECT_EQ(own(other).status, 200U);
  other.target = "/admin/events?type=Observation&id=1";
  EXPECT_EQ(own(other).status, 404U);
  other.target = "/notify/Observation/1";
  other.method = "PUT";
  EXPECT_EQ(own(other).status, 404U);
  other.target = "/metrics";
  EXPECT_EQ(own(other).status, 405U);
}

TEST_F(RouterTest, WithoutAConfiguredAdminTokenTheOperatorRoutesAreClosed) {
  Router closed(RouterTargets{[](const HttpRequest&) { return false; },
                              [](const HttpRequest&) { return HttpResponse{}; }, *store_, metrics_, readiness_});
  HttpRequest request;
  request.method = "GET";
  request.target = "/admin/rejections";
  request.headers["authorization"] = "Bearer ";
  const auto response = closed.handle(request);
  EXPECT_EQ(response.status, 401U);
  EXPECT_NE(outcome_of(response).issue.at(0).diagnostics.find("no admin token is configured"), std::string::npos);
}

TEST_F(RouterTest, AnUnknownPathIsA404OperationOutcomeNamingThePathWithoutItsQuery) {
  const auto response = send("GET", "/admin/nothing?x=1");
  EXPECT_EQ(response.status, 404U);
  const auto outcome = outcome_of(response);
  ASSERT_EQ(outcome.issue.size(), 1U);
  EXPECT_EQ(outcome.issue[0].severity, "error");
  EXPECT_EQ(outcome.issue[0].code, "not-found");
  EXPECT_EQ(outcome.issue[0].diagnostics, "no such endpoint: /admin/nothing");
}

TEST_F(RouterTest, RoutesMatchThePathWhateverTheQuery) {
  EXPECT_EQ(send("GET", "/healthz?verbose=1").body, R"({"status":"up"})");
  EXPECT_EQ(send("GET", "/admin/events?type=Observation&id=1").body, R"({"events":[]})");
}

TEST_F(RouterTest, ReadyzReportsTheStoreTheFhirServerAndTheSubscription) {
  auto response = send("GET", "/readyz");
  EXPECT_EQ(response.status, 503U);
  EXPECT_EQ(
      response.body,
      R"({"status":"not-ready","stateStore":true,"fhirServer":false,"fhirCircuit":"closed","subscription":true})");
  readiness_.set_fhir_reachable(true);
  response = send("GET", "/readyz");
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(
      response.body,
      R"({"status":"ready","stateStore":true,"fhirServer":true,"fhirCircuit":"closed","subscription":true})");
}

TEST_F(RouterTest, MetricsRefreshTheEventGaugesAndCountEveryRequest) {
  IntakeEvent event;
  event.resource_type = "Observation";
  event.resource_id = "1";
  event.version_id = "1";
  event.received_at = "2026-11-25T10:00:00Z";
  ASSERT_TRUE(store_->record_event(event).stored());
  send("PUT", "/notify/Observation/1");
  send("GET", "/nowhere");

  const auto response = send("GET", "/metrics");
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(response.body.find("# TYPE gradient_gateway_events gauge\n"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("gradient_gateway_events{state=\"pending\"} 1\n"), std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find("gradient_gateway_events{state=\"dead\"} 0\n"), std::string::npos) << response.body;
  // The scrape itself is counted before it renders.
  EXPECT_NE(response.body.find("gradient_gateway_http_requests_total 3\n"), std::string::npos) << response.body;
}

TEST_F(RouterTest, AdminRoutesAnswerTheirOwnProblems) {
  EXPECT_EQ(send("GET", "/admin/rejections?limit=0").status, 400U);
  EXPECT_EQ(send("GET", "/admin/rejections?observation=Observation%2F1").status, 200U);
  EXPECT_EQ(send("GET", "/admin/events?id=%zz").status, 400U);
}

// POST /admin/events/retry: the operator's re-drive of dead (and failed) events, behind the admin token.
class RetryRouteTest : public RouterTest {
 protected:
  void SetUp() override {
    RouterTest::SetUp();
    router_ = std::make_unique<Router>(RouterTargets{[](const HttpRequest&) { return false; },
                                                     [](const HttpRequest&) { return HttpResponse{}; },
                                                     *store_,
                                                     metrics_,
                                                     readiness_,
                                                     {},
                                                     kAdminToken,
                                                     &clock_});
    const auto record = [&](const char* id, const char* received_at) {
      return store_
          ->record_event(
              IntakeEvent{"Observation", id, "1", "Patient/p1", IntakeSource::rest_hook, received_at, "{}", ""})
          .seq;
    };
    dead_early_ = record("1", "2024-05-01T00:00:00Z");
    dead_late_ = record("2", "2024-05-03T00:00:00Z");
    failed_ = record("3", "2024-05-03T00:00:00Z");
    ASSERT_TRUE(store_->mark_dead(dead_early_, "HTTP 500"));
    ASSERT_TRUE(store_->mark_dead(dead_late_, "HTTP 500"));
    ASSERT_TRUE(store_->mark_failed(failed_, "invalid"));
  }

  HttpResponse post(std::string target, std::string body = "",
                    std::string authorization = "Bearer admin-token-1") {
    HttpRequest request;
    request.method = "POST";
    request.target = std::move(target);
    request.body = std::move(body);
    if (!authorization.empty()) request.headers["authorization"] = std::move(authorization);
    return router_->handler()(request);
  }

  EventState state_of(std::int64_t seq) { return store_->find_event(seq)->state; }

  ManualClock clock_{std::chrono::sys_days(std::chrono::year{2024} / 6 / 1)};
  std::int64_t dead_early_ = 0;
  std::int64_t dead_late_ = 0;
  std::int64_t failed_ = 0;
};

TEST_F(RetryRouteTest, RedrivesDeadEventsDueNowAndCountsThem) {
  const auto response = post("/admin/events/retry");
  EXPECT_EQ(response.status, 200U) << response.body;
  EXPECT_EQ(response.body, R"({"redriven":2})");
  EXPECT_EQ(state_of(dead_early_), EventState::pending);
  EXPECT_EQ(store_->find_event(dead_late_)->next_attempt_at, "2024-06-01T00:00:00Z");
  EXPECT_EQ(store_->find_event(dead_late_)->attempts, 0);
  EXPECT_EQ(state_of(failed_), EventState::failed);
  EXPECT_NE(metrics_.render().find("gradient_gateway_events_redriven_total 2\n"), std::string::npos);
}

TEST_F(RetryRouteTest, SinceAndFailedComeInTheQueryOrAJsonBody) {
  EXPECT_EQ(post("/admin/events/retry?since=2024-05-02T00%3A00%3A00Z&failed=true").body, R"({"redriven":2})");
  EXPECT_EQ(state_of(dead_early_), EventState::dead);
  EXPECT_EQ(state_of(failed_), EventState::pending);
  EXPECT_EQ(post("/admin/events/retry", R"({"since":"2024-04-30","failed":false})").body, R"({"redriven":1})");
  EXPECT_EQ(state_of(dead_early_), EventState::pending);
}

TEST_F(RetryRouteTest, BadParametersAre400OperationOutcomesAndRedriveNothing) {
  for (const auto& [target, body] :
       std::vector<std::pair<std::string, std::string>>{{"/admin/events/retry?since=yesterday", ""},
                                                        {"/admin/events/retry?since=2024-05-02T00:00:00", ""},
                                                        {"/admin/events/retry?failed=yes", ""},
                                                        {"/admin/events/retry", "since=2024-05-02"},
                                                        {"/admin/events/retry", R"({"since":20240502})"},
                                                        {"/admin/events/retry", R"({"failed":"true"})"},
                                                        {"/admin/events/retry", "[]"}}) {
    const auto response = post(target, body);
    EXPECT_EQ(response.status, 400U) << target << " " << body;
    EXPECT_EQ(outcome_of(response).issue.at(0).severity, "error");
  }
  EXPECT_EQ(store_->counts().dead, 2);
  EXPECT_EQ(store_->counts().failed, 1);
}

TEST_F(RetryRouteTest, AnswersPostOnlyAndOnlyWithTheAdminToken) {
  EXPECT_EQ(post("/admin/events/retry", "", "").status, 401U);
  EXPECT_EQ(post("/admin/events/retry", "", "Bearer wrong").status, 401U);
  EXPECT_EQ(store_->counts().dead, 2);
  const auto got = send("GET", "/admin/events/retry");
  EXPECT_EQ(got.status, 405U);
  EXPECT_EQ(outcome_of(got).issue.at(0).diagnostics, "only POST here");
}

}  // namespace
}  // namespace gg::gateway
