// ensure_websocket_subscription through the FHIR client seam, against the in-memory fake (HAPI activating and
// pinging is proven in tests/integration/test_websocket_transport.py).
#include "gateway/ingress/websocket_subscription.hpp"
#include "gateway_test_support.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "fake_fhir_client.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {
namespace {

using testing::FakeFhirClient;
using testing::Interaction;

WebsocketSubscriptionSpec spec(bool create = true) {
  WebsocketSubscriptionSpec wanted{"Observation?code=http://loinc.org|2143-6"};
  wanted.create = create;
  return wanted;
}

class WebsocketSubscriptionTest : public ::testing::Test {
 protected:
  WebsocketSubscriptionTest() { store_ = testing::open_test_store(); }

  // activation_timeout 0: one read after the write, no waiting.
  WebsocketSubscriptionResult ensure(bool create = true) {
    auto done = boost::asio::co_spawn(
        io_, ensure_websocket_subscription(fhir_, *store_, spec(create), std::chrono::seconds(0)),
        boost::asio::use_future);
    io_.run();
    return done.get();
  }

  fhir::Subscription seed(std::string id, std::string status, std::string type = "websocket") {
    auto subscription = desired_websocket_subscription(spec());
    subscription.id = std::move(id);
    subscription.status = std::move(status);
    subscription.channel.type = std::move(type);
    return std::get<fhir::Subscription>(fhir_.put(subscription));
  }

  boost::asio::io_context io_;
  ManualClock clock_{std::chrono::sys_days{std::chrono::November / 26 / 2026}};
  FakeFhirClient fhir_{clock_};
  std::unique_ptr<StateStore> store_;
};

TEST_F(WebsocketSubscriptionTest, TheDesiredOneIsAWebsocketChannelWithoutEndpointOrPayload) {
  const auto wanted = desired_websocket_subscription(spec());
  EXPECT_EQ(wanted.channel.type, "websocket");
  EXPECT_TRUE(wanted.channel.endpoint.empty());
  EXPECT_TRUE(wanted.channel.payload.empty());
  EXPECT_TRUE(wanted.channel.header.empty());  // no secret travels: nothing is sent to the gateway over HTTP
  EXPECT_EQ(wanted.criteria, spec().criteria);
  EXPECT_TRUE(websocket_subscription_matches(wanted, spec()));
}

TEST_F(WebsocketSubscriptionTest, UsesAnActiveMatchingOneFoundBySearchAndRemembersIt) {
  seed("rest", "active", "rest-hook");
  seed("ws-1", "active");
  const auto result = ensure();
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_EQ(*result, "ws-1");
  EXPECT_EQ(fhir_.count(Interaction::create) + fhir_.count(Interaction::update), 0u);
  EXPECT_EQ(store_->subscription_id("websocket"), "ws-1");
}

TEST_F(WebsocketSubscriptionTest, CreatesOneWhenNoneMatches) {
  seed("off-1", "off");
  const auto result = ensure();
  EXPECT_FALSE(result.has_value());  // the fake never activates
  EXPECT_NE(result.error().find("did not become active"), std::string::npos) << result.error();
  ASSERT_EQ(fhir_.count(Interaction::create), 1u);
  const auto remembered = store_->subscription_id("websocket");
  ASSERT_TRUE(remembered);
  EXPECT_NE(*remembered, "off-1");
  const auto created = std::get<fhir::Subscription>(*fhir_.current("Subscription", *remembered));
  EXPECT_EQ(created.channel.type, "websocket");
}

TEST_F(WebsocketSubscriptionTest, RepairsTheRememberedOneWhenTheServerSetItToError) {
  seed("ws-7", "error");
  store_->set_subscription_id("websocket", "ws-7");
  (void)ensure();
  EXPECT_EQ(fhir_.count(Interaction::update), 1u);
  EXPECT_EQ(fhir_.count(Interaction::create), 0u);
  EXPECT_EQ(std::get<fhir::Subscription>(*fhir_.current("Subscription", "ws-7")).status, "requested");
}

TEST_F(WebsocketSubscriptionTest, WithoutManageItNeverWritesAndSaysWhy) {
  const auto result = ensure(false);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("subscription.manage is false"), std::string::npos) << result.error();
  EXPECT_EQ(fhir_.count(Interaction::create) + fhir_.count(Interaction::update), 0u);
}

// The keeper's scheduled check reads the recorded Subscription: one deleted, errored or of another channel is
// lost.
TEST_F(WebsocketSubscriptionTest, TheKeeperFindsItsSubscriptionGoneErroredOrChanged) {
  const auto keeper = websocket_keeper(fhir_, *store_, spec(), std::chrono::seconds(0));
  const auto verify = [&] {
    auto done = boost::asio::co_spawn(io_, keeper.verify(), boost::asio::use_future);
    io_.restart();
    io_.run();
    return done.get();
  };
  store_->set_subscription_id("websocket", "ws-1");
  EXPECT_EQ(*verify(), "Subscription/ws-1 is gone (HTTP 404)");
  seed("ws-1", "active");
  EXPECT_EQ(*verify(), "");
  seed("ws-1", "error");
  EXPECT_EQ(*verify(), "Subscription/ws-1 is error");
  seed("ws-1", "active", "rest-hook");
  EXPECT_EQ(*verify(), "Subscription/ws-1 was changed (status active)");
  EXPECT_EQ(fhir_.count(Interaction::create) + fhir_.count(Interaction::update), 0u) << "verification only reads";
}

}  // namespace
}  // namespace gg::gateway
