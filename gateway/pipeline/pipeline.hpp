// The pipeline (ARCHITECTURE.md steps 3-7): takes due intake events from the state store, groups them by patient,
// fetches the patient's context from the FHIR server, analyses it and writes the result back in one transaction.
// Transient failures (network, 5xx, 429) are retried with exponential backoff and, after max_attempts, parked as
// dead; a permanent refusal (4xx) marks the events failed. Events are never dropped silently: each ends counted.
// It also schedules the catch-up intake (gateway/ingress/reconciler.hpp, set by the composition root): at start,
// on request and every reconcile_interval, before it claims, so that what the search records is claimed at once.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "analytics/analysis.hpp"
#include "fhir/client.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/pipeline/finding_alerts.hpp"
#include "gateway/pipeline/outcome.hpp"
#include "gateway/pipeline/patient_context.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

class Pipeline {
 public:
  // The client, the clocks and the rest are borrowed: they outlive the pipeline. The clock says when events are
  // due and stamps cursors and rejections; as_of_clock (default: the clock) is the as-of of every analysis
  // (`backfill --as-of` analyses as of another time while its due times stay real ones, which `serve` shares).
  Pipeline(const boost::asio::any_io_executor& executor, StateStore& store, fhir::Client& client,
           const LoadedKnowledge& knowledge, MetricsRegistry& metrics, PipelineConfig config, int lookback_days,
           const Clock& clock, const Clock* as_of_clock = nullptr);

  // Thread-safe: a new event is due (reconcile: also run the catch-up search soon).
  void wake(bool reconcile = false);
  // The catch-up search step() runs when one is requested or due (none: nothing to catch up). Set before run().
  void set_catch_up(std::function<boost::asio::awaitable<std::size_t>()> catch_up);
  // Called (on the pipeline's strand) after alerts were queued: the delivery and the stream wake. Set before
  // run().
  void set_on_alerts(std::function<void()> on_alerts);
  void stop();

  // Runs until stop(): processes due events, reconciles periodically.
  boost::asio::awaitable<void> run();

  // One round of run(): the reconcile search when one is requested or due, then one batch of due events claimed,
  // processed and settled. Returns how many events it claimed (0: nothing was due). run() is a loop around it;
  // tests call it directly, or run_until_idle(), to drive the pipeline without timers.
  boost::asio::awaitable<std::size_t> step();
  // step() until nothing is due at the clock's now (events waiting for a later retry stay pending).
  boost::asio::awaitable<void> run_until_idle();

  // Processes events the caller claimed (step() claims the due ones; backfill claims its own under a lease):
  // groups them by patient, analyses each patient once and settles every event (done, failed, dead, or pending
  // with a backoff). A retry's next attempt is put `hold` later still: the claimer's head start over `serve`,
  // whose claim_due takes it only then (see EventQueue::claim_leased).
  boost::asio::awaitable<void> process(std::vector<StoredEvent> events,
                                       std::chrono::seconds hold = std::chrono::seconds(0));

 private:
  boost::asio::awaitable<Outcome> process_patient(const std::string& patient,
                                                  const std::vector<StoredEvent>& events);
  // The entries setting what the gateway wrote from the retracted inputs to entered-in-error
  // (gateway/pipeline/retraction.hpp), for the analysis' own transaction; an Outcome when the searches failed.
  boost::asio::awaitable<Outcome> retraction(const std::string& patient, const std::vector<std::string>& retracted,
                                             std::chrono::sys_seconds as_of,
                                             std::vector<fhir::BundleEntry>& entries);
  // The gradient.retracted alerts for what the retraction entries set to entered-in-error.
  std::vector<NewAlert> retraction_alerts_of(const std::vector<fhir::BundleEntry>& retractions,
                                             const std::vector<std::string>& retracted,
                                             const AlertContext& context);
  // Counts and logs what the context fetch left out.
  void report_fetch(const FetchedContext& fetched, const std::string& patient);
  // Counts, logs and keeps (for GET /admin/rejections) what the analysis could not use.
  void report_unusable(const analytics::Analysis& analysis, const std::string& patient);
  void settle(const StoredEvent& event, const Outcome& outcome, std::chrono::seconds hold);
  // A done group: its events settled and its alerts queued in one store transaction.
  void settle_done(const std::vector<StoredEvent>& group, const Outcome& outcome);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  StateStore& store_;
  fhir::Client& client_;
  const LoadedKnowledge& knowledge_;
  PipelineConfig config_;
  int lookback_days_;
  const Clock& clock_;
  const Clock& as_of_clock_;
  fhir::DecodeOptions decode_options_;  // the knowledge's, built once
  boost::asio::steady_timer wakeup_;
  std::atomic<bool> stopped_{false};
  std::function<boost::asio::awaitable<std::size_t>()> catch_up_;
  std::function<void()> on_alerts_;
  bool reconcile_requested_ = true;  // at start: catch up on what was missed while down
  std::chrono::steady_clock::time_point next_reconcile_{};
  bool pending_stale_ = true;  // the pending gauge is to be counted again (at start, and after a busy round)

  Counter& done_;
  Counter& retried_;
  Counter& failed_;
  Counter& dead_;
  Counter& written_;
  Counter& alerts_queued_;
  Counter& skipped_results_;
  MetricsRegistry& metrics_;  // for the per-reason rejection and exclusion series
  Gauge& pending_;
};

}  // namespace gg::gateway
