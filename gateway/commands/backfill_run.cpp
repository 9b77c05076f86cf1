#include "gateway/commands/backfill_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <thread>

#include "analytics/date_time.hpp"
#include "gateway/commands/input_index.hpp"
#include "gateway/pipeline/outcome.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/trace_context.hpp"

namespace gg::gateway {
namespace {

// Patients claimed and processed at a time: the lease is renewed between batches, so one batch must take less
// than the lease (a patient is a few requests).
constexpr std::size_t kBatch = 20;

std::chrono::sys_seconds parse_instant(const std::string& text) {
  const auto parsed = analytics::parse_fhir_date_time(text).instant;
  return parsed ? std::chrono::floor<std::chrono::seconds>(parsed->utc) : std::chrono::sys_seconds{};
}

// "1:02:03", "4:05", "7 s".
std::string format_duration(double seconds) {
  const long long total = std::llround(seconds);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  } else if (total >= 60) {
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld s", total);
  }
  return text;
}

}  // namespace

PatientFinder::PatientFinder(const LoadedKnowledge& knowledge, std::ostream& err)
    : decode_options_(knowledge.decode_options()), scan_options_(knowledge.scan_options()) {
  for (auto& code : knowledge.subscription_codes()) hormone_codes_.insert(std::move(code));
  handlers_.on_resource = [this](const InputLocation&, fhir::Resource&& resource) {
    ++totals_.resources;
    const auto* observation = std::get_if<fhir::Observation>(&resource);
    const bool hormone =
        observation != nullptr && std::any_of(observation->code.coding.begin(), observation->code.coding.end(),
                                              [&](const fhir::Coding& coding) {
                                                return hormone_codes_.contains({coding.system, coding.code});
                                              });
    if (!hormone) {
      ++totals_.skipped;
      return;
    }
    ++totals_.hormone_results;
    const auto& subject = observation->subject.reference;
    if (subject.rfind("Patient/", 0) == 0 && seen_.insert(subject).second) fresh_.push_back(subject);
  };
  handlers_.on_error = [this, &err](const InputLocation& where, const std::vector<fhir::DecodeIssue>& issues) {
    ++totals_.rejected;
    auto outcome = fhir::to_operation_outcome(issues);
    const std::string location = where.line == 0 ? where.source : where.source + ":" + std::to_string(where.line);
    for (auto& issue : outcome.issue) issue.diagnostics = location + ": " + issue.diagnostics;
    err << fhir::to_json(fhir::Resource{std::move(outcome)}) << '\n';
  };
}

void PatientFinder::read(const std::vector<std::string>& files, const std::string& shown_as) {
  ScanCallbacks callbacks;
  callbacks.on_error = [&](const InputLocation& where, const std::vector<fhir::DecodeIssue>& issues) {
    handlers_.on_error(shown_as.empty() ? where : InputLocation{shown_as, where.line}, issues);
  };
  callbacks.on_skipped = [this](std::string_view, std::size_t count) {
    totals_.resources += count;
    totals_.skipped += count;
  };
  // The scan's wanted Observations carry the same codes (LoadedKnowledge::scan_options, subscription_codes): they
  // are the hormone results, and their subjects are all that is kept. A large NDJSON file is scanned in pieces,
  // one per processor, as analyze scans it.
  const ScanThreads threads{std::max<std::size_t>(1, std::thread::hardware_concurrency())};
  const InputIndex index = scan_inputs(files, decode_options_, scan_options_, callbacks, SIZE_MAX, threads);
  for (const auto& resource : index.resources) {
    ++totals_.resources;
    if (resource.kind != IndexedKind::observation) {
      ++totals_.skipped;
      continue;
    }
    ++totals_.hormone_results;
    const auto& subject = index.patients[resource.patient];
    if (subject.rfind("Patient/", 0) == 0 && seen_.insert(subject).second) fresh_.push_back(subject);
  }
}

std::vector<std::string> PatientFinder::take_new() {
  return std::exchange(fresh_, {});
}

std::string backfill_run_version(const Clock& clock) {
  static std::atomic<int> runs{0};
  return "backfill-" + format_instant(clock.now()) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(++runs);
}

BackfillRun::BackfillRun(boost::asio::io_context& io, fhir::Client& client, StateStore& store, const Clock& clock,
                         const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                         std::string version, std::ostream& err)
    : io_(io),
      store_(store),
      clock_(clock),
      lease_(config.pipeline.claim_lease),
      version_(std::move(version)),
      trace_(start_trace().traceparent()),
      err_(err),
      as_of_clock_(OffsetClock::reading(clock, options.as_of)),
      pipeline_(std::make_unique<Pipeline>(io.get_executor(), store, client, knowledge, metrics_, config.pipeline,
                                           config.analysis.lookback_days, clock, &as_of_clock_)),
      interactive_(stderr_is_terminal()) {}

BackfillRun::~BackfillRun() = default;

void BackfillRun::record(const std::vector<std::string>& patients) {
  // Durable before any processing: an interrupted run leaves them pending, and the next run (same version) or a
  // `serve` on the same state file finishes them once the lease has run out.
  const std::string now = format_instant(clock_.now());
  const std::string leased_until = format_instant(clock_.now() + lease_);
  for (const auto& patient : patients) {
    const IntakeEvent event{"Patient",
                            patient.substr(std::string_view("Patient/").size()),
                            version_,
                            patient,
                            IntakeSource::backfill,
                            now,
                            {},
                            trace_};
    const auto recorded = store_.events().record(event, leased_until);
    if (!recorded.stored()) {
      ++not_recorded_;
      break_line();
      err_ << "backfill: " << patient << ": not recorded in the state store: " << recorded.error << '\n';
      continue;
    }
    tracked_.try_emplace(recorded.seq, Tracked{patient, {}, false});
  }
}

void BackfillRun::break_line() {
  if (line_open_) err_ << '\n';
  line_open_ = false;
}

void BackfillRun::progress(bool last) {
  if (!interactive_ && !last && settled_ / 100 == shown_ / 100) return;
  shown_ = settled_;
  err_ << (interactive_ && line_open_ ? "\r" : "") << "backfill: " << settled_ << "/" << tracked_.size()
       << " patients, " << written_ << " transactions written, " << failed_ << " failed";
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const std::size_t done_here = settled_ - settled_at_start_;
  if (started_ != std::chrono::steady_clock::time_point{} && elapsed > 0.5 && done_here > 0) {
    const double rate = static_cast<double>(done_here) / elapsed;
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", rate);
    err_ << ", " << text << " patients/s";
    const std::size_t goal = std::max(tracked_.size(), expected_total_);
    if (!last && settled_ < goal) err_ << ", ETA " << format_duration(static_cast<double>(goal - settled_) / rate);
  }
  if (!phase_.empty()) err_ << " (" << phase_ << ")";
  if (interactive_ && !last) {
    err_ << "\x1b[K" << std::flush;  // erase what a longer earlier line left
    line_open_ = true;
  } else {
    err_ << '\n' << std::flush;
    line_open_ = false;
  }
}

// Reads back the events the run still waits for; counts and reports those that ended.
void BackfillRun::refresh() {
  for (auto& [seq, entry] : tracked_) {
    if (entry.settled) continue;
    auto found = store_.find_event(seq);
    if (!found) continue;
    entry.event = std::move(*found);
    if (entry.event.state == EventState::pending) continue;
    entry.settled = true;
    ++settled_;
    if (entry.event.state == EventState::done) {
      ++written_;
    } else {
      ++failed_;
      break_line();
      err_ << "backfill: " << entry.patient << ": " << to_string(entry.event.state) << ": "
           << entry.event.last_error << '\n';
    }
  }
}

boost::asio::awaitable<void> BackfillRun::settle() {
  if (started_ == std::chrono::steady_clock::time_point{}) {
    started_ = std::chrono::steady_clock::now();
    settled_at_start_ = settled_;
  }
  refresh();  // events of an interrupted run that have ended since
  boost::asio::steady_timer timer(io_);
  while (settled_ < tracked_.size()) {
    // While the FHIR server is down (the pipeline's breaker is open) claim nothing: the events wait, unharmed.
    const bool available = co_await pipeline_->server_available();
    if (!available) {
      timer.expires_after(std::chrono::seconds(1));
      boost::system::error_code ignored;
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
      continue;
    }
    const auto now = clock_.now();
    const std::string leased_until = format_instant(now + lease_);
    store_.events().renew_lease(IntakeSource::backfill, version_, leased_until);
    auto claimed =
        store_.events().claim_leased(IntakeSource::backfill, version_, format_instant(now), leased_until, kBatch);
    if (!claimed.empty()) {
      co_await pipeline_->process(std::move(claimed), lease_);
      refresh();
      progress(false);
      continue;
    }
    refresh();  // some may have been settled by another process (a serve that took over after a lease)
    if (settled_ == tracked_.size()) break;
    // The earliest retry: claim_leased takes the run's own events a lease before claim_due would.
    auto earliest = std::chrono::sys_seconds::max();
    for (const auto& [seq, entry] : tracked_) {
      if (!entry.settled) earliest = std::min(earliest, parse_instant(entry.event.next_attempt_at) - lease_);
    }
    const auto wait = std::max<std::chrono::seconds>(earliest - clock_.now(), std::chrono::seconds(1));
    timer.expires_after(wait);
    boost::system::error_code ignored;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
  co_return;
}

int run_in_backfill_setting(const Config& config, std::ostream& err, const BackfillBody& body) {
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
  return body(io, client, **store, clock);
}

bool stderr_is_terminal() {
  return isatty(STDERR_FILENO) == 1;
}

std::optional<std::string> BackfillCursor::load() const {
  auto text = store_.cursors().cursor(name_);
  if (!text || text->empty()) return std::nullopt;
  return text;
}

void BackfillCursor::save(const std::string& text) const {
  if (!store_.cursors().set_cursor(name_, text)) {
    err_ << "backfill: warning: the cursor " << name_
         << " was not saved; an interruption now starts this backfill anew\n";
  }
}

void BackfillCursor::clear() const {
  store_.cursors().set_cursor(name_, "");
}

int finish_backfill(const PatientFinder& finder, const BackfillRun& run, const std::string& head,
                    std::ostream& err) {
  const auto& totals = finder.totals();
  err << "backfill: " << head << totals.resources << " resources read, " << totals.hormone_results
      << " hormone results, " << totals.skipped << " skipped, " << totals.rejected << " rejected; "
      << run.written() << " of " << run.total() << " patient transactions written\n";
  return totals.rejected == 0 && run.failed() == 0 && run.not_recorded() == 0 ? 0 : 1;
}

std::string format_cursor_line(std::string_view key, std::string_view value) {
  std::string line(key);
  line.append(" ").append(value).append("\n");
  return line;
}

void for_each_cursor_field(std::string_view text,
                           const std::function<void(std::string_view key, std::string value)>& field) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const auto space = line.find(' ');
    if (space != std::string_view::npos) field(line.substr(0, space), std::string(line.substr(space + 1)));
  }
}

boost::asio::awaitable<bool> wait_to_read_again(const BackfillContext& context, std::string_view prefix,
                                                const fhir::RestError& error, int retry) {
  if (retry > kReadRetries || !transient(error)) co_return false;
  const auto wait = context.config.pipeline.retry_initial_backoff * (1 << (retry - 1));
  context.err << "backfill: " << prefix << error.message << "; reading it again in " << wait.count()
              << " ms (retry " << retry << " of " << kReadRetries << ")\n";
  boost::asio::steady_timer timer(context.io, wait);
  boost::system::error_code ignored;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  co_return true;
}

}  // namespace gg::gateway
