// `gradient-gateway backfill --export`: history through FHIR Bulk Data $export (Bulk Data Access IG v2,
// https://hl7.org/fhir/uv/bulkdata/export.html). The gateway asks the FHIR server for every Observation with one
// of the catalogue's codes (_type=Observation, one _typeFilter per code, optional _since), waits for the job
// honouring Retry-After, downloads each NDJSON output file to disk next to the state store, and reads it line by
// line exactly as a file backfill reads NDJSON: the subjects of its hormone results are the patients, one intake
// event each, analysed by the pipeline from what the server holds.
//
// Resumable: the job's status URL, the run version of its events and the output files already processed are kept
// in the state store (cursor "backfill.export"). A file counts as processed once every patient it named has been
// settled; an interrupted run resumes the same job, skips processed files, and meets the patients of the file it
// was in again as duplicates of its own events (same version), so nothing is analysed twice. When the job is gone
// (deleted or expired: 404/410) or was asked with other parameters, a new job is started.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "gateway/commands/analyze_command.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

struct ExportBackfillOptions {
  std::string since;                   // --since: a FHIR instant for _since; empty: all history
  std::chrono::seconds poll_max{120};  // --export-poll-max: the longest wait between status requests
};

// The state store cursor of an export backfill.
struct ExportCursor {
  std::string request;               // the kick-off target the job was started with
  std::string status_url;            // Content-Location of the kick-off
  std::string version;               // the run version of its events
  std::set<std::string> done_files;  // output file URLs whose patients have all been settled
};
inline constexpr std::string_view kExportCursorName = "backfill.export";

// One "key value" line per field, one "done URL" line per processed file. Parsing gives nothing for an empty
// cursor (none, or cleared) or one without request, status URL and version.
std::string format_export_cursor(const ExportCursor& cursor);
std::optional<ExportCursor> parse_export_cursor(std::string_view text);

// Returns the exit status: 0 when every output file was read and every patient's analysis was written (or had
// nothing to write), 1 when the export failed, an input was rejected, or a patient's event ended failed or dead.
int run_export_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                        const ExportBackfillOptions& export_options, std::ostream& err);

}  // namespace gg::gateway
