// What counts as a lost Subscription, and the keeping loop that repairs it, shared by the rest-hook, topic and
// websocket kinds (gateway/ingress/subscription_keeper.hpp). That HAPI really recreates and delivers is proven in
// tests/integration (test_faults.DeletedSubscription, DeletedTopicSubscription, DeletedWebsocketSubscription).
#include "gateway/ingress/subscription_keeper.hpp"
#include "gateway_test_support.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <vector>

namespace gg::gateway {
namespace {

struct LostCase {
  const char* name;
  SubscriptionFound found;
  const char* reason;  // empty: not lost
};

TEST(SubscriptionLostReason, GoneErroredChangedOrNotActiveIsLostAndOnlyActiveUnchangedIsNot) {
  const std::vector<LostCase> cases = {
      {"active and unchanged", {200, "active", true}, ""},
      {"deleted", {410, "", false}, "Subscription/7 is gone (HTTP 410)"},
      {"never there", {404, "", false}, "Subscription/7 is gone (HTTP 404)"},
      {"errored by the server", {200, "error", true}, "Subscription/7 is error"},
      {"switched off", {200, "off", true}, "Subscription/7 is off"},
      {"errored and changed: the error first", {200, "error", false}, "Subscription/7 is error"},
      {"criteria or endpoint changed", {200, "active", false}, "Subscription/7 was changed (status active)"},
      {"written again, not yet active", {200, "requested", true}, "Subscription/7 is requested, not active"},
      {"a body that is no Subscription", {200, "", false}, "Subscription/7 was changed (status )"},
  };
  for (const auto& c : cases) EXPECT_EQ(subscription_lost_reason("7", c.found), c.reason) << c.name;
  EXPECT_EQ(subscription_lost_reason("", {200, "active", true}), "none recorded");
}

// A kind whose server answers are scripted: ensure() and read() take the next answer of their queue.
struct Script {
  std::deque<EnsureResult> ensure_answers;
  std::deque<fhir::RestResult<SubscriptionFound>> read_answers;
  std::vector<std::string> reads;
  int ensures = 0;
};

boost::asio::awaitable<EnsureResult> scripted_ensure(Script& script, StateStore& store) {
  ++script.ensures;
  auto next = script.ensure_answers.front();
  script.ensure_answers.pop_front();
  if (next) store.set_subscription_id("topic", *next);
  co_return next;
}

boost::asio::awaitable<fhir::RestResult<SubscriptionFound>> scripted_read(Script& script, std::string id) {
  script.reads.push_back(std::move(id));
  auto next = script.read_answers.front();
  script.read_answers.pop_front();
  co_return next;
}

EnsureResult active(std::string id) {
  return EnsureResult(boost::system::in_place_value, std::move(id));
}

TEST(KeepSubscription, VerifiesTheRecordedIdAndRecreatesALostOneThenIsActiveAgain) {
  auto store = testing::open_test_store();
  Script script;
  const SubscriptionKeeper keeper(
      *store, "topic", [&] { return scripted_ensure(script, *store); },
      [&](std::string id) { return scripted_read(script, std::move(id)); });
  script.ensure_answers = {EnsureResult(boost::system::in_place_error, "HAPI said no"), active("1"), active("2")};
  script.read_answers = {
      SubscriptionFound{200, "active", true},
      fhir::RestResult<SubscriptionFound>(boost::system::in_place_error,
                                          fhir::RestError{{}, "connection refused", 0, std::nullopt}),
      SubscriptionFound{410, "", false}};
  boost::asio::io_context io;
  std::vector<bool> states;
  boost::asio::co_spawn(io,
                        keep_subscription(keeper, KeepOptions{std::chrono::seconds(0), std::chrono::seconds(0)},
                                          [&](bool now_active) {
                                            states.push_back(now_active);
                                            if (states.size() == 3) io.stop();
                                          }),
                        boost::asio::detached);
  io.run();
  // A failed ensure is retried; an unreachable server is no loss; a deleted one is: not active, then recreated.
  EXPECT_EQ(states, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(script.ensures, 3);
  EXPECT_EQ(script.reads, (std::vector<std::string>{"1", "1", "1"}));
  EXPECT_EQ(store->subscription_id("topic"), "2");
}

}  // namespace
}  // namespace gg::gateway
