// The FHIR server's circuit breaker (issue 11, item 5): when the server stops answering, the pipeline stops
// sending it work instead of spending every event's attempts on a server that is down. Events wait, unharmed,
// and drain in order once the server is back; /readyz and /metrics show the breaker's state.
//
//   closed     requests flow. `failure_threshold` unavailable answers in a row (no connection, no answer, 502,
//              503, 504) open the breaker; any answer the server gives resets the count.
//   open       nothing is sent until `open_for` has passed since it opened. Then a probe may go.
//   half-open  one probe (the pipeline's GET [base]/metadata) is in flight: its success closes the breaker, its
//              failure opens it again for twice as long (at most max_open_for), so a long outage costs one probe
//              per interval, not one per event.
//
// Time comes in as an argument (steady time points), so the state machine is tested without waiting. Thread-safe:
// the pipeline records on its strand while /readyz and /metrics read from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace gg::gateway {

struct CircuitBreakerOptions {
  int failure_threshold = 3;
  std::chrono::milliseconds open_for{2000};
  std::chrono::milliseconds max_open_for{60000};
};

class CircuitBreaker {
 public:
  enum class State { closed, open, half_open };
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit CircuitBreaker(CircuitBreakerOptions options) : options_(options) {}

  // Whether work may be sent at `now`. An open breaker whose interval has passed turns half-open and answers
  // true once: the caller then probes and reports with probe_succeeded / probe_failed.
  bool allow(TimePoint now);

  // The server answered (any status but 502-504): closes a half-open breaker, resets the failure count.
  void record_success();
  // The server was unavailable: counts towards opening. Returns true when this failure opened the breaker.
  bool record_unavailable(TimePoint now);

  void probe_succeeded() { record_success(); }
  void probe_failed(TimePoint now);

  [[nodiscard]] State state() const;
  // How many times the breaker opened (from closed or half-open), for the metric.
  [[nodiscard]] std::int64_t times_opened() const;

 private:
  void open_locked(TimePoint now);

  CircuitBreakerOptions options_;
  mutable std::mutex mutex_;  // guards everything below
  State state_ = State::closed;
  int consecutive_failures_ = 0;
  std::chrono::milliseconds current_open_for_{0};
  TimePoint reopen_at_{};
  std::int64_t times_opened_ = 0;
};

std::string_view to_string(CircuitBreaker::State state);  // "closed" | "open" | "half-open"

}  // namespace gg::gateway
