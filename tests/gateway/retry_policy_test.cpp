// Delivery decisions after an attempt (issue 10, item 4): the schedule with jitter, Retry-After on 429 and 503
// (RFC 9110 section 10.2.3), final 4xx, 410 disabling, and the end of the schedule.
#include "gateway/alerts/retry_policy.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace gg::gateway {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// The schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
const std::vector<milliseconds> schedule = {milliseconds(0), seconds(5), minutes(5), minutes(30),
                                            hours(2),        hours(5),   hours(10),  hours(10)};

// Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 section 5.6.7's example) as a time point.
const auto example_date = std::chrono::system_clock::from_time_t(784111777);

constexpr double no_jitter = 0.5;  // the middle of [0, 1): exactly the scheduled wait

DeliveryDecision decide(int attempt, int status, std::string_view retry_after = "",
                        double random_unit = no_jitter) {
  return decide_after_attempt(schedule, {attempt, status, retry_after}, example_date, random_unit);
}

struct StatusCase {
  int attempt;
  int status;
  std::string_view retry_after;
  DeliveryAction action;
  milliseconds delay;
};

TEST(RetryPolicy, DecidesByStatusAndSchedule) {
  const StatusCase cases[] = {
      {1, 200, "", DeliveryAction::delivered, milliseconds(0)},
      {3, 204, "", DeliveryAction::delivered, milliseconds(0)},
      {1, 500, "", DeliveryAction::retry_at_delay, seconds(5)},
      {2, 502, "", DeliveryAction::retry_at_delay, minutes(5)},
      {3, 0, "", DeliveryAction::retry_at_delay, minutes(30)},  // network error or timeout
      {7, 500, "", DeliveryAction::retry_at_delay, hours(10)},
      {1, 408, "", DeliveryAction::retry_at_delay, seconds(5)},
      {1, 301, "", DeliveryAction::retry_at_delay, seconds(5)},  // redirects are not followed
      {1, 307, "", DeliveryAction::retry_at_delay, seconds(5)},
      {1, 400, "", DeliveryAction::dead, milliseconds(0)},
      {1, 401, "", DeliveryAction::dead, milliseconds(0)},
      {1, 403, "", DeliveryAction::dead, milliseconds(0)},
      {1, 404, "", DeliveryAction::dead, milliseconds(0)},
      {1, 413, "", DeliveryAction::dead, milliseconds(0)},
      {1, 422, "", DeliveryAction::dead, milliseconds(0)},
      {1, 410, "", DeliveryAction::disable, milliseconds(0)},
      {8, 410, "", DeliveryAction::disable, milliseconds(0)},
      // The last scheduled attempt failing ends the budget, whatever the receiver asks.
      {8, 500, "", DeliveryAction::dead, milliseconds(0)},
      {8, 0, "", DeliveryAction::dead, milliseconds(0)},
      {8, 503, "60", DeliveryAction::dead, milliseconds(0)},
      {9, 500, "", DeliveryAction::dead, milliseconds(0)},
      {8, 200, "", DeliveryAction::delivered, milliseconds(0)},
  };
  for (const auto& test : cases) {
    const auto decision = decide(test.attempt, test.status, test.retry_after);
    EXPECT_EQ(decision.action, test.action) << "attempt " << test.attempt << " status " << test.status;
    EXPECT_EQ(decision.delay, test.delay) << "attempt " << test.attempt << " status " << test.status;
  }
}

TEST(RetryPolicy, RetryAfterOn429And503WinsWhenLaterThanTheSchedule) {
  EXPECT_EQ(decide(1, 503, "120").delay, seconds(120));
  EXPECT_EQ(decide(1, 429, "120").delay, seconds(120));
  EXPECT_EQ(decide(1, 429, " 120 ").delay, seconds(120));
  // Earlier than the schedule: the schedule stands.
  EXPECT_EQ(decide(2, 503, "120").delay, minutes(5));
  EXPECT_EQ(decide(1, 503, "0").delay, seconds(5));
  // Only 429 and 503 carry a meaningful Retry-After for a resend.
  EXPECT_EQ(decide(1, 500, "120").delay, seconds(5));
  EXPECT_EQ(decide(1, 0, "120").delay, seconds(5));
  // Unreadable values are ignored; huge ones are capped at a day.
  EXPECT_EQ(decide(1, 503, "soon").delay, seconds(5));
  EXPECT_EQ(decide(1, 503, "-5").delay, seconds(5));
  EXPECT_EQ(decide(1, 503, "1.5").delay, seconds(5));
  EXPECT_EQ(decide(1, 503, "9999999").delay, hours(24));
  EXPECT_EQ(decide(1, 503, "99999999999999999999999").delay, hours(24));
}

TEST(RetryPolicy, RetryAfterAcceptsTheThreeHttpDateFormats) {
  // RFC 9110 section 5.6.7's example date in its three formats, read 10 minutes before it.
  const auto now = example_date - minutes(10);
  for (const std::string_view value :
       {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"}) {
    const auto delay = parse_retry_after(value, now);
    ASSERT_TRUE(delay) << value;
    EXPECT_EQ(*delay, minutes(10)) << value;
  }
  const auto decision = decide_after_attempt(schedule, {1, 429, "Sun, 06 Nov 1994 08:49:37 GMT"}, now, no_jitter);
  EXPECT_EQ(decision.action, DeliveryAction::retry_at_delay);
  EXPECT_EQ(decision.delay, minutes(10));
  // A date already past means "now": the scheduled wait stands.
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", example_date + hours(1)), milliseconds(0));
  EXPECT_EQ(
      decide_after_attempt(schedule, {1, 429, "Sun, 06 Nov 1994 08:49:37 GMT"}, example_date + hours(1), no_jitter)
          .delay,
      seconds(5));
  // A date far ahead is capped at a day.
  EXPECT_EQ(decide_after_attempt(schedule, {1, 503, "Sun, 06 Nov 1994 08:49:37 GMT"}, example_date - hours(100),
                                 no_jitter)
                .delay,
            hours(24));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT trailing", now));
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("06 Nov 1994", now));
}

TEST(RetryPolicy, JitterStaysWithinTenPercentAndNeverTouchesAZeroWait) {
  EXPECT_EQ(decide(2, 500, "", 0.0).delay, milliseconds(270000));
  EXPECT_EQ(decide(2, 500, "", 0.5).delay, milliseconds(300000));
  EXPECT_EQ(decide(2, 500, "", 0.25).delay, milliseconds(285000));
  EXPECT_LT(decide(2, 500, "", 0.999999).delay, milliseconds(330000));
  EXPECT_GE(decide(2, 500, "", 0.999999).delay, milliseconds(329999));
  for (int percent = 0; percent < 100; ++percent) {
    const double unit = percent / 100.0;
    const auto delay = decide(5, 0, "", unit).delay;
    EXPECT_GE(delay, milliseconds(hours(5)) * 9 / 10) << unit;
    EXPECT_LT(delay, milliseconds(hours(5)) * 11 / 10) << unit;
  }
  const std::vector<milliseconds> zero_waits = {milliseconds(0), milliseconds(0)};
  for (const double unit : {0.0, 0.5, 0.99}) {
    EXPECT_EQ(decide_after_attempt(zero_waits, {1, 500, ""}, example_date, unit).delay, milliseconds(0)) << unit;
  }
}

TEST(RetryPolicy, AttemptsAreNumberedFromOne) {
  EXPECT_THROW(decide(0, 500), std::invalid_argument);
}

}  // namespace
}  // namespace gg::gateway
