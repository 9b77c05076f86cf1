#include "gateway/ingress/reconciler.hpp"

#include <string>

#include "analytics/date_time.hpp"
#include "fhir/url.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/trace_context.hpp"

namespace gg::gateway {

Reconciler::Reconciler(StateStore& store, fhir::Client& client, const LoadedKnowledge& knowledge,
                       std::chrono::seconds overlap, const Clock& clock, MetricsRegistry& metrics)
    : store_(store),
      client_(client),
      knowledge_(knowledge),
      overlap_(overlap),
      clock_(clock),
      recorded_(metrics.counter("gradient_gateway_events_recorded_total",
                                "Intake events stored durably, by transport", {{"source", "poll"}})),
      runs_(metrics.counter("gradient_gateway_reconcile_runs_total",
                            "Completed _lastUpdated catch-up searches (the first start only sets the cursor)")) {}

boost::asio::awaitable<std::size_t> Reconciler::run_once() {
  const auto now = clock_.now();
  const std::string cursor_name(kReconcileCursor);
  auto cursor = store_.cursor(cursor_name);
  const auto since = cursor ? analytics::parse_fhir_date_time(*cursor).instant : std::nullopt;
  if (!since) {
    // First start (or an unreadable cursor): history is backfill's job; from now on nothing is missed.
    if (cursor) log(LogLevel::warn, "reconcile.cursor-unreadable", {{"cursor", *cursor}});
    store_.set_cursor(cursor_name, format_instant(now));
    runs_.inc();
    co_return 0;
  }
  // ge and an overlap, never gt the cursor: a result updated in the cursor's second, or by a transaction that
  // started before the last search and committed after it, is found again; its version is already recorded.
  const std::string from = format_instant(since->utc - overlap_);
  const std::string query = "code=" + hormone_code_list(knowledge_) + "&_lastUpdated=ge" +
                            fhir::percent_encode(from) + "&_sort=_lastUpdated&_count=200";
  // One trace for the run: its search carries it, and each event it finds keeps it.
  const auto trace = start_trace();
  const auto traced = client_.with_headers({{"traceparent", trace.child().traceparent()}});
  // The entries' bytes as received are what is stored: no JSON round trip (issue 9, item 3).
  auto found = co_await traced->search("Observation", query, 50, fhir::DecodeOptions{}, true);
  if (!found) {
    log(LogLevel::warn, "reconcile.failed", {{"error", found.error().message}});
    co_return 0;
  }
  std::string newest = *cursor;
  auto newest_instant = since->utc;
  std::size_t recorded = 0;
  auto& resources = found->resources;
  for (std::size_t i = 0; i < resources.size(); ++i) {
    const auto* observation = std::get_if<fhir::Observation>(&resources[i]);
    if (observation == nullptr || i >= found->resource_json.size()) continue;
    auto outcome = store_.record_event(IntakeEvent{
        "Observation", observation->id, observation->meta.version_id, observation->subject.reference,
        IntakeSource::poll, format_instant(now), std::move(found->resource_json[i]), trace.traceparent()});
    if (outcome.kind == RecordOutcome::Kind::inserted) {
      ++recorded;
      recorded_.inc();
    }
    if (!outcome.stored()) co_return recorded;  // keep the cursor: the next reconcile tries again
    const auto updated = analytics::parse_fhir_date_time(observation->meta.last_updated).instant;
    if (updated && updated->utc > newest_instant) {
      newest_instant = updated->utc;
      newest = observation->meta.last_updated;
    }
  }
  store_.set_cursor(cursor_name, newest);
  runs_.inc();
  log(recorded > 0 ? LogLevel::info : LogLevel::debug, "reconcile.searched",
      {{"since", from},
       {"seen", std::to_string(found->resources.size())},
       {"recorded", std::to_string(recorded)}});
  co_return recorded;
}

}  // namespace gg::gateway
