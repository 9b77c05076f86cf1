// What every kind of backfill shares (files, Bulk Data $export, a FHIR search): the setting it runs in, finding
// the patients in what is read (the subjects of hormone results), recording one intake event per patient leased to
// the run, processing them with the service's own pipeline until each is settled, the progress display (count,
// rate, ETA), the final counts and the text form of a resumable source's cursor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "fhir/client.hpp"
#include "fhir/rest_client.hpp"
#include "gateway/commands/analyze_command.hpp"
#include "gateway/commands/input_reader.hpp"
#include "gateway/config/config.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

class Pipeline;

// Reads inputs (files, a Bulk Data output file, search pages) and keeps the subjects of their hormone results (the
// codes the pipeline searches), each patient once. Rejected inputs are printed on err as OperationOutcome lines
// with where they were.
class PatientFinder {
 public:
  struct Totals {
    std::size_t resources = 0;
    std::size_t hormone_results = 0;
    std::size_t skipped = 0;
    std::size_t rejected = 0;
  };

  PatientFinder(const LoadedKnowledge& knowledge, std::ostream& err);

  // Scans input files (input_index.hpp: mapped, never decoded whole) and keeps the subjects of their hormone
  // results: what `backfill FILE...` reads, and each Bulk Data output file `backfill --export` downloads. Problems
  // are reported with `shown_as` in place of the file's path when it is given ("export file 2/5", not the name of
  // a temporary download).
  void read(const std::vector<std::string>& files, const std::string& shown_as = {});
  const InputHandlers& handlers() const { return handlers_; }
  const fhir::DecodeOptions& decode_options() const { return decode_options_; }
  // The patients ("Patient/7") first seen since the last call, in order of first appearance.
  std::vector<std::string> take_new();
  const Totals& totals() const { return totals_; }

 private:
  std::set<std::pair<std::string, std::string>> hormone_codes_;
  fhir::DecodeOptions decode_options_;
  fhir::ScanOptions scan_options_;
  std::set<std::string> seen_;
  std::vector<std::string> fresh_;
  Totals totals_;
  InputHandlers handlers_;
};

// This run's version_id for its events: a new one per run, so that a second run analyses every patient again
// instead of finding its events already done.
std::string backfill_run_version(const Clock& clock);

// What a backfill from the FHIR server (--export, --search) works with, borrowed from run_server_backfill.
struct BackfillContext {
  boost::asio::io_context& io;
  fhir::RestClient& client;
  StateStore& store;
  const Clock& clock;
  const Config& config;
  const LoadedKnowledge& knowledge;
  const AnalyzeOptions& options;
  std::ostream& err;
  bool interactive;  // err is a terminal: progress is rewritten in place
};

// A read the backfill may make again (a search page, an export's status, an export file: GETs that change nothing
// on the server) that failed for a passing reason (no answer, 5xx, 408, 429: outcome.hpp transient) is made
// again, kReadRetries times at most, after the pipeline's first backoff, then twice and four times that, each
// retry said on err ("backfill: PREFIX ERROR; reading it again in 1000 ms (retry 1 of 3)"). HAPI once answered a
// search page 500 from a fault of its JVM under load. Returns the last attempt's result.
inline constexpr int kReadRetries = 3;
// Whether `error` is worth retry number `retry`; when it is, says so on err and waits before answering true.
boost::asio::awaitable<bool> wait_to_read_again(const BackfillContext& context, std::string_view prefix,
                                                const fhir::RestError& error, int retry);

template <typename Read>
auto read_with_retries(const BackfillContext& context, std::string_view prefix, Read read)
    -> boost::asio::awaitable<typename std::invoke_result_t<Read&>::value_type> {
  auto result = co_await read();
  for (int retry = 1; !result; ++retry) {
    // The retry is awaited in a statement of its own: awaited in the right operand of `!result && ...`, the GCC 12
    // build ran it after reads that had succeeded (every search page was read twice, each time after a retry line
    // with an empty error, "backfill: ; reading it again in 200 ms").
    const fhir::RestError error = result.error();
    if (!co_await wait_to_read_again(context, prefix, error, retry)) break;
    result = co_await read();
  }
  co_return result;
}

// One backfill run: its events (one per patient, durable before any processing, leased to the run), the pipeline
// that processes them, and the progress display on err (rewritten in place on a terminal, a line per 100
// patients otherwise).
class BackfillRun {
 public:
  BackfillRun(boost::asio::io_context& io, fhir::Client& client, StateStore& store, const Clock& clock,
              const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
              std::string version, std::ostream& err);
  BackfillRun(const BackfillContext& context, std::string version)
      : BackfillRun(context.io, context.client, context.store, context.clock, context.config, context.knowledge,
                    context.options, std::move(version), context.err) {}
  ~BackfillRun();
  BackfillRun(const BackfillRun&) = delete;
  BackfillRun& operator=(const BackfillRun&) = delete;

  // Records one event per patient (a patient already recorded under this version, by this run or an interrupted
  // one it resumes, is found again as a duplicate, and counts as settled once its event has ended).
  void record(const std::vector<std::string>& patients);
  // Processes the recorded events until every one has ended (done, failed, dead). Runs on io.
  boost::asio::awaitable<void> settle();

  // Shown after the counts ("file 2/5"); empty: nothing.
  void set_phase(std::string phase) { phase_ = std::move(phase); }
  // How many patients the whole run will settle, estimated by a source that knows how much is left to read (0:
  // unknown); the ETA is then for the run, not only for the patients found so far.
  void set_expected_total(std::size_t patients) { expected_total_ = patients; }
  // Prints the progress line (last: the final one, with a line end also on a terminal).
  void progress(bool last);
  // Ends an in-place progress line on a terminal before another message is printed.
  void break_line();

  bool interactive() const { return interactive_; }
  std::size_t total() const { return tracked_.size(); }
  std::size_t written() const { return written_; }
  std::size_t failed() const { return failed_; }
  std::size_t not_recorded() const { return not_recorded_; }

 private:
  struct Tracked {
    std::string patient;
    StoredEvent event;
    bool settled = false;
  };
  void refresh();

  boost::asio::io_context& io_;
  StateStore& store_;
  const Clock& clock_;
  std::chrono::seconds lease_;
  std::string version_;
  std::string trace_;  // the run's trace (W3C traceparent): every event it records keeps it
  std::ostream& err_;
  MetricsRegistry metrics_;  // the pipeline counts as in serve; backfill reports from the events themselves
  OffsetClock as_of_clock_;
  std::unique_ptr<Pipeline> pipeline_;
  std::map<std::int64_t, Tracked> tracked_;
  std::size_t settled_ = 0;
  std::size_t written_ = 0;
  std::size_t failed_ = 0;
  std::size_t not_recorded_ = 0;
  std::size_t shown_ = 0;
  bool interactive_;
  bool line_open_ = false;
  std::string phase_;
  std::size_t expected_total_ = 0;
  // For the rate and the ETA only (display): when processing began, and how many had settled by then.
  std::chrono::steady_clock::time_point started_{};
  std::size_t settled_at_start_ = 0;
};

// The setting every backfill runs in: the pipeline's warnings on err beside the progress (not its per-patient
// information lines), the state store (config.state.path), a REST client for config.fhir and the system clock.
// Returns body's exit status, or 1 when the state store did not open.
using BackfillBody = std::function<int(boost::asio::io_context&, fhir::RestClient&, StateStore&, const Clock&)>;
int run_in_backfill_setting(const Config& config, std::ostream& err, const BackfillBody& body);

// Whether standard error is a terminal (the progress line is then rewritten in place).
bool stderr_is_terminal();

// Runs a backfill from the FHIR server in the backfill setting: Source(context, source_options).run(), a coroutine
// giving the exit status, on the setting's io until it ends.
template <typename Source, typename SourceOptions>
int run_server_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                        const SourceOptions& source_options, std::ostream& err) {
  return run_in_backfill_setting(config, err, [&](auto& io, auto& client, auto& store, const auto& clock) {
    Source source(BackfillContext{io, client, store, clock, config, knowledge, options, err, stderr_is_terminal()},
                  source_options);
    auto done = boost::asio::co_spawn(io, source.run(), boost::asio::use_future);
    io.run();
    return done.get();
  });
}

// A resumable source's cursor in the state store (its text: format_cursor_line, for_each_cursor_field).
class BackfillCursor {
 public:
  BackfillCursor(StateStore& store, std::string_view name, std::ostream& err)
      : store_(store), name_(name), err_(err) {}
  // Nothing when there is none (or it was cleared).
  std::optional<std::string> load() const;
  // Warns on err when the store did not take it: an interruption from then on starts the source anew.
  void save(const std::string& text) const;
  void clear() const;

 private:
  StateStore& store_;
  std::string name_;
  std::ostream& err_;
};

// The final line ("backfill: <head>N resources read, ... M of T patient transactions written") and the exit
// status: 0 when nothing was rejected and every patient was recorded and written (or had nothing to write),
// else 1.
int finish_backfill(const PatientFinder& finder, const BackfillRun& run, const std::string& head,
                    std::ostream& err);

// A resumable source's cursor as text: one "key value" line per field (a key may repeat). Lines without a space
// are ignored.
std::string format_cursor_line(std::string_view key, std::string_view value);
void for_each_cursor_field(std::string_view text,
                           const std::function<void(std::string_view key, std::string value)>& field);

}  // namespace gg::gateway
