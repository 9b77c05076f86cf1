#include "gateway/pipeline/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace gg::gateway {
namespace {

using namespace std::chrono_literals;
using State = CircuitBreaker::State;

const CircuitBreaker::TimePoint t0{};

CircuitBreaker breaker() {
  return CircuitBreaker(CircuitBreakerOptions{3, 2000ms, 8000ms});
}

TEST(CircuitBreaker, OpensAfterThresholdUnavailableAnswersInARow) {
  auto b = breaker();
  EXPECT_FALSE(b.record_unavailable(t0));
  EXPECT_FALSE(b.record_unavailable(t0));
  EXPECT_EQ(b.state(), State::closed);
  EXPECT_TRUE(b.allow(t0));
  EXPECT_TRUE(b.record_unavailable(t0));
  EXPECT_EQ(b.state(), State::open);
  EXPECT_FALSE(b.allow(t0 + 1999ms));
  EXPECT_EQ(b.times_opened(), 1);
}

TEST(CircuitBreaker, AnAnswerInBetweenResetsTheCount) {
  auto b = breaker();
  b.record_unavailable(t0);
  b.record_unavailable(t0);
  b.record_success();
  b.record_unavailable(t0);
  b.record_unavailable(t0);
  EXPECT_EQ(b.state(), State::closed);
}

TEST(CircuitBreaker, LetsOneProbeThroughAfterTheIntervalAndClosesWhenItSucceeds) {
  auto b = breaker();
  for (int i = 0; i < 3; ++i) b.record_unavailable(t0);
  EXPECT_TRUE(b.allow(t0 + 2000ms));
  EXPECT_EQ(b.state(), State::half_open);
  EXPECT_FALSE(b.allow(t0 + 2001ms)) << "one probe at a time";
  b.probe_succeeded();
  EXPECT_EQ(b.state(), State::closed);
  EXPECT_TRUE(b.allow(t0 + 2001ms));
}

// A long outage costs one probe per interval, the interval doubling up to the maximum, not one request per event.
TEST(CircuitBreaker, EachFailedProbeDoublesTheWaitUpToTheMaximum) {
  auto b = breaker();
  for (int i = 0; i < 3; ++i) b.record_unavailable(t0);
  auto now = t0;
  for (const auto wait : {2000ms, 4000ms, 8000ms, 8000ms}) {
    EXPECT_FALSE(b.allow(now + wait - 1ms));
    now += wait;
    ASSERT_TRUE(b.allow(now));
    b.probe_failed(now);
    EXPECT_EQ(b.state(), State::open);
  }
  EXPECT_EQ(b.times_opened(), 1) << "a failed probe keeps it open, it does not open it again";
  // Closed again, the next outage starts from the first interval.
  ASSERT_TRUE(b.allow(now + 8000ms));
  b.probe_succeeded();
  for (int i = 0; i < 3; ++i) b.record_unavailable(now);
  EXPECT_FALSE(b.allow(now + 1999ms));
  EXPECT_TRUE(b.allow(now + 2000ms));
  EXPECT_EQ(b.times_opened(), 2);
}

TEST(CircuitBreaker, FailuresOfRequestsSentBeforeItOpenedDoNotExtendIt) {
  auto b = breaker();
  for (int i = 0; i < 3; ++i) b.record_unavailable(t0);
  EXPECT_FALSE(b.record_unavailable(t0 + 1000ms));
  EXPECT_TRUE(b.allow(t0 + 2000ms));
}

TEST(CircuitBreaker, StatesHaveTheirReadyzNames) {
  EXPECT_EQ(to_string(State::closed), "closed");
  EXPECT_EQ(to_string(State::open), "open");
  EXPECT_EQ(to_string(State::half_open), "half-open");
}

}  // namespace
}  // namespace gg::gateway
