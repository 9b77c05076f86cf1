#include "gateway/http/auth_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace gg::gateway {
namespace {

using std::chrono::seconds;
const AuthFailureLimiter::TimePoint kStart{seconds(1'800'000'000)};

TEST(AuthFailureLimiter, LocksAClientOutAtTheLimitUntilItsWindowEnds) {
  AuthFailureLimiter limiter(AuthLimitOptions{3, seconds(60), 100});
  EXPECT_FALSE(limiter.locked_out("10.0.0.1", kStart));
  EXPECT_EQ(limiter.record_failure("10.0.0.1", kStart).count, 1u);
  EXPECT_FALSE(limiter.record_failure("10.0.0.1", kStart + seconds(10)).locks);
  EXPECT_FALSE(limiter.locked_out("10.0.0.1", kStart + seconds(10)));
  const auto third = limiter.record_failure("10.0.0.1", kStart + seconds(20));
  EXPECT_TRUE(third.locks);
  EXPECT_EQ(third.count, 3u);
  // The window began with the first failure: 40 s of it remain.
  EXPECT_EQ(limiter.locked_out("10.0.0.1", kStart + seconds(20)), seconds(40));
  EXPECT_EQ(limiter.locked_out("10.0.0.1", kStart + seconds(59)), seconds(1));
  // Another address is not affected.
  EXPECT_FALSE(limiter.locked_out("10.0.0.2", kStart + seconds(20)));
  // When the window ends the client starts again from nothing.
  EXPECT_FALSE(limiter.locked_out("10.0.0.1", kStart + seconds(60)));
  EXPECT_EQ(limiter.record_failure("10.0.0.1", kStart + seconds(61)).count, 1u);
}

TEST(AuthFailureLimiter, LogsTheFirstFailureOfAWindow) {
  AuthFailureLimiter limiter(AuthLimitOptions{4, seconds(60), 100});
  std::string logged;
  for (int i = 0; i < 10; ++i) logged += limiter.record_failure("c", kStart + seconds(i)).log ? 'L' : '.';
  EXPECT_EQ(logged, "L.........");
  EXPECT_TRUE(limiter.record_failure("c", kStart + seconds(60)).log);  // a new window
}

TEST(AuthFailureLimiter, NoLimitNeverLocksButStillLogsOnlyTheFirst) {
  AuthFailureLimiter limiter(AuthLimitOptions{0, seconds(60), 100});
  std::string logged;
  for (int i = 0; i < 50; ++i) {
    const auto failure = limiter.record_failure("c", kStart);
    logged += failure.log ? 'L' : '.';
    EXPECT_FALSE(failure.locks);
  }
  EXPECT_EQ(logged, "L" + std::string(49, '.'));
  EXPECT_FALSE(limiter.locked_out("c", kStart));
}

TEST(AuthFailureLimiter, TracksAtMostMaxClientsExpiredWindowsFirst) {
  AuthFailureLimiter limiter(AuthLimitOptions{2, seconds(60), 3});
  limiter.record_failure("old", kStart);
  limiter.record_failure("a", kStart + seconds(50));
  limiter.record_failure("a", kStart + seconds(50));  // locked out
  limiter.record_failure("b", kStart + seconds(55));
  EXPECT_EQ(limiter.clients(), 3u);
  // At 70 s "old"'s window has ended: it makes room, and the locked-out client stays locked out.
  limiter.record_failure("c", kStart + seconds(70));
  EXPECT_EQ(limiter.clients(), 3u);
  EXPECT_TRUE(limiter.locked_out("a", kStart + seconds(70)));
  // With no expired window, the oldest goes.
  limiter.record_failure("d", kStart + seconds(71));
  EXPECT_EQ(limiter.clients(), 3u);
  EXPECT_FALSE(limiter.locked_out("a", kStart + seconds(71)));
  EXPECT_EQ(limiter.record_failure("c", kStart + seconds(72)).count, 2u);
}

}  // namespace
}  // namespace gg::gateway
