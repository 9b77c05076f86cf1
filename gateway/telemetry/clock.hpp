// Wall-clock time as a type of its own, injected wherever the gateway needs "now" (retry backoff, cursors, the
// as-of of an analysis), so that tests control it (STYLE.md: time comes in as an argument). It sits in
// telemetry/, the room every other room may use, so that any of them can take a Clock& without an upward arrow.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

namespace gg::gateway {

class Clock {
 public:
  virtual ~Clock() = default;
  // Now, in whole seconds: the resolution of every instant the gateway stores or writes.
  virtual std::chrono::sys_seconds now() const = 0;
};

// The system's clock (std::chrono::system_clock), truncated to the second.
class SystemClock final : public Clock {
 public:
  std::chrono::sys_seconds now() const override;
};

// A clock that stands still until told to move: for tests and for `analyze --as-of`. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::sys_seconds start) : now_(start.time_since_epoch().count()) {}
  std::chrono::sys_seconds now() const override { return std::chrono::sys_seconds(std::chrono::seconds(now_)); }
  void advance(std::chrono::seconds by) { now_ += by.count(); }
  void set(std::chrono::sys_seconds to) { now_ = to.time_since_epoch().count(); }

 private:
  std::atomic<std::chrono::seconds::rep> now_;
};

// Another clock moved by a fixed offset: it advances with the other one. `backfill --as-of` analyses as of a given
// instant with it (the offset from the real now at start) while its due times stay on the real clock.
class OffsetClock final : public Clock {
 public:
  OffsetClock(const Clock& base, std::chrono::seconds offset) : base_(base), offset_(offset) {}
  // Reads `at` when base reads `base_now`.
  static OffsetClock reading(const Clock& base, std::chrono::sys_seconds at) { return {base, at - base.now()}; }
  std::chrono::sys_seconds now() const override { return base_.now() + offset_; }

 private:
  const Clock& base_;
  std::chrono::seconds offset_;
};

// "2026-11-25T21:04:05Z": the one timestamp format of the state store and of written instants.
std::string format_instant(std::chrono::sys_seconds time);

}  // namespace gg::gateway
