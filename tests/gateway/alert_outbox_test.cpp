// The alert outbox on an in-memory store: alerts enter with their events in one transaction, once per key; each
// subscription gets what passes its filters, in its own FIFO queue; attempts are logged; replay re-queues with
// the original webhook-ids; the stream reads alerts by sequence number.
#include "gateway/store/alert_outbox.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gateway_test_support.hpp"

namespace gg::gateway {
namespace {

AlertSubscription subscription(std::string id, std::string min_level, std::vector<std::string> types = {},
                               std::vector<std::string> codes = {}) {
  AlertSubscription s;
  s.id = std::move(id);
  s.url = "https://receiver.example.org/hook";
  s.min_level = std::move(min_level);
  s.types = std::move(types);
  s.codes = std::move(codes);
  s.secret = "whsec_c2VjcmV0";
  s.created_at = "2026-12-01T00:00:00Z";
  s.updated_at = s.created_at;
  return s;
}

NewAlert alert(const std::string& key, std::string type, std::string level, std::string code = "homa-ir",
               std::string created_at = "2026-12-01T10:00:00Z") {
  return {key,
          "msg_" + key,
          std::move(type),
          "Patient/7",
          std::move(code),
          std::move(level),
          "Observation/" + key,
          std::move(created_at),
          R"({"type":"x"})",
          ""};
}

class AlertOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::open_test_store();
    ASSERT_TRUE(outbox().create(subscription("all", "low")));
    ASSERT_TRUE(outbox().create(subscription("high-only", "high")));
    ASSERT_TRUE(outbox().create(subscription("changes", "low", {"gradient.change"})));
    ASSERT_TRUE(outbox().create(subscription("cortisol", "low", {}, {"cortisol-dheas-ratio"})));
  }

  AlertOutbox& outbox() { return store_->alerts(); }

  // The webhook-ids queued for a subscription, delivering each head in turn.
  std::vector<std::string> drain(const std::string& id) {
    std::vector<std::string> out;
    while (auto head = outbox().head(id)) {
      out.push_back(head->alert.webhook_id);
      EXPECT_TRUE(
          outbox().settle({id, head->alert.seq, head->alert.webhook_id, "2026-12-01T10:00:01Z", 200, 12, ""},
                          DeliveryNext::delivered, ""));
    }
    return out;
  }

  std::unique_ptr<StateStore> store_;
};

TEST_F(AlertOutboxTest, AlertsAreQueuedWithTheirEventsAndOnlyOncePerKey) {
  const auto seq = store_->record_event(
      {"Observation", "o1", "1", "Patient/7", IntakeSource::rest_hook, "2026-12-01T09:00:00Z", "", ""});
  ASSERT_TRUE(seq.stored());
  const auto events = store_->claim_due("2026-12-01T09:00:00Z", 10);
  ASSERT_EQ(events.size(), 1U);
  const auto completed =
      store_->complete({events[0].seq}, {alert("a", "gradient.finding", "moderate")}, "2026-12-01T10:00:00Z");
  ASSERT_TRUE(completed);
  EXPECT_EQ(completed->events_done, 1U);
  EXPECT_EQ(completed->alerts_queued, 1U);
  EXPECT_EQ(store_->find_event(events[0].seq)->state, EventState::done);
  // A re-analysis raising the same alert queues nothing more.
  EXPECT_EQ(
      store_->complete({}, {alert("a", "gradient.finding", "moderate")}, "2026-12-01T11:00:00Z")->alerts_queued,
      0U);
  EXPECT_EQ(drain("all"), (std::vector<std::string>{"msg_a"}));
  EXPECT_EQ(outbox().after(0, 10).size(), 1U);
}

TEST_F(AlertOutboxTest, EachSubscriptionGetsWhatPassesItsLevelTypeAndCodeFilters) {
  ASSERT_TRUE(store_->complete({},
                               {alert("low", "gradient.finding", "low"), alert("high", "gradient.finding", "high"),
                                alert("change", "gradient.change", ""),
                                alert("cortisol", "gradient.finding", "moderate", "cortisol-dheas-ratio")},
                               "2026-12-01T10:00:00Z"));
  EXPECT_EQ(drain("all"), (std::vector<std::string>{"msg_low", "msg_high", "msg_change", "msg_cortisol"}));
  // A change without a graded value passes any min_level; a graded alert must reach it.
  EXPECT_EQ(drain("high-only"), (std::vector<std::string>{"msg_high", "msg_change"}));
  EXPECT_EQ(drain("changes"), (std::vector<std::string>{"msg_change"}));
  EXPECT_EQ(drain("cortisol"), (std::vector<std::string>{"msg_cortisol"}));
}

TEST_F(AlertOutboxTest, ADisabledSubscriptionGetsNothingNew) {
  auto disabled = *outbox().find("all");
  disabled.state = "disabled";
  disabled.disabled_reason = "410 Gone";
  ASSERT_TRUE(outbox().update(disabled));
  ASSERT_TRUE(store_->complete({}, {alert("a", "gradient.finding", "high")}, "2026-12-01T10:00:00Z"));
  EXPECT_FALSE(outbox().head("all"));
  EXPECT_EQ(outbox().find("all")->disabled_reason, "410 Gone");
}

TEST_F(AlertOutboxTest, TheHeadStaysInFrontThroughRetriesAndAttemptsAreLoggedNewestFirst) {
  ASSERT_TRUE(store_->complete({},
                               {alert("a", "gradient.finding", "high"), alert("b", "gradient.finding", "high")},
                               "2026-12-01T10:00:00Z"));
  auto head = outbox().head("all");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->alert.webhook_id, "msg_a");
  ASSERT_TRUE(outbox().settle({"all", head->alert.seq, "msg_a", "2026-12-01T10:00:00Z", 503, 20, "HTTP 503"},
                              DeliveryNext::retry, "2026-12-01T10:00:05Z"));
  head = outbox().head("all");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->alert.webhook_id, "msg_a");  // b waits behind it: order holds across retries
  EXPECT_EQ(head->attempts, 1);
  EXPECT_EQ(head->next_attempt_at, "2026-12-01T10:00:05Z");
  EXPECT_EQ(head->last_error, "HTTP 503");
  ASSERT_TRUE(outbox().settle({"all", head->alert.seq, "msg_a", "2026-12-01T10:00:05Z", 0, 15000, "timeout"},
                              DeliveryNext::dead, ""));
  EXPECT_EQ(outbox().head("all")->alert.webhook_id, "msg_b");

  const auto attempts = outbox().attempts("all", 10);
  ASSERT_EQ(attempts.size(), 2U);
  EXPECT_EQ(attempts[0].http_status, 0);
  EXPECT_EQ(attempts[0].error, "timeout");
  EXPECT_EQ(attempts[1].http_status, 503);
  EXPECT_EQ(attempts[1].latency_ms, 20);

  // The operations page's summary: a dead, a pending, the latest attempt's error; the other subscriptions empty.
  const auto summaries = outbox().delivery_summaries();
  const auto all = std::find_if(summaries.begin(), summaries.end(),
                                [](const DeliverySummary& s) { return s.subscription_id == "all"; });
  ASSERT_NE(all, summaries.end());
  EXPECT_EQ(all->pending, 1);
  EXPECT_EQ(all->delivered, 0);
  EXPECT_EQ(all->dead, 1);
  EXPECT_EQ(all->last_attempt_at, "2026-12-01T10:00:05Z");
  EXPECT_EQ(all->last_http_status, 0);
  EXPECT_EQ(all->last_error, "timeout");
  ASSERT_EQ(summaries.size(), outbox().subscriptions().size());
  for (const auto& summary : summaries) {
    if (summary.subscription_id == "all") continue;
    EXPECT_EQ(summary.dead, 0) << summary.subscription_id;
    EXPECT_EQ(summary.last_attempt_at, "") << summary.subscription_id;
  }
}

TEST_F(AlertOutboxTest, ReplayQueuesAgainByWebhookIdOrTimeRangeKeepingTheIds) {
  ASSERT_TRUE(store_->complete({},
                               {alert("a", "gradient.finding", "high", "homa-ir", "2026-12-01T10:00:00Z"),
                                alert("b", "gradient.finding", "high", "homa-ir", "2026-12-01T11:00:00Z"),
                                alert("c", "gradient.finding", "high", "homa-ir", "2026-12-01T12:00:00Z")},
                               "2026-12-01T12:00:00Z"));
  ASSERT_EQ(drain("high-only").size(), 3U);
  EXPECT_EQ(
      outbox().replay("high-only", "", "2026-12-01T10:30:00Z", "2026-12-01T12:00:00Z", "2026-12-02T00:00:00Z"),
      2U);
  EXPECT_EQ(drain("high-only"), (std::vector<std::string>{"msg_b", "msg_c"}));
  EXPECT_EQ(outbox().replay("high-only", "msg_a", "", "", "2026-12-02T00:00:00Z"), 1U);
  EXPECT_EQ(drain("high-only"), (std::vector<std::string>{"msg_a"}));
  // A subscription that never had the alert queued gets it too (it may have been created later).
  EXPECT_EQ(outbox().replay("changes", "msg_a", "", "", "2026-12-02T00:00:00Z"), 1U);
  EXPECT_EQ(drain("changes"), (std::vector<std::string>{"msg_a"}));
}

TEST_F(AlertOutboxTest, TheStreamReadsAlertsAfterASequenceNumberAndRetractionsFindTheirAlerts) {
  ASSERT_TRUE(store_->complete({}, {alert("a", "gradient.finding", "high"), alert("b", "gradient.change", "")},
                               "2026-12-01T10:00:00Z"));
  const auto all = outbox().after(0, 10);
  ASSERT_EQ(all.size(), 2U);
  EXPECT_LT(all[0].seq, all[1].seq);
  const auto rest = outbox().after(all[0].seq, 10);
  ASSERT_EQ(rest.size(), 1U);
  EXPECT_EQ(rest[0].key, "b");
  EXPECT_EQ(outbox().about("Observation/a").size(), 1U);
  EXPECT_TRUE(outbox().about("Observation/zz").empty());
}

TEST_F(AlertOutboxTest, RemovingASubscriptionRemovesItsQueueAndAttempts) {
  ASSERT_TRUE(store_->complete({}, {alert("a", "gradient.finding", "high")}, "2026-12-01T10:00:00Z"));
  EXPECT_TRUE(outbox().remove("all"));
  EXPECT_FALSE(outbox().remove("all"));
  EXPECT_FALSE(outbox().find("all"));
  EXPECT_FALSE(outbox().head("all"));
  const auto depths = outbox().queue_depths();
  ASSERT_EQ(depths.size(), 3U);
  EXPECT_EQ(depths[1], (std::pair<std::string, std::int64_t>{"cortisol", 0}));
  EXPECT_EQ(depths[2], (std::pair<std::string, std::int64_t>{"high-only", 1}));
}

}  // namespace
}  // namespace gg::gateway
