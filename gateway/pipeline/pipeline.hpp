// The pipeline (ARCHITECTURE.md steps 3-7): takes due intake events from the state store, groups them by patient,
// fetches the patient's context from the FHIR server, analyses it and writes the result back in one transaction.
// Transient failures (5xx, 429, a broken answer) are retried with exponential backoff and, after max_attempts,
// parked as dead; a permanent refusal (4xx, an invalid reference) marks the events failed at once. When the FHIR
// server is unavailable (no connection, 502-504) the circuit breaker opens: events wait without spending attempts,
// nothing is claimed while it is open, and once a probe finds the server back they drain in order, after a
// catch-up search for what the server could not deliver meanwhile. Events are never dropped silently: each ends
// counted.
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
#include <string_view>
#include <vector>

#include "analytics/analysis.hpp"
#include "fhir/client.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/pipeline/circuit_breaker.hpp"
#include "gateway/pipeline/context_cache.hpp"
#include "gateway/pipeline/finding_alerts.hpp"
#include "gateway/pipeline/outcome.hpp"
#include "gateway/pipeline/patient_context.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/metrics.hpp"
#include "gateway/telemetry/trace_context.hpp"

namespace gg::gateway {

// The histogram of each FHIR request the pipeline makes, in seconds (the operations page reads it).
inline constexpr std::string_view kFhirRequestSeconds = "gradient_gateway_fhir_request_seconds";

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
  // The open breaker's probe (serve: GET [base]/metadata answers 200). None: the next batch is the probe. Set
  // before run().
  void set_probe(std::function<boost::asio::awaitable<bool>()> probe);
  // Called whenever the breaker opens or closes (serve: /readyz). Set before run().
  void set_on_circuit(std::function<void(CircuitBreaker::State)> on_circuit);
  [[nodiscard]] CircuitBreaker::State circuit() const { return breaker_.state(); }
  // For a claimer beside step() (backfill): whether work may be sent to the FHIR server now; false while the
  // breaker is open (an open one whose interval passed probes first). Claim only when true.
  boost::asio::awaitable<bool> server_available();
  void stop();
  // The strand every coroutine of the pipeline runs on: spawn run() on it.
  [[nodiscard]] boost::asio::any_io_executor executor() const { return strand_; }

  // Runs until stop(): processes due events, reconciles periodically. Spawn it on executor().
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
  // process() on the strand: up to config.workers patients at once.
  boost::asio::awaitable<void> process_batch(std::vector<StoredEvent> events, std::chrono::seconds hold);
  // One patient's events: analysed together once, then settled.
  boost::asio::awaitable<void> process_group(const std::string& patient, const std::vector<StoredEvent>& group,
                                             std::chrono::seconds hold);
  // The patient a delete is about: the subject of the resource's earlier events here ("" when none).
  std::string patient_of_deleted(const StoredEvent& event);
  // Every FHIR call goes through `client` (the pipeline's, timed for this patient).
  // `span`: the processing's place in the event's trace (its calls carry it; its alerts keep it).
  boost::asio::awaitable<Outcome> process_patient(fhir::Client& client, const std::string& patient,
                                                  const std::vector<StoredEvent>& events,
                                                  const TraceContext& span);
  // The patient's context for analysing `events`: from the context cache plus a read of each notified result when
  // the cache holds it (cached: true), else fetched whole (plus a read of each notified result the search did not
  // bring).
  static std::optional<fhir::Observation> trusted_payload(const std::vector<StoredEvent>& events,
                                                          const std::string& id, const std::string& patient);
  boost::asio::awaitable<Outcome> context_of(fhir::Client& client, const std::string& patient,
                                             const std::vector<StoredEvent>& events,
                                             std::chrono::sys_seconds as_of, PatientContext& context,
                                             bool& cached);
  // The entries setting what the gateway wrote from the retracted inputs to entered-in-error
  // (gateway/pipeline/retraction.hpp), for the analysis' own transaction; an Outcome when the searches failed.
  boost::asio::awaitable<Outcome> retraction(fhir::Client& client, const std::string& patient,
                                             const std::vector<std::string>& retracted,
                                             const std::vector<std::string>& deleted,
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
  // Whether the breaker lets work go now (an open one probes once its interval has passed).
  boost::asio::awaitable<bool> circuit_allows();
  // Tells the breaker how a patient's processing went; true when the server was unavailable and the breaker is
  // now open or half-open (the events then wait without spending an attempt).
  bool note_outcome(const Outcome& outcome);
  void circuit_changed(CircuitBreaker::State before);
  void settle(const StoredEvent& event, const Outcome& outcome, std::chrono::seconds hold, bool waiting);
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
  boost::asio::steady_timer wakeup_;
  std::atomic<bool> stopped_{false};
  std::function<boost::asio::awaitable<std::size_t>()> catch_up_;
  std::function<void()> on_alerts_;
  bool reconcile_requested_ = true;  // at start: catch up on what was missed while down
  std::chrono::steady_clock::time_point next_reconcile_{};
  bool pending_stale_ = true;  // the pending gauge is to be counted again (at start, and after a busy round)
  CircuitBreaker breaker_;
  ContextCache context_cache_;
  std::function<boost::asio::awaitable<bool>()> probe_;
  std::function<void(CircuitBreaker::State)> on_circuit_;

  Counter& done_;
  Counter& retried_;
  Counter& failed_;
  Counter& dead_;
  Counter& waited_;
  Counter& circuit_opened_;
  Gauge& circuit_open_;
  Counter& written_;
  Counter& alerts_queued_;
  Counter& skipped_results_;
  MetricsRegistry& metrics_;  // for the per-reason rejection and exclusion series
  Gauge& pending_;
  Counter& unchanged_;
  Counter& cache_hits_;
  Counter& cache_misses_;
  Counter& trusted_payloads_;
  Histogram& fhir_seconds_;
  Histogram& own_seconds_;
  Histogram& request_seconds_;
};

}  // namespace gg::gateway
