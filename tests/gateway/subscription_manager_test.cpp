// ensure_subscription through the FHIR client seam, against the in-memory fake (the HAPI integration tests remain
// the proof that a real server activates what it writes).
#include "gateway/ingress/subscription_manager.hpp"
#include "gateway_test_support.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "fake_fhir_client.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {
namespace {

using testing::FakeFailure;
using testing::FakeFhirClient;
using testing::Interaction;

SubscriptionSpec spec() {
  SubscriptionSpec wanted;
  wanted.criteria = "Observation?code=http://loinc.org|2143-6";
  wanted.endpoint = "https://gateway.example.org/notifications";
  wanted.header = "X-Gradient-Secret: s3cret";
  return wanted;
}

class SubscriptionManagerTest : public ::testing::Test {
 protected:
  SubscriptionManagerTest() { store_ = testing::open_test_store(); }

  // activation_timeout 0: one read after the write, no waiting (the fake never activates what it stores).
  EnsureResult ensure(std::chrono::seconds activation_timeout = std::chrono::seconds(0)) {
    auto done = boost::asio::co_spawn(io_, ensure_subscription(fhir_, *store_, spec(), activation_timeout),
                                      boost::asio::use_future);
    io_.run();
    return done.get();
  }

  VerifyResult verify() {
    auto done = boost::asio::co_spawn(io_, verify_subscription(fhir_, *store_, spec()), boost::asio::use_future);
    io_.restart();
    io_.run();
    return done.get();
  }

  fhir::Subscription seed(std::string id, std::string status, std::string criteria) {
    auto subscription = desired_subscription(spec());
    subscription.id = std::move(id);
    subscription.status = std::move(status);
    subscription.criteria = std::move(criteria);
    return std::get<fhir::Subscription>(fhir_.put(subscription));
  }

  boost::asio::io_context io_;
  ManualClock clock_{std::chrono::sys_days{std::chrono::November / 26 / 2026}};
  FakeFhirClient fhir_{clock_};
  std::unique_ptr<StateStore> store_;
};

TEST_F(SubscriptionManagerTest, KeepsAnActiveMatchingSubscriptionFoundByEndpointAndRemembersItsId) {
  seed("sub-1", "active", spec().criteria);
  const auto result = ensure();
  EXPECT_TRUE(result.has_value()) << result.error();
  EXPECT_EQ(*result, "sub-1");
  EXPECT_EQ(fhir_.count(Interaction::create) + fhir_.count(Interaction::update), 0u);
  EXPECT_EQ(store_->subscription_id("rest-hook"), "sub-1");
}

TEST_F(SubscriptionManagerTest, UpdatesOneThatNoLongerMatchesAndWaitsForTheServerToActivateIt) {
  seed("sub-1", "active", "Observation?code=http://loinc.org|0000-0");
  const auto result = ensure();
  EXPECT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("did not become active"), std::string::npos) << result.error();
  EXPECT_EQ(fhir_.count(Interaction::update), 1u);
  const auto stored = std::get<fhir::Subscription>(*fhir_.current("Subscription", "sub-1"));
  EXPECT_EQ(stored.criteria, spec().criteria);
  EXPECT_EQ(stored.meta.version_id, "2");
  EXPECT_EQ(store_->subscription_id("rest-hook"), "sub-1");
}

TEST_F(SubscriptionManagerTest, CreatesOneWhenTheServerHoldsNone) {
  const auto result = ensure();
  EXPECT_FALSE(result.has_value());
  ASSERT_EQ(fhir_.count(Interaction::create), 1u);
  const auto all = fhir_.all("Subscription");
  ASSERT_EQ(all.size(), 1u);
  const auto& created = std::get<fhir::Subscription>(all.front());
  EXPECT_TRUE(subscription_matches(created, spec()));
  EXPECT_EQ(store_->subscription_id("rest-hook"), created.id);
}

TEST_F(SubscriptionManagerTest, ReportsAWriteTheServerRefusesWithoutRememberingAnId) {
  fhir_.fail_next(Interaction::create, 1, FakeFailure{400});
  const auto result = ensure();
  EXPECT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("cannot POST the Subscription"), std::string::npos) << result.error();
  EXPECT_FALSE(store_->subscription_id("rest-hook"));
}

TEST_F(SubscriptionManagerTest, ARememberedIdIsReadFirst) {
  seed("sub-9", "active", spec().criteria);
  store_->set_subscription_id("rest-hook", "sub-9");
  const auto result = ensure();
  EXPECT_TRUE(result.has_value()) << result.error();
  EXPECT_EQ(fhir_.count(Interaction::search), 0u);
}

// The scheduled check (issue 11, item 5): a Subscription deleted, changed or errored on the server is found, so
// that serve answers not ready and recreates it; one that is fine is left alone.
TEST_F(SubscriptionManagerTest, VerificationFindsASubscriptionGoneChangedOrNotActive) {
  store_->set_subscription_id("rest-hook", "sub-1");
  ASSERT_TRUE(verify().has_value());
  EXPECT_NE(verify()->find("is gone (HTTP 404)"), std::string::npos) << *verify();

  seed("sub-1", "active", spec().criteria);
  ASSERT_TRUE(verify().has_value());
  EXPECT_EQ(*verify(), "") << "active and unchanged: nothing to repair";

  seed("sub-1", "error", spec().criteria);
  EXPECT_NE(verify()->find("is error"), std::string::npos) << *verify();

  seed("sub-1", "active", "Observation?code=http://loinc.org|0000-0");
  EXPECT_NE(verify()->find("was changed"), std::string::npos) << *verify();

  seed("sub-1", "requested", spec().criteria);
  EXPECT_NE(verify()->find("is requested, not active"), std::string::npos) << *verify();

  fhir_.fail_next(Interaction::read, 1, FakeFailure{0});
  EXPECT_FALSE(verify().has_value()) << "the server could not be asked: nothing to conclude";
  EXPECT_EQ(fhir_.count(Interaction::create) + fhir_.count(Interaction::update), 0u) << "verification only reads";
}

// Deletes are asked for: a deleted input retracts what was written from it.
TEST_F(SubscriptionManagerTest, TheSubscriptionAsksForDeletesAndOneWithoutThatFlagIsRepaired) {
  const auto wanted = desired_subscription(spec());
  ASSERT_EQ(wanted.channel.extension_flags.size(), 1u);
  EXPECT_EQ(wanted.channel.extension_flags[0].first,
            "http://hapifhir.io/fhir/StructureDefinition/subscription-send-delete-messages");
  EXPECT_TRUE(wanted.channel.extension_flags[0].second);
  auto older = wanted;
  older.channel.extension_flags.clear();
  EXPECT_FALSE(subscription_matches(older, spec()));
}

}  // namespace
}  // namespace gg::gateway
