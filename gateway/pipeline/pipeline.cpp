#include "gateway/pipeline/pipeline.hpp"

#include <algorithm>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "analytics/analysis.hpp"
#include "fhir/json_codec.hpp"
#include "fhir/url.hpp"
#include "gateway/pipeline/patient_analysis.hpp"
#include "gateway/pipeline/patient_context.hpp"
#include "gateway/pipeline/rejections.hpp"
#include "gateway/pipeline/retraction.hpp"
#include "gateway/pipeline/timed_client.hpp"
#include "gateway/pipeline/write_back.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

constexpr std::size_t kClaimBatch = 200;
// What a write-back writes, by each entry's conditional create (its deterministic identifier): two analyses
// with the same key write the same resources. "" when an entry is not a conditional create (nothing is skipped).
std::string writes_key(const std::vector<fhir::BundleEntry>& entries) {
  std::string key;
  for (const auto& entry : entries) {
    if (!entry.request || entry.request->method != "POST" || entry.request->if_none_exist.empty()) return {};
    key += entry.request->method + " " + entry.request->url + "?" + entry.request->if_none_exist + "\n";
  }
  return key;
}

// More notified results than this for a cached patient: one search of the whole context is cheaper than reads.
constexpr std::size_t kMaxCachedReads = 8;
// From a millisecond (the gateway's own work on a small panel) to a slow server's seconds.
std::vector<double> analysis_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

Pipeline::Pipeline(const boost::asio::any_io_executor& executor, StateStore& store, fhir::Client& client,
                   const LoadedKnowledge& knowledge, MetricsRegistry& metrics, PipelineConfig config,
                   int lookback_days, const Clock& clock, const Clock* as_of_clock)
    : strand_(boost::asio::make_strand(executor)),
      store_(store),
      client_(client),
      knowledge_(knowledge),
      config_(config),
      lookback_days_(lookback_days),
      clock_(clock),
      as_of_clock_(as_of_clock != nullptr ? *as_of_clock : clock),
      wakeup_(strand_),
      breaker_(CircuitBreakerOptions{config.circuit_failures, config.circuit_open, config.circuit_max_open}),
      context_cache_(config.context_cache_patients, config.context_cache_ttl),
      done_(metrics.counter("gradient_gateway_events_done_total", "Intake events processed")),
      retried_(metrics.counter("gradient_gateway_events_retried_total",
                               "Processing attempts that failed transiently and were rescheduled")),
      failed_(metrics.counter("gradient_gateway_events_failed_total",
                              "Intake events the FHIR server refused permanently (4xx)")),
      dead_(metrics.counter("gradient_gateway_events_dead_total",
                            "Intake events given up after pipeline.max_attempts transient failures")),
      waited_(metrics.counter("gradient_gateway_events_waited_total",
                              "Processing rounds that found the FHIR server unavailable: the events wait, without "
                              "spending an attempt")),
      circuit_opened_(metrics.counter("gradient_gateway_fhir_circuit_opened_total",
                                      "Times the FHIR server's circuit breaker opened")),
      circuit_open_(metrics.gauge("gradient_gateway_fhir_circuit_open",
                                  "1 while the FHIR server's circuit breaker is open or half-open, else 0")),
      written_(metrics.counter("gradient_gateway_writeback_transactions_total",
                               "Write-back transactions the FHIR server accepted")),
      alerts_queued_(metrics.counter("gradient_gateway_alerts_queued_total",
                                     "Alerts raised (findings, significant changes, retractions), each once")),
      skipped_results_(metrics.counter("gradient_gateway_search_entries_skipped_total",
                                       "Search result entries that did not decode and were left out")),
      metrics_(metrics),
      pending_(metrics.gauge("gradient_gateway_events_pending", "Intake events waiting to be processed")),
      unchanged_(
          metrics.counter("gradient_gateway_writeback_unchanged_total",
                          "Analyses that would have written what the patient's last write-back wrote, left "
                          "unsent (the creates are conditional: the server would have kept what it holds)")),
      cache_hits_(metrics.counter("gradient_gateway_context_cache_total",
                                  "Patients' contexts taken from the context cache (hit) or fetched whole (miss)",
                                  {{"result", "hit"}})),
      cache_misses_(metrics.counter(
          "gradient_gateway_context_cache_total",
          "Patients' contexts taken from the context cache (hit) or fetched whole (miss)", {{"result", "miss"}})),
      trusted_payloads_(
          metrics.counter("gradient_gateway_trusted_payloads_total",
                          "Notified results analysed from their payload, not read again: the sender "
                          "was authenticated by mutual TLS (subscription.trust_authenticated_payload)")),
      fhir_seconds_(metrics.histogram("gradient_gateway_analysis_seconds",
                                      "A patient's processing by part: waiting for the FHIR server (fhir) or the "
                                      "gateway's own work (gateway)",
                                      analysis_buckets(), {{"part", "fhir"}})),
      own_seconds_(metrics.histogram("gradient_gateway_analysis_seconds",
                                     "A patient's processing by part: waiting for the FHIR server (fhir) or the "
                                     "gateway's own work (gateway)",
                                     analysis_buckets(), {{"part", "gateway"}})),
      request_seconds_(metrics.histogram(std::string(kFhirRequestSeconds),
                                         "Each FHIR request of a patient's processing, answered or not (the "
                                         "operations page's FHIR latency)",
                                         analysis_buckets())) {}

void Pipeline::wake(bool reconcile) {
  boost::asio::post(strand_, [this, reconcile] {
    if (reconcile) reconcile_requested_ = true;
    wakeup_.cancel();
  });
}

void Pipeline::set_catch_up(std::function<boost::asio::awaitable<std::size_t>()> catch_up) {
  catch_up_ = std::move(catch_up);
}

void Pipeline::set_on_alerts(std::function<void()> on_alerts) {
  on_alerts_ = std::move(on_alerts);
}

void Pipeline::set_probe(std::function<boost::asio::awaitable<bool>()> probe) {
  probe_ = std::move(probe);
}

void Pipeline::set_on_circuit(std::function<void(CircuitBreaker::State)> on_circuit) {
  on_circuit_ = std::move(on_circuit);
}

void Pipeline::stop() {
  stopped_ = true;
  boost::asio::post(strand_, [this] { wakeup_.cancel(); });
}

boost::asio::awaitable<void> Pipeline::run() {
  co_await boost::asio::dispatch(strand_, boost::asio::use_awaitable);
  while (!stopped_) {
    const auto claimed = co_await step();
    if (claimed > 0) continue;
    // Sleep until woken by a new event, or a retry or reconcile may be due (checked at least every second).
    wakeup_.expires_after(std::chrono::seconds(1));
    boost::system::error_code ignored;
    co_await wakeup_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
}

boost::asio::awaitable<void> Pipeline::run_until_idle() {
  // Not `while (co_await step() > 0)`: GCC 12 miscompiles a co_await in a loop condition.
  while (!stopped_) {
    const auto claimed = co_await step();
    if (claimed == 0) break;
  }
  co_return;
}

boost::asio::awaitable<bool> Pipeline::circuit_allows() {
  if (!breaker_.allow(std::chrono::steady_clock::now())) co_return false;
  if (breaker_.state() != CircuitBreaker::State::half_open || !probe_) co_return true;
  const bool answered = co_await probe_();
  const auto before = CircuitBreaker::State::half_open;
  if (!answered) {
    breaker_.probe_failed(std::chrono::steady_clock::now());
    log(LogLevel::debug, "fhir.circuit-probe-failed");
    circuit_changed(before);
    co_return false;
  }
  breaker_.probe_succeeded();
  circuit_changed(before);
  co_return true;
}

boost::asio::awaitable<bool> Pipeline::server_available() {
  co_await boost::asio::dispatch(strand_, boost::asio::use_awaitable);
  const bool allowed = co_await circuit_allows();
  co_return allowed;
}

bool Pipeline::note_outcome(const Outcome& outcome) {
  const auto before = breaker_.state();
  if (outcome.kind == Outcome::Kind::retry && outcome.unavailable) {
    if (before == CircuitBreaker::State::half_open) {
      breaker_.probe_failed(std::chrono::steady_clock::now());
    } else {
      (void)breaker_.record_unavailable(std::chrono::steady_clock::now());
    }
    circuit_changed(before);
    return breaker_.state() != CircuitBreaker::State::closed;
  }
  breaker_.record_success();
  circuit_changed(before);
  return false;
}

void Pipeline::circuit_changed(CircuitBreaker::State before) {
  const auto now = breaker_.state();
  const bool was_closed = before == CircuitBreaker::State::closed;
  const bool is_closed = now == CircuitBreaker::State::closed;
  if (was_closed == is_closed) return;
  circuit_open_.set(is_closed ? 0.0 : 1.0);
  if (is_closed) {
    // Back: catch up first on what the server changed while it could not notify us (HAPI retries a delivery
    // for about a minute only), then drain the waiting events in order.
    reconcile_requested_ = true;
    log(LogLevel::info, "fhir.circuit-closed");
  } else {
    circuit_opened_.inc();
    log(LogLevel::warn, "fhir.circuit-opened");
  }
  if (on_circuit_) on_circuit_(now);
}

boost::asio::awaitable<std::size_t> Pipeline::step() {
  co_await boost::asio::dispatch(strand_, boost::asio::use_awaitable);
  // While the FHIR server is down nothing is claimed, searched or sent: events wait, attempts unspent.
  const bool allowed = co_await circuit_allows();
  if (!allowed) co_return 0;
  const auto steady_now = std::chrono::steady_clock::now();
  if (reconcile_requested_ || (config_.reconcile_interval.count() > 0 && steady_now >= next_reconcile_)) {
    reconcile_requested_ = false;
    if (catch_up_) {
      (void)co_await catch_up_();
    }
    next_reconcile_ = std::chrono::steady_clock::now() + config_.reconcile_interval;
  }

  auto due = store_.claim_due(format_instant(clock_.now()), kClaimBatch);
  // The pending gauge changes when events are claimed and settled: counted again after a round that claimed
  // something, not on every idle round (a GROUP BY over the whole event table).
  if (!due.empty() || pending_stale_) {
    pending_.set(static_cast<double>(store_.counts().pending));
    pending_stale_ = !due.empty();
  }
  if (due.empty()) co_return 0;
  const std::size_t claimed = due.size();
  co_await process(std::move(due));
  co_return claimed;
}

boost::asio::awaitable<void> Pipeline::process(std::vector<StoredEvent> events, std::chrono::seconds hold) {
  // The batch runs as a coroutine of its own whose executor is the strand: it and the patients it spawns then
  // resume only on the strand, whatever executor the caller's coroutine has (an awaitable resumes on its own
  // executor, not on one it dispatched to), so their shared counters need no lock.
  auto batch = process_batch(std::move(events), hold);
  co_await boost::asio::co_spawn(strand_, std::move(batch), boost::asio::use_awaitable);
}

boost::asio::awaitable<void> Pipeline::process_batch(std::vector<StoredEvent> events, std::chrono::seconds hold) {
  // Per-patient groups, in intake order of each patient's first event.
  std::vector<std::string> order;
  std::map<std::string, std::vector<StoredEvent>> by_patient;
  for (auto& event : events) {
    // The subject was taken from the one decode at intake (REST hook, topic bundle, reconcile): never re-derived.
    // A delete names no subject: it is the patient of the resource's earlier events.
    if (event.patient.empty() && event.version_id == kDeletedVersion) event.patient = patient_of_deleted(event);
    const std::string patient = event.patient;
    if (!by_patient.contains(patient)) order.push_back(patient);
    by_patient[patient].push_back(std::move(event));
  }
  // Up to `workers` patients at once, so that one patient's FHIR round trips do not hold up the others; each
  // patient's events go together into one analysis, so no two analyses of one patient ever run at once (the
  // next batch is claimed only when this one is settled).
  const std::size_t workers = static_cast<std::size_t>(std::max(config_.workers, 1));
  std::size_t in_flight = 0;
  boost::asio::steady_timer finished(strand_);  // cancelled whenever a patient's processing ends
  auto wait_for_one = [&]() -> boost::asio::awaitable<void> {
    finished.expires_at(boost::asio::steady_timer::time_point::max());
    boost::system::error_code ignored;
    co_await finished.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  };
  for (const auto& patient : order) {
    if (stopped_) break;
    while (in_flight >= workers) {
      co_await wait_for_one();
    }
    ++in_flight;
    boost::asio::co_spawn(strand_, process_group(patient, by_patient[patient], hold),
                          boost::asio::bind_executor(strand_, [&](const std::exception_ptr& error) {
                            --in_flight;
                            finished.cancel();
                            if (error) {
                              log(LogLevel::error, "pipeline.patient-crashed");
                            }
                          }));
  }
  while (in_flight > 0) {
    co_await wait_for_one();
  }
}

std::string Pipeline::patient_of_deleted(const StoredEvent& event) {
  const auto earlier = store_.events_of(event.resource_type, event.resource_id);
  const auto latest = std::find_if(earlier.rbegin(), earlier.rend(),
                                   [](const StoredEvent& seen) { return !seen.patient.empty(); });
  return latest == earlier.rend() ? std::string() : latest->patient;  // none: nothing was written from it
}

boost::asio::awaitable<void> Pipeline::process_group(const std::string& patient,
                                                     const std::vector<StoredEvent>& group,
                                                     std::chrono::seconds hold) {
  Outcome outcome;
  if (breaker_.state() == CircuitBreaker::State::open) {
    // The server went down during this batch: the rest of it waits for the breaker to close.
    outcome = Outcome{Outcome::Kind::retry, "FHIR server unavailable (circuit breaker open)", {}, true, true};
  } else if (patient.rfind("Patient/", 0) != 0) {
    // Results without a Patient subject, and deletes of resources never seen here, carry nothing to analyse.
    outcome = {Outcome::Kind::done, {}};
    log(LogLevel::info, "event.no-patient", {{"count", std::to_string(group.size())}});
  } else {
    // The patient's time split into the FHIR server's part and the gateway's own (bench/: issue 11's floor).
    const auto started = std::chrono::steady_clock::now();
    // The trace of the patient's first event (the notification's, or started at intake; an event stored before
    // traces were kept gets a new one): every FHIR call of this processing carries a span of it.
    const auto span = trace_or_start(group.front().traceparent).child();
    const auto traced = client_.with_headers({{"traceparent", span.traceparent()}});
    TimedClient timed(*traced, &request_seconds_);
    outcome = co_await process_patient(timed, patient, group, span);
    const auto total = std::chrono::steady_clock::now() - started;
    fhir_seconds_.observe(std::chrono::duration<double>(timed.waited()).count());
    own_seconds_.observe(std::chrono::duration<double>(total - timed.waited()).count());
  }
  const bool waiting = note_outcome(outcome);
  // A patient whose processing did not finish starts from the server next time.
  if (outcome.kind != Outcome::Kind::done) context_cache_.erase(patient);
  if (outcome.kind == Outcome::Kind::done) {
    settle_done(group, outcome);
    co_return;
  }
  if (waiting) {
    waited_.inc();
    log(LogLevel::warn, "event.waiting",
        {{"count", std::to_string(group.size())}, {"first", group.front().resource_id}, {"error", outcome.error}});
  }
  for (const auto& event : group) settle(event, outcome, hold, waiting);
}

void Pipeline::settle_done(const std::vector<StoredEvent>& group, const Outcome& outcome) {
  std::vector<std::int64_t> seqs;
  seqs.reserve(group.size());
  for (const auto& event : group) seqs.push_back(event.seq);
  const auto completed = store_.complete(seqs, outcome.alerts, format_instant(clock_.now()));
  if (!completed) {
    // Nothing was committed: the events stay pending and are claimed again; their alerts are keyed, so the
    // next attempt queues each once.
    log(LogLevel::error, "event.settle-failed",
        {{"count", std::to_string(group.size())}, {"first", group.front().resource_id}});
    return;
  }
  done_.inc(static_cast<double>(completed->events_done));
  if (completed->alerts_queued > 0) {
    alerts_queued_.inc(static_cast<double>(completed->alerts_queued));
    if (on_alerts_) on_alerts_();
  }
}

void Pipeline::settle(const StoredEvent& event, const Outcome& outcome, std::chrono::seconds hold, bool waiting) {
  const std::string seq = std::to_string(event.seq);
  switch (outcome.kind) {
    case Outcome::Kind::done:
      if (store_.mark_done(event.seq)) done_.inc();
      return;
    case Outcome::Kind::failed:
      if (store_.mark_failed(event.seq, outcome.error)) failed_.inc();
      log(LogLevel::error, "event.failed",
          {{"seq", seq},
           {"id", event.resource_id},
           {"trace_id", trace_id_of(event.traceparent)},
           {"error", outcome.error}});
      return;
    case Outcome::Kind::retry:
      break;
  }
  if (waiting) {
    // Due again at once (plus a claimer's hold): the breaker, not a backoff, decides when it is tried.
    (void)store_.mark_waiting(event.seq, format_instant(clock_.now() + hold), outcome.error);
    return;
  }
  if (outcome.no_answer) {
    // No answer, the breaker not (yet) open: tried again after the first backoff, still without an attempt.
    const auto next = clock_.now() + std::chrono::ceil<std::chrono::seconds>(config_.retry_initial_backoff) + hold;
    (void)store_.mark_waiting(event.seq, format_instant(next), outcome.error);
    log(LogLevel::warn, "event.retry",
        {{"seq", seq},
         {"id", event.resource_id},
         {"attempt", std::to_string(event.attempts)},
         {"error", outcome.error}});
    return;
  }
  const auto attempts = event.attempts + 1;
  if (attempts >= config_.max_attempts) {
    if (store_.mark_dead(event.seq, outcome.error)) dead_.inc();
    log(LogLevel::error, "event.dead",
        {{"seq", seq},
         {"id", event.resource_id},
         {"trace_id", trace_id_of(event.traceparent)},
         {"attempts", std::to_string(attempts)},
         {"error", outcome.error}});
    return;
  }
  const auto backoff = config_.retry_initial_backoff * (1LL << std::min<std::int64_t>(attempts - 1, 16));
  const auto next = clock_.now() + std::chrono::ceil<std::chrono::seconds>(backoff) + hold;
  if (store_.mark_retry(event.seq, format_instant(next), outcome.error)) retried_.inc();
  log(LogLevel::warn, "event.retry",
      {{"seq", seq},
       {"id", event.resource_id},
       {"trace_id", trace_id_of(event.traceparent)},
       {"attempt", std::to_string(attempts)},
       {"error", outcome.error}});
}

boost::asio::awaitable<Outcome> Pipeline::process_patient(fhir::Client& client, const std::string& patient,
                                                          const std::vector<StoredEvent>& events,
                                                          const TraceContext& span) {
  const auto as_of = as_of_clock_.now();
  PatientContext context;
  bool cached = false;
  auto gathered = co_await context_of(client, patient, events, as_of, context, cached);
  if (gathered.kind != Outcome::Kind::done) co_return gathered;
  auto analyzed = analyze_patient(context, knowledge_, as_of);
  const auto& analysis = analyzed.analysis;
  report_unusable(analysis, patient);

  // A result notified now as entered-in-error or cancelled retracts what was written from it (once: on its own
  // notification, not on every later analysis that sees it in the context).
  std::vector<std::string> retracted;
  // A deleted input retracts what was written from it, as entered-in-error does (HAPI's send-delete extension).
  std::vector<std::string> deleted;
  for (const auto& event : events) {
    if (event.version_id == kDeletedVersion) deleted.push_back(event.resource_type + "/" + event.resource_id);
  }
  retracted = deleted;
  for (const auto& reference : retracted_inputs(analysis.excluded)) {
    const bool notified = std::any_of(events.begin(), events.end(), [&](const StoredEvent& event) {
      return reference == event.resource_type + "/" + event.resource_id;
    });
    if (notified) retracted.push_back(reference);
  }
  // The retraction goes into the analysis' own transaction: both are written, or neither (ARCHITECTURE step 7).
  std::vector<fhir::BundleEntry> retractions;
  if (!retracted.empty()) {
    auto outcome = co_await retraction(client, patient, retracted, deleted, as_of, retractions);
    if (outcome.kind != Outcome::Kind::done) co_return outcome;
  }
  auto& entries = analyzed.entries;
  AlertContext alert_context{patient, knowledge_.rule_set_id + "@" + knowledge_.rule_set_version,
                             correlation_id(entries), format_instant(clock_.now()), span.traceparent()};
  log(LogLevel::info, "analysis.done",
      {{"patient", patient},
       {"trace_id", span.trace_id},
       {"correlation", alert_context.correlation_id},
       {"measurements", std::to_string(analysis.measurements.size())},
       {"gradients", std::to_string(analysis.gradients.size())},
       {"resources", std::to_string(entries.size())}});
  if (entries.empty() && retractions.empty()) co_return Outcome{};
  // The same resources as the patient's last write-back, from a cached context (a panel's results delivered over
  // several batches): every create is conditional, so the server would keep what it holds; leave it alone. A
  // backfill or a fetched context always writes (an operator re-running it may be restoring what was lost).
  const std::string written_key = retractions.empty() ? writes_key(entries) : std::string();
  if (cached && !written_key.empty() && written_key == context_cache_.written(patient)) {
    unchanged_.inc();
    log(LogLevel::info, "analysis.unchanged",
        {{"patient", patient}, {"correlation", alert_context.correlation_id}});
    co_return Outcome{};
  }

  const bool wrote_analysis = !entries.empty();
  Outcome done;
  done.alerts = retraction_alerts_of(retractions, retracted, alert_context);
  const std::size_t first_of_analysis = retractions.size();
  std::map<std::string, std::size_t> retracted_by_type;
  for (const auto& entry : retractions) ++retracted_by_type[std::string(fhir::resource_type(*entry.resource))];
  entries.insert(entries.begin(), std::make_move_iterator(retractions.begin()),
                 std::make_move_iterator(retractions.end()));
  const auto bundle = transaction_bundle(std::move(entries));  // a local: see Client::read on GCC 12
  auto written = co_await client.transaction(bundle);
  if (!written.has_value()) {
    auto outcome = classify(written.error(), "write-back transaction");
    // 412: a resource to retract changed since it was read (If-Match); the next attempt reads it again.
    if (!retracted_by_type.empty() && written.error().http_status == 412) outcome.kind = Outcome::Kind::retry;
    co_return outcome;
  }
  if (!written_key.empty()) context_cache_.set_written(patient, written_key);
  if (wrote_analysis) {
    written_.inc();
    auto raised = finding_alerts(analyzed.analysis, written->entry, first_of_analysis, alert_context);
    done.alerts.insert(done.alerts.end(), std::make_move_iterator(raised.begin()),
                       std::make_move_iterator(raised.end()));
  }
  if (!retracted_by_type.empty()) {
    for (const auto& [type, count] : retracted_by_type) {
      metrics_
          .counter("gradient_gateway_retracted_total",
                   "Resources the gateway wrote that it set to entered-in-error because an input was retracted",
                   {{"type", type}})
          .inc(static_cast<double>(count));
    }
    log(LogLevel::info, "retraction.done",
        {{"patient", patient}, {"inputs", std::to_string(retracted.size())}, {"first", retracted.front()}});
  }
  co_return done;
}

// The Observation of the last event about `id`, when that event's payload is trusted and is this patient's result
// of that id; nothing otherwise (then the result is read from the server).
std::optional<fhir::Observation> Pipeline::trusted_payload(const std::vector<StoredEvent>& events,
                                                           const std::string& id, const std::string& patient) {
  const auto last = std::find_if(events.rbegin(), events.rend(), [&](const StoredEvent& event) {
    return event.resource_type == "Observation" && event.resource_id == id;
  });
  if (last == events.rend() || !last->payload_trusted || last->payload.empty()) return std::nullopt;
  auto decoded = fhir::decode_resource(last->payload);
  if (!decoded.ok()) return std::nullopt;
  auto* observation = std::get_if<fhir::Observation>(&*decoded.value);
  if (observation == nullptr || observation->id != id || observation->subject.reference != patient) {
    return std::nullopt;
  }
  return std::move(*observation);
}

boost::asio::awaitable<Outcome> Pipeline::context_of(fhir::Client& client, const std::string& patient,
                                                     const std::vector<StoredEvent>& events,
                                                     std::chrono::sys_seconds as_of, PatientContext& context,
                                                     bool& cached) {
  // The notified results (deduplicated) and the deleted ones; anything else (a backfill's patient event, another
  // resource type) asks for the whole context.
  std::vector<std::string> notified;
  std::vector<std::string> deleted;
  bool only_results = true;
  for (const auto& event : events) {
    if (event.resource_type != "Observation") {
      only_results = false;
    } else if (event.version_id == kDeletedVersion) {
      deleted.push_back(event.resource_id);
    } else if (std::find(notified.begin(), notified.end(), event.resource_id) == notified.end()) {
      notified.push_back(event.resource_id);
    }
  }
  auto from_cache = only_results && notified.size() <= kMaxCachedReads ? context_cache_.find(patient, clock_.now())
                                                                       : std::nullopt;
  const bool hit = from_cache.has_value();
  cached = hit;
  if (hit) {
    cache_hits_.inc();
    context = std::move(*from_cache);
    std::erase_if(context.observations, [&](const fhir::Observation& observation) {
      return std::find(deleted.begin(), deleted.end(), observation.id) != deleted.end();
    });
  } else {
    cache_misses_.inc();
    const auto since = as_of - std::chrono::days(lookback_days_);
    auto fetched = co_await fetch_context(client, patient, since, knowledge_);
    if (fetched.outcome.kind != Outcome::Kind::done) co_return fetched.outcome;
    report_fetch(fetched, patient);
    context = std::move(fetched.context);
  }
  // The FHIR server is the source of truth (issue 11, item 1): a notification's payload is a hint and is never
  // analysed. Each notified result is read from the server: on a cache hit all of them (they replace what was
  // cached), after a fetch those the search did not bring (dated before the lookback, or a search index behind
  // its write). A forged or replayed payload costs that read and changes nothing. The one exception is a payload
  // trusted at intake (its sender proved by a TLS client certificate, and so configured): it is the version the
  // server notified, analysed as it came instead of read again.
  for (const auto& id : notified) {
    auto held = std::find_if(context.observations.begin(), context.observations.end(),
                             [&](const fhir::Observation& observation) { return observation.id == id; });
    if (auto trusted = trusted_payload(events, id, patient)) {
      if (held != context.observations.end()) context.observations.erase(held);
      context.observations.push_back(std::move(*trusted));
      trusted_payloads_.inc();
      continue;
    }
    if (!hit && held != context.observations.end()) continue;
    std::string read_id = id;  // a local, not a temporary of the co_await expression (GCC 12)
    auto read = co_await client.read<fhir::Observation>(std::move(read_id));
    if (!read) co_return classify(read.error(), "read Observation");
    if (held != context.observations.end()) context.observations.erase(held);       // the cached version
    if (!read->resource || read->resource->subject.reference != patient) continue;  // gone, or not this patient's
    context.observations.push_back(std::move(*read->resource));
  }
  context_cache_.put(patient, context, clock_.now());
  co_return Outcome{};
}

std::vector<NewAlert> Pipeline::retraction_alerts_of(const std::vector<fhir::BundleEntry>& retractions,
                                                     const std::vector<std::string>& retracted,
                                                     const AlertContext& context) {
  std::vector<NewAlert> alerts;
  const std::string input = retracted.empty() ? std::string() : retracted.front();
  for (const auto& entry : retractions) {
    if (!entry.resource) continue;
    const auto* observation = std::get_if<fhir::Observation>(&*entry.resource);
    if (observation == nullptr) continue;
    auto raised = retraction_alerts(store_.alerts().about("Observation/" + observation->id), input, context);
    alerts.insert(alerts.end(), std::make_move_iterator(raised.begin()), std::make_move_iterator(raised.end()));
  }
  return alerts;
}

void Pipeline::report_fetch(const FetchedContext& fetched, const std::string& patient) {
  if (!fetched.skipped.empty()) {
    skipped_results_.inc(static_cast<double>(fetched.skipped.size()));
    log(LogLevel::warn, "context.entries-skipped",
        {{"patient", patient},
         {"count", std::to_string(fetched.skipped.size())},
         {"first", fetched.skipped.front().path + ": " + fetched.skipped.front().message}});
  }
  if (!fetched.history_refused.empty()) {
    log(LogLevel::warn, "context.history-refused", {{"patient", patient}, {"error", fetched.history_refused}});
  }
  for (const auto& [type, error] : fetched.refused_medication_searches) {
    metrics_
        .counter("gradient_gateway_context_medication_searches_refused_total",
                 "Medication searches the FHIR server refused (4xx): dose timing went without that type",
                 {{"type", type}})
        .inc();
    log(LogLevel::warn, "context.medications-unavailable",
        {{"patient", patient}, {"type", type}, {"error", error}});
  }
}

boost::asio::awaitable<Outcome> Pipeline::retraction(fhir::Client& client, const std::string& patient,
                                                     const std::vector<std::string>& retracted,
                                                     const std::vector<std::string>& deleted,
                                                     std::chrono::sys_seconds as_of,
                                                     std::vector<fhir::BundleEntry>& entries) {
  // The gateway's own output about the patient: derived Observations by code system, the others by identifier.
  const std::string subject = "subject=" + fhir::percent_encode(patient);
  const std::string ours = fhir::percent_encode(std::string(kWriteBackIdentifierSystem) + "|");
  const std::pair<std::string, std::string> searches[] = {
      {"Observation", subject + "&code=" +
                          fhir::percent_encode(std::string(analytics::kGradientCodeSystem) + "|") + "&_count=200"},
      {"RiskAssessment", subject + "&identifier=" + ours + "&_count=200"},
      {"CarePlan", subject + "&identifier=" + ours + "&_count=200"}};
  std::vector<fhir::Resource> written;
  for (const auto& [type, query] : searches) {
    auto found = co_await client.search(type, query);
    if (!found.has_value()) {
      co_return classify(found.error(), "search " + type + " to retract");
    }
    for (auto& resource : found->resources) written.push_back(std::move(resource));
  }
  entries = retraction_entries(retracted, written, format_instant(as_of), deleted);
  co_return Outcome{};
}

void Pipeline::report_unusable(const analytics::Analysis& analysis, const std::string& patient) {
  // Each Observation version is reported once, however often a patient's context brings it back.
  const std::string now = format_instant(clock_.now());
  for (const auto& rejected : analysis.rejections) {
    const std::string reasons = rejection_reasons(rejected);
    const bool first_time =
        store_.record_rejection({rejected.reference, rejected.version_id, patient, rejected.analyte_id, reasons,
                                 fhir::to_json(fhir::Resource{rejection_outcome(rejected)}), now});
    if (!first_time) continue;
    const std::string primary(rejected.issues.empty() ? "invalid"
                                                      : analytics::to_string(rejected.issues.front().reason));
    metrics_
        .counter("gradient_gateway_results_rejected_total",
                 "Hormone results that could not be used, by first reason (GET /admin/rejections lists them)",
                 {{"reason", primary}})
        .inc();
    log(LogLevel::warn, "result.rejected",
        {{"observation", rejected.reference},
         {"version", rejected.version_id},
         {"analyte", rejected.analyte_id},
         {"reasons", reasons},
         {"element", rejected.issues.empty() ? std::string() : rejected.issues.front().element}});
  }
  for (const auto& excluded : analysis.excluded) {
    metrics_
        .counter("gradient_gateway_results_excluded_total",
                 "Hormone results without a value by their own account (cancelled, entered-in-error, registered, "
                 "data-absent)",
                 {{"status", excluded.status}})
        .inc();
  }
  if (analysis.skipped > 0) {
    metrics_
        .counter("gradient_gateway_results_not_hormone_total",
                 "Observations in a patient's context that are not hormone results (skipped, not errors)")
        .inc(static_cast<double>(analysis.skipped));
  }
}

}  // namespace gg::gateway
