#include "gateway/commands/export_backfill.hpp"

#include <unistd.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <ostream>
#include <utility>
#include <vector>

#include "fhir/bulk_export.hpp"
#include "gateway/commands/backfill_run.hpp"
#include "gateway/commands/input_reader.hpp"

namespace gg::gateway {

std::string format_export_cursor(const ExportCursor& cursor) {
  std::string text = format_cursor_line("request", cursor.request) +
                     format_cursor_line("status", cursor.status_url) +
                     format_cursor_line("version", cursor.version);
  for (const auto& file : cursor.done_files) text += format_cursor_line("done", file);
  return text;
}

std::optional<ExportCursor> parse_export_cursor(std::string_view text) {
  ExportCursor cursor;
  for_each_cursor_field(text, [&](std::string_view key, std::string value) {
    if (key == "request") {
      cursor.request = std::move(value);
    } else if (key == "status") {
      cursor.status_url = std::move(value);
    } else if (key == "version") {
      cursor.version = std::move(value);
    } else if (key == "done") {
      cursor.done_files.insert(std::move(value));
    }
  });
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
  ExportBackfill(const BackfillContext& context, const ExportBackfillOptions& export_options)
      : context_(context),
        err_(context.err),
        export_options_(export_options),
        cursor_store_(context.store, kExportCursorName, context.err) {
    // One query per code: the catalogue's codes as the subscription criteria name them (system|code).
    for (const auto& [system, code] : context.knowledge.subscription_codes()) {
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
        auto location = co_await fhir::kick_off_export(context_.client, request_);
        if (!location) {
          err_ << "backfill: " << location.error().message << '\n';
          co_return 1;
        }
        cursor = ExportCursor{request_, *location, backfill_run_version(context_.clock), {}};
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
    const auto text = cursor_store_.load();
    return text ? parse_export_cursor(*text) : std::nullopt;
  }
  void save_cursor(const ExportCursor& cursor) { cursor_store_.save(format_export_cursor(cursor)); }
  void clear_cursor() { cursor_store_.clear(); }

  // Deletes an abandoned job (the server may then delete its files) and forgets it.
  asio::awaitable<void> forget(const ExportCursor& cursor) {
    co_await fhir::delete_export(context_.client, cursor.status_url);
    clear_cursor();
  }

  // Polls the status URL until the job completes, honouring Retry-After within [1 s, poll_max].
  asio::awaitable<Waited> wait(const std::string& status_url) {
    const fhir::PollDelays delays{std::chrono::seconds(1), export_options_.poll_max, std::chrono::seconds(5)};
    const auto started = std::chrono::steady_clock::now();
    std::string shown;
    asio::steady_timer timer(context_.io);
    for (;;) {
      auto status = co_await read_with_retries(context_, "", [&] {
        return fhir::export_status(context_.client, status_url, std::chrono::system_clock::now());
      });
      if (!status) {
        if (context_.interactive && !shown.empty()) err_ << '\n';
        co_return Waited{Waited::Outcome::failed, {}, status.error().message};
      }
      if (status->state == fhir::ExportStatus::State::gone) {
        if (context_.interactive && !shown.empty()) err_ << '\n';
        co_return Waited{Waited::Outcome::gone, {}, {}};
      }
      if (status->state == fhir::ExportStatus::State::complete) {
        if (context_.interactive && !shown.empty()) err_ << '\n';
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
      if (context_.interactive) {
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
    if (context_.config.state.path != ":memory:" && !context_.config.state.path.empty()) {
      directory = std::filesystem::absolute(context_.config.state.path).parent_path();
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
    PatientFinder finder(context_.knowledge, err_);
    BackfillRun run(context_, cursor.version);
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
      auto bytes = co_await read_with_retries(context_, name + ": ", [&] {
        return fhir::download_export_file(context_.client, file.url, path.string());
      });
      if (!bytes) {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        const unsigned http_status = bytes.error().http_status;
        if (http_status == 404 || http_status == 410) co_return std::nullopt;
        err_ << "backfill: " << name << ": " << bytes.error().message << '\n';
        co_return 1;  // the cursor stays: a rerun resumes here
      }
      const auto before = finder.totals();
      finder.read({path.string()}, name);
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
    auto deleted = co_await fhir::delete_export(context_.client, cursor.status_url);
    if (!deleted) {
      err_ << "backfill: the export job was not deleted: " << deleted.error().message << '\n';
    } else if (*deleted / 100 != 2) {
      err_ << "backfill: the export job was not deleted (HTTP " << *deleted
           << "); the server removes its files when they expire\n";
    }
    clear_cursor();

    co_return finish_backfill(
        finder, run,
        std::to_string(files.size()) + " export files (" + std::to_string(skipped_files) + " processed before), ",
        err_);
  }

  BackfillContext context_;
  std::ostream& err_;
  const ExportBackfillOptions& export_options_;
  BackfillCursor cursor_store_;
  std::vector<std::string> filters_;
  std::string request_;
};

}  // namespace

int run_export_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                        const ExportBackfillOptions& export_options, std::ostream& err) {
  return run_server_backfill<ExportBackfill>(config, knowledge, options, export_options, err);
}

}  // namespace gg::gateway
