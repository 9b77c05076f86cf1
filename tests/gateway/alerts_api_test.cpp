// The alert subscriptions API without sockets: what each route answers and stores, and that bad input is a 4xx
// OperationOutcome that changes nothing (issue 10 item 2).
#include "gateway/alerts/alerts_api.hpp"

#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include <string>

#include "gateway_test_support.hpp"

namespace gg::gateway {
namespace {

using namespace std::chrono_literals;

class AlertsApiTest : public ::testing::Test {
 protected:
  AlertsApiTest()
      : store_(testing::open_test_store()),
        api_(AlertsApiOptions{false, 3600s, {"homa-ir", "cortisol-dheas-ratio"}}, *store_, clock_,
             [this] { ++changed_; }) {}

  HttpResponse send(std::string method, std::string target, std::string body = {}) {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    return api_.handle(request);
  }

  static rapidjson::Document json(const HttpResponse& response) {
    rapidjson::Document document;
    document.Parse(response.body.c_str());
    EXPECT_FALSE(document.HasParseError()) << response.body;
    return document;
  }

  std::string create(const std::string& body) {
    const auto response = send("POST", "/alerts/subscriptions", body);
    EXPECT_EQ(response.status, 201U) << response.body;
    return json(response)["id"].GetString();
  }

  ManualClock clock_{std::chrono::sys_seconds(std::chrono::days(20'000))};
  std::unique_ptr<StateStore> store_;
  AlertsApi api_;
  int changed_ = 0;
};

TEST_F(AlertsApiTest, CreateAnswers201WithTheSecretOnceAndTheListNeverShowsIt) {
  const auto response = send("POST", "/alerts/subscriptions",
                             R"({"url":"https://Receiver.example.org/hook","min_level":"moderate",)"
                             R"("types":["gradient.finding"],"codes":["homa-ir"],"description":"pager"})");
  ASSERT_EQ(response.status, 201U) << response.body;
  const auto created = json(response);
  const std::string id = created["id"].GetString();
  EXPECT_TRUE(id.starts_with("sub_"));
  EXPECT_TRUE(std::string(created["secret"].GetString()).starts_with("whsec_"));
  EXPECT_EQ(std::string(created["url"].GetString()), "https://receiver.example.org/hook");
  EXPECT_EQ(response.headers,
            (std::vector<std::pair<std::string, std::string>>{{"Location", "/alerts/subscriptions/" + id}}));
  EXPECT_EQ(changed_, 1);

  const auto stored = store_->alerts().find(id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->secret, created["secret"].GetString());
  EXPECT_EQ(stored->types, std::vector<std::string>{"gradient.finding"});
  for (const auto& read : {send("GET", "/alerts/subscriptions"), send("GET", "/alerts/subscriptions/" + id)}) {
    EXPECT_EQ(read.status, 200U);
    EXPECT_EQ(read.body.find("whsec_"), std::string::npos) << read.body;
    EXPECT_NE(read.body.find(id), std::string::npos);
  }
}

TEST_F(AlertsApiTest, BadSubscriptionsAre400WithEveryProblemAndStoreNothing) {
  const std::pair<const char*, const char*> cases[] = {
      {"{", "the body is not JSON"},
      {"[]", "the body must be a JSON object"},
      {R"({"min_level":"high"})", "url is required"},
      {R"({"url":"https://x.example.org/"})", "min_level is required"},
      {R"({"url":"http://x.example.org/","min_level":"high"})", "url: http:// is accepted only"},
      {R"({"url":"http://127.0.0.1:9/","min_level":"high"})", "url: http:// is accepted only"},
      {R"({"url":"https://x.example.org/","min_level":"urgent"})", "min_level must be one of"},
      {R"({"url":"https://x.example.org/","min_level":"low","types":["gradient.everything"]})",
       "unknown alert type"},
      {R"({"url":"https://x.example.org/","min_level":"low","codes":["tsh"]})", "unknown gradient code 'tsh'"},
      {R"({"url":"https://x.example.org/","min_level":"low","codes":"homa-ir"})", "codes must be an array"},
      {R"({"url":"https://x.example.org/","min_level":"low","state":"active"})", "unknown member 'state'"},
  };
  for (const auto& [body, diagnostics] : cases) {
    const auto response = send("POST", "/alerts/subscriptions", body);
    EXPECT_EQ(response.status, 400U) << body;
    const auto outcome = testing::outcome_of(response);
    ASSERT_FALSE(outcome.issue.empty()) << body;
    EXPECT_NE(outcome.issue[0].diagnostics.find(diagnostics), std::string::npos)
        << body << ": " << outcome.issue[0].diagnostics;
  }
  EXPECT_TRUE(store_->alerts().subscriptions().empty());
  EXPECT_EQ(changed_, 0);
}

TEST_F(AlertsApiTest, PatchChangesOnlyWhatItNamesAndCanReEnableADisabledSubscription) {
  const auto id = create(R"({"url":"https://x.example.org/","min_level":"low","description":"a"})");
  auto disabled = *store_->alerts().find(id);
  disabled.state = "disabled";
  disabled.disabled_reason = "the receiver answered 410 Gone";
  ASSERT_TRUE(store_->alerts().update(disabled));
  clock_.advance(60s);
  const auto response = send("PATCH", "/alerts/subscriptions/" + id, R"({"min_level":"high","state":"active"})");
  ASSERT_EQ(response.status, 200U) << response.body;
  const auto after = *store_->alerts().find(id);
  EXPECT_EQ(after.min_level, "high");
  EXPECT_EQ(after.state, "active");
  EXPECT_TRUE(after.disabled_reason.empty());
  EXPECT_EQ(after.description, "a");
  EXPECT_EQ(after.secret, disabled.secret);
  EXPECT_NE(after.updated_at, after.created_at);
  EXPECT_EQ(send("PATCH", "/alerts/subscriptions/" + id, R"({"url":"ftp://x/"})").status, 400U);
  EXPECT_EQ(store_->alerts().find(id)->url, "https://x.example.org/");
}

TEST_F(AlertsApiTest, RotationKeepsTheOldSecretSigningForTheOverlap) {
  const auto id = create(R"({"url":"https://x.example.org/","min_level":"low"})");
  const auto old_secret = store_->alerts().find(id)->secret;
  const auto response = send("POST", "/alerts/subscriptions/" + id + "/rotate-secret");
  ASSERT_EQ(response.status, 200U);
  const auto rotated = *store_->alerts().find(id);
  EXPECT_EQ(rotated.secret, json(response)["secret"].GetString());
  EXPECT_NE(rotated.secret, old_secret);
  EXPECT_EQ(rotated.previous_secret, old_secret);
  EXPECT_EQ(rotated.previous_until, format_instant(clock_.now() + 3600s));
}

TEST_F(AlertsApiTest, UnknownIdsAre404AndWrongMethods405) {
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/alerts/subscriptions/sub_x"},
                                                        {"DELETE", "/alerts/subscriptions/sub_x"},
                                                        {"POST", "/alerts/subscriptions/sub_x/rotate-secret"},
                                                        {"GET", "/alerts/subscriptions/sub_x/deliveries"}}) {
    EXPECT_EQ(send(method, target).status, 404U) << method << " " << target;
  }
  const auto id = create(R"({"url":"https://x.example.org/","min_level":"low"})");
  EXPECT_EQ(send("PUT", "/alerts/subscriptions").status, 405U);
  EXPECT_EQ(send("POST", "/alerts/subscriptions/" + id).status, 405U);
  EXPECT_EQ(send("GET", "/alerts/subscriptions/" + id + "/replay").status, 405U);
  EXPECT_EQ(send("GET", "/alerts/subscriptions/" + id + "/elsewhere").status, 404U);
  EXPECT_EQ(send("DELETE", "/alerts/subscriptions/" + id).status, 204U);
  EXPECT_EQ(send("GET", "/alerts/subscriptions/" + id).status, 404U);
}

TEST_F(AlertsApiTest, ReplayNeedsAWebhookIdOrATimeRange) {
  const auto id = create(R"({"url":"https://x.example.org/","min_level":"low"})");
  const auto target = "/alerts/subscriptions/" + id + "/replay";
  EXPECT_EQ(send("POST", target, "{}").status, 400U);
  EXPECT_EQ(send("POST", target, R"({"from":"2026-12-01T00:00:00Z"})").status, 400U);
  EXPECT_EQ(send("POST", target, R"({"from":"yesterday","to":"2026-12-01T00:00:00Z"})").status, 400U);
  EXPECT_EQ(
      send("POST", target, R"({"webhook_id":"msg_a","from":"2026-12-01T00:00:00Z","to":"2026-12-02T00:00:00Z"})")
          .status,
      400U);
  const auto replayed =
      send("POST", target, R"({"from":"2026-12-01T00:00:00+01:00","to":"2026-12-02T00:00:00Z"})");
  EXPECT_EQ(replayed.status, 202U) << replayed.body;
  EXPECT_EQ(replayed.body, R"({"queued":0})");
  EXPECT_EQ(send("GET", "/alerts/subscriptions/" + id + "/deliveries?limit=0").status, 400U);
  EXPECT_EQ(send("GET", "/alerts/subscriptions/" + id + "/deliveries").body, R"({"deliveries":[]})");
}

}  // namespace
}  // namespace gg::gateway
