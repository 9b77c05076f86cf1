#include "gateway/pipeline/circuit_breaker.hpp"

#include <algorithm>

namespace gg::gateway {

bool CircuitBreaker::allow(TimePoint now) {
  const std::lock_guard lock(mutex_);
  switch (state_) {
    case State::closed:
      return true;
    case State::half_open:
      return false;  // the probe is in flight
    case State::open:
      if (now < reopen_at_) return false;
      state_ = State::half_open;
      return true;
  }
  return false;
}

void CircuitBreaker::record_success() {
  const std::lock_guard lock(mutex_);
  state_ = State::closed;
  consecutive_failures_ = 0;
  current_open_for_ = std::chrono::milliseconds(0);
}

bool CircuitBreaker::record_unavailable(TimePoint now) {
  const std::lock_guard lock(mutex_);
  if (state_ != State::closed) return false;  // already open: the failures of requests sent before do not count
  if (++consecutive_failures_ < options_.failure_threshold) return false;
  open_locked(now);
  return true;
}

void CircuitBreaker::probe_failed(TimePoint now) {
  const std::lock_guard lock(mutex_);
  open_locked(now);
}

void CircuitBreaker::open_locked(TimePoint now) {
  // The first opening waits open_for; each failed probe after it doubles the wait, up to max_open_for.
  current_open_for_ = current_open_for_.count() == 0
                          ? options_.open_for
                          : std::min(current_open_for_ * 2, std::max(options_.max_open_for, options_.open_for));
  reopen_at_ = now + current_open_for_;
  if (state_ == State::closed) ++times_opened_;
  state_ = State::open;
  consecutive_failures_ = 0;
}

CircuitBreaker::State CircuitBreaker::state() const {
  const std::lock_guard lock(mutex_);
  return state_;
}

std::int64_t CircuitBreaker::times_opened() const {
  const std::lock_guard lock(mutex_);
  return times_opened_;
}

std::string_view to_string(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::closed:
      return "closed";
    case CircuitBreaker::State::open:
      return "open";
    case CircuitBreaker::State::half_open:
      return "half-open";
  }
  return "closed";
}

}  // namespace gg::gateway
