#include "gateway/commands/export_backfill.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <ostream>
#include <sstream>
#include <utility>
#include <vector>

#include "fhir/bulk_export.hpp"
#include "fhir/rest_client.hpp"
#include "gateway/commands/backfill_run.hpp"
#include "gateway/commands/input_reader.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {

std::string format_export_cursor(const ExportCursor& cursor) {
  std::string text =
      "request " + cursor.request + "\nstatus " + cursor.status_url + "\nversion " + cursor.version + "\n";
  for (const auto& file : cursor.done_files) text += "done " + file + "\n";
  return text;
}

std::optional<ExportCursor> parse_export_cursor(std::string_view text) {
  ExportCursor cursor;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const auto space = line.find(' ');
    if (space == std::string_view::npos) continue;
    const auto key = line.substr(0, space);
    const std::string value(line.substr(space + 1));
    if (key == "request") cursor.request = value;
    if (key == "status") cursor.status_url = value;
    if (key == "version") cursor.version = value;
    if (key == "done") cursor.done_files.insert(value);
  }
  if (cursor.request.empty() || cursor.status_url.empty() || cursor.version.empty()) return std::nullopt;
  return cursor;
}

namespace {

namespace asio = boost::asio;

// What waiting for the job came to.
struct Waited {
  enum class Outcome { complete, gone, failed } outcome = Outcome::failed;
  fhir::ExportManifest manifest;
  std::string error;
};

class ExportBackfill {
 public:
  ExportBackfill(asio::io_context& io, fhir::RestClient& client, StateStore& store, const Clock& clock,
                 const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 const ExportBackfillOptions& export_options, std::ostream& err)
      : io_(io),
        client_(client),
        store_(store),
        clock_(clock),
        config_(config),
        knowledge_(knowledge),
        options_(options),
        export_options_(export_options),
        err_(err),
        interactive_(isatty(STDERR_FILENO) == 1) {
    // One query per code: the catalogue's codes as the subscription criteria name them (system|code).
    for (const auto& [system, code] : knowledge.subscription_codes()) {
      std::string filter = "Observation?code=";
      filter.append(system).append("|").append(code);
      filters_.push_back(std::move(filter));
    }
    request_ = fhir::export_kick_off_target({"Observation"}, filters_, export_options.since);
  }

  asio::awaitable<int> run() {
    // A second pass only when the job turned out to be gone: a new job is started once.
    for (int pass = 0; pass < 2; ++pass) {
      auto cursor = load_cursor();
      if (cursor && cursor->request != request_) {
        err_ << "backfill: the interrupted export was asked with other parameters; starting a new one\n";
        co_await forget(*cursor);
        cursor.reset();
      }
      if (!cursor) {
        err_ << "backfill: export kick-off: Observation, " << filters_.size() << " codes"
             << (export_options_.since.empty() ? "" : ", since " + export_options_.since) << '\n';
        auto location = co_await fhir::kick_off_export(client_, request_);
        if (!location) {
          err_ << "backfill: " << location.error().message << '\n';
          co_return 1;
        }
        cursor = ExportCursor{request_, *location, backfill_run_version(clock_), {}};
        save_cursor(*cursor);
        err_ << "backfill: export job " << cursor->status_url << '\n';
      } else {
        err_ << "backfill: resuming export job " << cursor->status_url << " (" << cursor->done_files.size()
             << " files processed before)\n";
      }

      auto waited = co_await wait(cursor->status_url);
      if (waited.outcome == Waited::Outcome::gone) {
        err_ << "backfill: the export job is gone (deleted or expired); starting a new one\n";
        clear_cursor();
        continue;
      }
      if (waited.outcome == Waited::Outcome::failed) {
        err_ << "backfill: " << waited.error << '\n';
        co_return 1;
      }
      const auto status = co_await process(*cursor, waited.manifest);
      if (status) co_return *status;
      // A file was gone: the job expired while we worked on it.
      err_ << "backfill: an export file is gone (the job expired); starting a new one\n";
      clear_cursor();
    }
    err_ << "backfill: the export job was gone twice; giving up\n";
    co_return 1;
  }

 private:
  std::optional<ExportCursor> load_cursor() {
    const auto text = store_.cursors().cursor(std::string(kExportCursorName));
    return text ? parse_export_cursor(*text) : std::nullopt;
  }
  void save_cursor(const ExportCursor& cursor) {
    if (!store_.cursors().set_cursor(std::string(kExportCursorName), format_export_cursor(cursor))) {
      err_ << "backfill: warning: the export cursor was not saved; an interruption now starts the export anew\n";
    }
  }
  void clear_cursor() { store_.cursors().set_cursor(std::string(kExportCursorName), ""); }

  // Deletes an abandoned job (the server may then delete its files) and forgets it.
  asio::awaitable<void> forget(const ExportCursor& cursor) {
    co_await fhir::delete_export(client_, cursor.status_url);
    clear_cursor();
  }

  // Polls the status URL until the job completes, honouring Retry-After within [1 s, poll_max].
  asio::awaitable<Waited> wait(const std::string& status_url) {
    const fhir::PollDelays delays{std::chrono::seconds(1), export_options_.poll_max, std::chrono::seconds(5)};
    const auto started = std::chrono::steady_clock::now();
    std::string shown;
    asio::steady_timer timer(io_);
    for (;;) {
      auto status = co_await fhir::export_status(client_, status_url, std::chrono::system_clock::now());
      if (!status) {
        if (interactive_ && !shown.empty()) err_ << '\n';
        co_return Waited{Waited::Outcome::failed, {}, status.error().message};
      }
      if (status->state == fhir::ExportStatus::State::gone) {
        if (interactive_ && !shown.empty()) err_ << '\n';
        co_return Waited{Waited::Outcome::gone, {}, {}};
      }
      if (status->state == fhir::ExportStatus::State::complete) {
        if (interactive_ && !shown.empty()) err_ << '\n';
        const auto& manifest = status->manifest;
        err_
            << "backfill: export complete after "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count()
            << " s: " << manifest.output.size() << " output files, " << manifest.error.size()
            << " error files, transaction time " << manifest.transaction_time << '\n';
        co_return Waited{Waited::Outcome::complete, std::move(status->manifest), {}};
      }
      const auto delay = fhir::poll_delay(status->retry_after, delays);
      const std::string progress = status->progress.empty() ? "in progress" : status->progress;
      const auto waited =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
      if (interactive_) {
        err_ << "\rbackfill: export waiting " << waited << " s: " << progress << "; next look in " << delay.count()
             << " s\x1b[K" << std::flush;
        shown = progress;
      } else if (progress != shown) {
        err_ << "backfill: export waiting " << waited << " s: " << progress << '\n';
        shown = progress;
      }
      timer.expires_after(delay);
      boost::system::error_code ignored;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }

  // Where an output file is downloaded: beside the state store, which already holds patient data and is where
  // the operator gave room; the system's temporary directory for an in-memory store.
  std::filesystem::path download_path(std::size_t index) const {
    std::filesystem::path directory = std::filesystem::temp_directory_path();
    if (config_.state.path != ":memory:" && !config_.state.path.empty()) {
      directory = std::filesystem::absolute(config_.state.path).parent_path();
    }
    return directory / ("gradient-gateway-export-" + std::to_string(::getpid()) + "-" + std::to_string(index) +
                        ".ndjson.part");
  }

  // Removes what an interrupted run left: downloaded files are patient data, and their content is fetched again.
  void remove_leftovers() const {
    std::error_code ec;
    const auto directory = download_path(0).parent_path();
    for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
      const auto name = entry.path().filename().string();
      if (name.starts_with("gradient-gateway-export-") && name.ends_with(".ndjson.part")) {
        std::filesystem::remove(entry.path(), ec);
      }
    }
  }

  // Downloads, reads and settles every output file not processed yet. Nothing when a file was gone (404/410).
  asio::awaitable<std::optional<int>> process(ExportCursor& cursor, const fhir::ExportManifest& manifest) {
    remove_leftovers();
    std::vector<const fhir::ExportFile*> files;
    for (const auto& file : manifest.output) {
      if (file.type == "Observation") files.push_back(&file);
    }
    if (!manifest.error.empty()) {
      // Their content is OperationOutcomes about individual resources (possibly patient data): counted, not read.
      err_ << "backfill: warning: the server reported " << manifest.error.size()
           << " error files for this export (see the server's log)\n";
    }
    PatientFinder finder(knowledge_, err_);
    BackfillRun run(io_, client_, store_, clock_, config_, knowledge_, options_, cursor.version, err_);
    std::size_t skipped_files = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
      const auto& file = *files[i];
      const std::string name = "export file " + std::to_string(i + 1) + "/" + std::to_string(files.size());
      if (cursor.done_files.contains(file.url)) {
        ++skipped_files;
        continue;
      }
      run.set_phase(name);
      run.break_line();
      err_ << "backfill: " << name << ": downloading\n";
      const auto path = download_path(i + 1);
      auto bytes = co_await fhir::download_export_file(client_, file.url, path.string());
      if (!bytes) {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        const unsigned http_status = bytes.error().http_status;
        if (http_status == 404 || http_status == 410) co_return std::nullopt;
        err_ << "backfill: " << name << ": " << bytes.error().message << '\n';
        co_return 1;  // the cursor stays: a rerun resumes here
      }
      const auto before = finder.totals();
      read_ndjson_file(path.string(), name, finder.decode_options(), finder.handlers());
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
      auto patients = finder.take_new();
      const auto& after = finder.totals();
      err_ << "backfill: " << name << ": " << *bytes << " bytes, " << after.resources - before.resources
           << " resources, " << after.hormone_results - before.hormone_results << " hormone results, "
           << patients.size() << " patients\n";
      run.record(patients);
      co_await run.settle();
      cursor.done_files.insert(file.url);
      save_cursor(cursor);
    }
    run.set_phase({});
    run.progress(true);

    // The job is finished with: the server may delete its files now (IG "Delete a Bulk Data Request").
    auto deleted = co_await fhir::delete_export(client_, cursor.status_url);
    if (!deleted) {
      err_ << "backfill: the export job was not deleted: " << deleted.error().message << '\n';
    } else if (*deleted / 100 != 2) {
      err_ << "backfill: the export job was not deleted (HTTP " << *deleted
           << "); the server removes its files when they expire\n";
    }
    clear_cursor();

    const auto& totals = finder.totals();
    err_ << "backfill: " << files.size() << " export files (" << skipped_files << " processed before), "
         << totals.resources << " resources read, " << totals.hormone_results << " hormone results, "
         << totals.skipped << " skipped, " << totals.rejected << " rejected; " << run.written() << " of "
         << run.total() << " patient transactions written\n";
    co_return totals.rejected == 0 && run.failed() == 0 && run.not_recorded() == 0 ? 0 : 1;
  }

  asio::io_context& io_;
  fhir::RestClient& client_;
  StateStore& store_;
  const Clock& clock_;
  const Config& config_;
  const LoadedKnowledge& knowledge_;
  const AnalyzeOptions& options_;
  const ExportBackfillOptions& export_options_;
  std::ostream& err_;
  bool interactive_;
  std::vector<std::string> filters_;
  std::string request_;
};

}  // namespace

int run_export_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                        const ExportBackfillOptions& export_options, std::ostream& err) {
  // As run_backfill: the pipeline's warnings beside the progress, not its per-patient information lines.
  const auto configured = parse_log_level(config.logging.level);
  set_log_level(configured == LogLevel::error ? LogLevel::error : LogLevel::warn);
  set_log_patient_data(config.logging.patient_data);

  auto store = StateStore::open(config.state.path);
  if (!store) {
    err << "backfill: the state store " << config.state.path << " did not open: " << store.error() << '\n';
    return 1;
  }
  asio::io_context io;
  const auto client_options =
      rest_client_options(config.fhir, std::string("gradient-gateway/") + GG_VERSION + " backfill");
  fhir::RestClient client(io.get_executor(), client_options);
  const SystemClock clock;
  ExportBackfill backfill(io, client, **store, clock, config, knowledge, options, export_options, err);
  auto done = asio::co_spawn(io, backfill.run(), asio::use_future);
  io.run();
  return done.get();
}

}  // namespace gg::gateway
