// The admin API's routes: their query parameters (percent-decoded), the limit's bounds, and problems answered as
// OperationOutcomes. The bodies' shape is what tests/integration reads (harness.py events(), test_terminology.py).
#include "gateway/http/admin_api.hpp"
#include "gateway_test_support.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "fhir/json_codec.hpp"

namespace gg::gateway {
namespace {

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::open_test_store(); }

  static HttpRequest get(std::string target) {
    HttpRequest request;
    request.method = "GET";
    request.target = std::move(target);
    return request;
  }

  void record_rejection(const std::string& observation, const std::string& recorded_at) {
    StoredRejection rejection;
    rejection.observation = observation;
    rejection.version_id = "1";
    rejection.reasons = "incompatible-unit";
    rejection.outcome = R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"value",)"
                        R"("diagnostics":")" +
                        observation + R"("}]})";
    rejection.recorded_at = recorded_at;
    ASSERT_TRUE(store_->record_rejection(rejection));
  }

  std::unique_ptr<StateStore> store_;
};

TEST(RejectionsLimit, IsAWholeNumberFromOneToAThousandAndDefaultsToAHundred) {
  struct Case {
    std::string_view text;
    std::optional<std::size_t> limit;
  };
  for (const auto& [text, limit] : {
           Case{"", 100},
           Case{"1", 1},
           Case{"1000", 1000},
           Case{"0", std::nullopt},
           Case{"1001", std::nullopt},
           Case{"abc", std::nullopt},
           Case{"10x", std::nullopt},
           Case{"-1", std::nullopt},
           Case{"+1", std::nullopt},
           Case{" 1", std::nullopt},
           Case{"1.5", std::nullopt},
           Case{"99999999999999999999999", std::nullopt},
       }) {
    EXPECT_EQ(rejections_limit(text), limit) << '"' << text << '"';
  }
}

TEST_F(AdminApiTest, ABadLimitIsA400OperationOutcomeWithTheSameMessage) {
  for (const char* limit : {"0", "1001", "abc", "10x"}) {
    const auto response = admin_rejections(*store_, get(std::string("/admin/rejections?limit=") + limit));
    EXPECT_EQ(response.status, 400U) << limit;
    EXPECT_EQ(response.content_type, kFhirJson);
    const auto outcome = testing::outcome_of(response);
    ASSERT_EQ(outcome.issue.size(), 1U);
    EXPECT_EQ(outcome.issue[0].code, "value");
    EXPECT_EQ(outcome.issue[0].diagnostics, "limit must be a whole number from 1 to 1000");
  }
}

TEST_F(AdminApiTest, LimitsAtTheBoundsAreAccepted) {
  for (const char* limit : {"1", "1000", ""}) {
    const auto response = admin_rejections(*store_, get(std::string("/admin/rejections?limit=") + limit));
    EXPECT_EQ(response.status, 200U) << limit;
    EXPECT_EQ(response.content_type, "application/fhir+json");
    EXPECT_EQ(response.body, R"({"resourceType":"Bundle","type":"collection","total":0})");
  }
}

TEST_F(AdminApiTest, RejectionsAreFoundByAPercentEncodedObservationAndLimited) {
  record_rejection("Observation/1", "2026-11-25T10:00:00Z");
  record_rejection("Observation/2", "2026-11-25T10:01:00Z");
  record_rejection("Observation/3", "2026-11-25T10:02:00Z");

  const auto one = admin_rejections(*store_, get("/admin/rejections?observation=Observation%2F1"));
  EXPECT_EQ(one.status, 200U);
  EXPECT_NE(one.body.find(R"("total":1)"), std::string::npos) << one.body;
  EXPECT_NE(one.body.find(R"("diagnostics":"Observation/1")"), std::string::npos) << one.body;

  const auto limited = admin_rejections(*store_, get("/admin/rejections?limit=2"));
  EXPECT_NE(limited.body.find(R"("total":2)"), std::string::npos) << limited.body;
  EXPECT_EQ(limited.body.find("Observation/1"), std::string::npos) << "most recent first: " << limited.body;
}

TEST_F(AdminApiTest, EventsAreFoundByPercentEncodedParameters) {
  IntakeEvent event;
  event.resource_type = "Observation";
  event.resource_id = "a-1";
  event.version_id = "2";
  event.received_at = "2026-11-25T10:00:00Z";
  ASSERT_TRUE(store_->record_event(event).stored());

  const auto response = admin_events(*store_, get("/admin/events?type=Observation&id=a%2D1"));
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body,
            R"({"events":[{"seq":1,"type":"Observation","id":"a-1","versionId":"2","source":"rest-hook",)"
            R"("state":"pending","attempts":0,"receivedAt":"2026-11-25T10:00:00Z","lastError":""}]})");

  const auto none = admin_events(*store_, get("/admin/events?type=Observation"));
  EXPECT_EQ(none.body, R"({"events":[]})");
}

TEST_F(AdminApiTest, AMalformedTargetIsA400OperationOutcome) {
  for (const auto& response : {admin_events(*store_, get("/admin/events?type=Observation&id=%zz")),
                               admin_rejections(*store_, get("/admin/rejections?observation=%"))}) {
    EXPECT_EQ(response.status, 400U);
    const auto outcome = testing::outcome_of(response);
    ASSERT_EQ(outcome.issue.size(), 1U);
    EXPECT_EQ(outcome.issue[0].code, "structure");
  }
}

}  // namespace
}  // namespace gg::gateway
