// What to do after one webhook delivery attempt (issue 10, item 4): delivered, try again after a delay, give up
// (dead letter), or disable the subscription. Pure: the caller supplies the schedule, the clock and the random
// number, so every decision is reproducible in a test.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

namespace gg::gateway {

enum class DeliveryAction {
  delivered,       // 2xx
  retry_at_delay,  // try again after DeliveryDecision::delay
  dead,            // no retry: the schedule is exhausted or the receiver refused the message itself
  disable,         // 410 Gone: the receiver asks for the subscription to stop
};

struct DeliveryDecision {
  DeliveryAction action = DeliveryAction::dead;
  std::chrono::milliseconds delay{0};  // only for retry_at_delay
};

struct AttemptResult {
  int attempt = 1;               // 1-based number of the attempt just made
  int http_status = 0;           // 0: network error or timeout, no response
  std::string_view retry_after;  // the response's Retry-After value, empty when absent
};

// Retry-After longer than this is capped: a receiver's mistake (or a date far ahead) must not park an alert for
// weeks.
inline constexpr std::chrono::hours max_retry_after{24};

// `schedule[i]` is the wait before attempt i + 1 (the first is usually 0), so attempt n is followed by
// `schedule[n]`, jittered by +-10 % from `random_unit` (in [0, 1)). On 429 and 503 a later Retry-After wins
// (RFC 9110 section 15.5.20 / 15.6.4 / 10.2.3). 4xx other than 408 and 429 are final: resending the same message
// cannot change the answer. 3xx counts as a failure to retry: redirects are not followed, since the signed request
// must reach the registered endpoint and no other. Throws std::invalid_argument when `attempt` < 1.
DeliveryDecision decide_after_attempt(const std::vector<std::chrono::milliseconds>& schedule,
                                      const AttemptResult& attempt, std::chrono::system_clock::time_point now,
                                      double random_unit);

// A Retry-After value (RFC 9110 section 10.2.3: delay-seconds or an HTTP-date, section 5.6.7, in any of its three
// formats) as a delay from `now`; a date in the past is 0. Nullopt when the value is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

}  // namespace gg::gateway
