#include "gateway/commands/backfill_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <map>
#include <ostream>
#include <set>
#include <utility>

#include "analytics/date_time.hpp"
#include "fhir/rest_client.hpp"
#include "gateway/commands/input_reader.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {
namespace {

// Patients claimed and processed at a time: the lease is renewed between batches, so one batch must take less
// than the lease (a patient is a few requests).
constexpr std::size_t kBatch = 20;

struct InputSummary {
  std::size_t resources = 0;
  std::size_t hormone_results = 0;
  std::size_t skipped = 0;
  std::size_t rejected = 0;
  std::vector<std::string> patients;  // "Patient/7", in order of first appearance
};

// Reads every input; the subjects of its hormone results (the codes the pipeline searches) are the patients.
InputSummary read_inputs(const LoadedKnowledge& knowledge, const AnalyzeOptions& options, std::ostream& err) {
  InputSummary summary;
  std::set<std::pair<std::string, std::string>> hormone_codes;
  for (auto& code : knowledge.subscription_codes()) hormone_codes.insert(std::move(code));
  std::set<std::string> seen;
  const auto decode_options = knowledge.decode_options();

  InputHandlers handlers;
  handlers.on_resource = [&](const InputLocation&, fhir::Resource&& resource) {
    ++summary.resources;
    const auto* observation = std::get_if<fhir::Observation>(&resource);
    const bool hormone =
        observation != nullptr && std::any_of(observation->code.coding.begin(), observation->code.coding.end(),
                                              [&](const fhir::Coding& coding) {
                                                return hormone_codes.contains({coding.system, coding.code});
                                              });
    if (!hormone) {
      ++summary.skipped;
      return;
    }
    ++summary.hormone_results;
    const auto& subject = observation->subject.reference;
    if (subject.rfind("Patient/", 0) == 0 && seen.insert(subject).second) summary.patients.push_back(subject);
  };
  handlers.on_error = [&](const InputLocation& where, const std::vector<fhir::DecodeIssue>& issues) {
    ++summary.rejected;
    auto outcome = fhir::to_operation_outcome(issues);
    const std::string location = where.line == 0 ? where.source : where.source + ":" + std::to_string(where.line);
    for (auto& issue : outcome.issue) issue.diagnostics = location + ": " + issue.diagnostics;
    err << fhir::to_json(fhir::Resource{std::move(outcome)}) << '\n';
  };
  for (const auto& input : options.inputs) read_input(input, decode_options, handlers);
  return summary;
}

// This run's version_id for its events: a new one per run, so that a second run analyses every patient again
// instead of finding its events already done.
std::string run_version(const Clock& clock) {
  static std::atomic<int> runs{0};
  return "backfill-" + format_instant(clock.now()) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(++runs);
}

std::chrono::sys_seconds parse_instant(const std::string& text) {
  const auto parsed = analytics::parse_fhir_date_time(text).instant;
  return parsed ? std::chrono::floor<std::chrono::seconds>(parsed->utc) : std::chrono::sys_seconds{};
}

}  // namespace

int run_backfill(boost::asio::io_context& io, fhir::Client& client, StateStore& store, const Clock& clock,
                 const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 std::ostream& err) {
  const auto inputs = read_inputs(knowledge, options, err);
  const auto lease = config.pipeline.claim_lease;
  const std::string version = run_version(clock);

  // One event per patient, durable before any processing: an interrupted run leaves them pending, and the next
  // run or a `serve` on the same state file finishes them once the lease has run out.
  struct Tracked {
    std::string patient;
    StoredEvent event;
    bool settled = false;
  };
  std::map<std::int64_t, Tracked> tracked;
  std::size_t not_recorded = 0;
  {
    const std::string now = format_instant(clock.now());
    const std::string leased_until = format_instant(clock.now() + lease);
    for (const auto& patient : inputs.patients) {
      const IntakeEvent event{"Patient",
                              patient.substr(std::string_view("Patient/").size()),
                              version,
                              patient,
                              IntakeSource::backfill,
                              now,
                              {}};
      const auto recorded = store.events().record(event, leased_until);
      if (!recorded.stored()) {
        ++not_recorded;
        err << "backfill: " << patient << ": not recorded in the state store: " << recorded.error << '\n';
        continue;
      }
      tracked[recorded.seq] = Tracked{patient, {}, false};
    }
  }

  MetricsRegistry metrics;  // the pipeline counts as in serve; backfill reports from the events themselves
  const OffsetClock as_of_clock = OffsetClock::reading(clock, options.as_of);
  Pipeline pipeline(io.get_executor(), store, client, knowledge, metrics, config.pipeline,
                    config.analysis.lookback_days, clock, &as_of_clock);

  const bool interactive = isatty(STDERR_FILENO) == 1;
  const std::size_t total = inputs.patients.size();
  std::size_t settled = 0;
  std::size_t written = 0;
  std::size_t failed = 0;
  std::size_t shown = 0;
  auto progress = [&](bool last) {
    if (!interactive && !last && settled / 100 == shown / 100) return;
    shown = settled;
    err << (interactive ? "\r" : "") << "backfill: " << settled << "/" << total << " patients, " << written
        << " transactions written, " << failed << " failed" << (interactive && !last ? "" : "\n") << std::flush;
  };
  // Reads back the events the run still waits for; counts and reports those that ended.
  auto refresh = [&]() {
    for (auto& [seq, entry] : tracked) {
      if (entry.settled) continue;
      auto found = store.find_event(seq);
      if (!found) continue;
      entry.event = std::move(*found);
      if (entry.event.state == EventState::pending) continue;
      entry.settled = true;
      ++settled;
      if (entry.event.state == EventState::done) {
        ++written;
      } else {
        ++failed;
        if (interactive) err << '\n';
        err << "backfill: " << entry.patient << ": " << to_string(entry.event.state) << ": "
            << entry.event.last_error << '\n';
      }
    }
  };

  auto work = [&]() -> boost::asio::awaitable<void> {
    boost::asio::steady_timer timer(io);
    while (settled < tracked.size()) {
      // While the FHIR server is down (the pipeline's breaker is open) claim nothing: the events wait, unharmed.
      const bool available = co_await pipeline.server_available();
      if (!available) {
        timer.expires_after(std::chrono::seconds(1));
        boost::system::error_code ignored;
        co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
        continue;
      }
      const auto now = clock.now();
      const std::string leased_until = format_instant(now + lease);
      store.events().renew_lease(IntakeSource::backfill, version, leased_until);
      auto claimed =
          store.events().claim_leased(IntakeSource::backfill, version, format_instant(now), leased_until, kBatch);
      if (!claimed.empty()) {
        co_await pipeline.process(std::move(claimed), lease);
        refresh();
        progress(false);
        continue;
      }
      refresh();  // some may have been settled by another process (a serve that took over after a lease)
      if (settled == tracked.size()) break;
      // The earliest retry: claim_leased takes the run's own events a lease before claim_due would.
      auto earliest = std::chrono::sys_seconds::max();
      for (const auto& [seq, entry] : tracked) {
        if (!entry.settled) earliest = std::min(earliest, parse_instant(entry.event.next_attempt_at) - lease);
      }
      const auto wait = std::max<std::chrono::seconds>(earliest - clock.now(), std::chrono::seconds(1));
      timer.expires_after(wait);
      boost::system::error_code ignored;
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
    co_return;
  };
  auto done = boost::asio::co_spawn(io, work(), boost::asio::use_future);
  io.restart();
  io.run();
  done.get();
  progress(true);

  err << "backfill: " << inputs.resources << " resources read, " << inputs.hormone_results << " hormone results, "
      << inputs.skipped << " skipped, " << inputs.rejected << " rejected; " << written << " of " << total
      << " patient transactions written\n";
  return inputs.rejected == 0 && failed == 0 && not_recorded == 0 ? 0 : 1;
}

int run_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 std::ostream& err) {
  // The pipeline's warnings (retries, failures) go to standard error beside the progress; its per-patient
  // information lines would drown it.
  const auto configured = parse_log_level(config.logging.level);
  set_log_level(configured == LogLevel::error ? LogLevel::error : LogLevel::warn);
  set_log_patient_data(config.logging.patient_data);

  auto store = StateStore::open(config.state.path);
  if (!store) {
    err << "backfill: the state store " << config.state.path << " did not open: " << store.error() << '\n';
    return 1;
  }
  boost::asio::io_context io;
  const auto client_options =
      rest_client_options(config.fhir, std::string("gradient-gateway/") + GG_VERSION + " backfill");
  fhir::RestClient client(io.get_executor(), client_options);
  const SystemClock clock;
  return run_backfill(io, client, **store, clock, config, knowledge, options, err);
}

}  // namespace gg::gateway
