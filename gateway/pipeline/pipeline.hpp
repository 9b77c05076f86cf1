// The pipeline (ARCHITECTURE.md steps 3-7): takes due intake events from the state store, groups them by patient,
// fetches the patient's context from the FHIR server, analyses it and writes the result back in one transaction.
// Transient failures (network, 5xx, 429) are retried with exponential backoff and, after max_attempts, parked as
// dead; a permanent refusal (4xx) marks the events failed. Events are never dropped silently: each ends counted.
// It also reconciles: a _lastUpdated search catches up on notifications the server gave up delivering.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "analytics/analysis.hpp"
#include "fhir/rest_client.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

// Wall-clock time, injected so tests and `analyze --as-of` control it.
using Clock = std::function<std::chrono::sys_seconds()>;

// "2026-11-25T21:04:05Z": the one timestamp format of the state store and of written instants.
std::string format_instant(std::chrono::sys_seconds time);

class Pipeline {
 public:
  Pipeline(boost::asio::any_io_executor executor, StateStore& store, fhir::RestClient& client,
           const LoadedKnowledge& knowledge, MetricsRegistry& metrics, PipelineConfig config, int lookback_days,
           Clock clock);

  // Thread-safe: a new event is due (reconcile: also run the catch-up search soon).
  void wake(bool reconcile = false);
  void stop();

  // Runs until stop(): processes due events, reconciles periodically.
  boost::asio::awaitable<void> run();

 private:
  struct Outcome {
    enum class Kind { done, retry, failed } kind = Kind::done;
    std::string error;
  };
  boost::asio::awaitable<Outcome> process_patient(const std::string& patient,
                                                  const std::vector<StoredEvent>& events);
  boost::asio::awaitable<void> reconcile();
  // Sets what the gateway wrote from the retracted inputs to entered-in-error (gateway/pipeline/retraction.hpp).
  boost::asio::awaitable<Outcome> retract(const std::string& patient, const std::vector<std::string>& retracted,
                                          std::chrono::sys_seconds as_of);
  // Counts, logs and keeps (for GET /admin/rejections) what the analysis could not use.
  void report_unusable(const analytics::Analysis& analysis, const std::string& patient);
  void settle(const StoredEvent& event, const Outcome& outcome);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  StateStore& store_;
  fhir::RestClient& client_;
  const LoadedKnowledge& knowledge_;
  PipelineConfig config_;
  int lookback_days_;
  Clock clock_;
  boost::asio::steady_timer wakeup_;
  std::atomic<bool> stopped_{false};
  bool reconcile_requested_ = true;  // at start: catch up on what was missed while down
  std::chrono::steady_clock::time_point next_reconcile_{};

  Counter& done_;
  Counter& retried_;
  Counter& failed_;
  Counter& dead_;
  Counter& written_;
  Counter& skipped_results_;
  MetricsRegistry& metrics_;  // for the per-reason rejection and exclusion series
  Counter& reconciled_;
  Counter& reconcile_runs_;
  Gauge& pending_;
};

}  // namespace gg::gateway
