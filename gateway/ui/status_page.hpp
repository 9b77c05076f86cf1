// The operations view of the pages (docs/ui.md, "The operations view"): what came in, what went out and what
// failed over the last hour. It reads the numbers /metrics serves (MetricsRegistry::samples()): a sampler keeps a
// copy of them every interval for the window, and each figure is its value now minus its value at the oldest
// sample still in the window; the queue and the alert subscriptions come from the state store as they stand.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

class StatusSampler {
 public:
  // Takes the first sample at `now`. The registry must outlive the sampler.
  StatusSampler(const MetricsRegistry& metrics, std::chrono::sys_seconds now,
                std::chrono::seconds window = std::chrono::hours(1));

  // Keeps a copy of the registry's numbers as of `now`, and forgets those the window no longer needs (the newest
  // sample older than the window stays: it is the baseline). Thread-safe.
  void sample(std::chrono::sys_seconds now);

  // GET /ui/api/status's body. Thread-safe.
  std::string status_json(StateStore& store, std::chrono::sys_seconds now) const;

  std::chrono::seconds window() const { return window_; }

 private:
  struct Sample {
    std::chrono::sys_seconds at;
    std::vector<MetricSample> values;
  };

  const MetricsRegistry& metrics_;
  std::chrono::seconds window_;
  mutable std::mutex mutex_;  // guards: samples_
  std::deque<Sample> samples_;
};

}  // namespace gg::gateway
