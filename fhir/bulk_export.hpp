// FHIR Bulk Data Access IG v2 (https://hl7.org/fhir/uv/bulkdata/export.html), the client side of $export:
// kick-off, status polling with Retry-After, the completion manifest, streaming each output file to disk, and
// deleting the job. FHIR only, no hormones: which types and filters to ask for is the caller's.
//
// Every request goes through the RestClient, so status and file URLs are followed only on the FHIR server's own
// origin (the client refuses others: a manifest cannot send the client, and its bearer token, elsewhere). Errors
// are RestError values whose messages carry no patient data (no query, no file content).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/client.hpp"
#include "fhir/rest_client.hpp"

namespace gg::fhir {

// One entry of the manifest's output[] or error[] ("Response - Complete Status").
struct ExportFile {
  std::string type;                    // the resource type of every line ("Observation"; "OperationOutcome")
  std::string url;                     // absolute URL of the NDJSON file
  std::optional<std::uint64_t> count;  // resources in the file, when the server says
};

struct ExportManifest {
  std::string transaction_time;  // FHIR instant: the export holds every change up to it
  std::string request;           // the kick-off URL, as the server echoes it
  bool requires_access_token = false;
  std::vector<ExportFile> output;
  std::vector<ExportFile> error;
};

// The complete-status body. An error names the field that is wrong ("output[2].url"), never a value.
RestResult<ExportManifest> parse_export_manifest(std::string_view json);

// Retry-After (RFC 9110 section 10.2.3): delay-seconds, or an HTTP-date (IMF-fixdate, or the obsolete RFC 850 and
// asctime forms a recipient must accept, section 5.6.7) turned into a delay from `now` (never negative). Nothing
// when the value is none of these.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

// How long to wait before the next status request: the server's Retry-After kept within [min, max], or `fallback`
// without one. A server asking for 0 s (or a day) would otherwise make the client spin (or appear to hang).
struct PollDelays {
  std::chrono::seconds min{1};
  std::chrono::seconds max{120};
  std::chrono::seconds fallback{5};
};
std::chrono::seconds poll_delay(std::optional<std::chrono::seconds> retry_after, const PollDelays& delays);

// The kick-off request's target relative to the base: "$export?_type=...&_typeFilter=...&_since=...", every value
// percent-encoded; one _typeFilter parameter per query (the IG ORs repeated ones), so that the commas of a token
// list inside a query never need escaping twice. `since` empty: no _since.
std::string export_kick_off_target(const std::vector<std::string>& types,
                                   const std::vector<std::string>& type_filters, const std::string& since);

// The answer to a status request.
struct ExportStatus {
  enum class State {
    in_progress,  // 202 (or 429/503 asking to slow down): ask again after retry_after
    complete,     // 200 with the manifest
    gone,         // 404 or 410: the job was deleted or expired; start a new one
  };
  State state = State::in_progress;
  std::string progress;  // X-Progress, e.g. "50% complete" (server's words; no patient data)
  std::optional<std::chrono::seconds> retry_after;
  ExportManifest manifest;  // when complete
};

// GET [base]/`target` with Prefer: respond-async (IG "Bulk Data Kick-off Request"). Returns the status URL from
// Content-Location of the 202. Any other answer is an error (with the OperationOutcome's diagnostics when sent).
boost::asio::awaitable<RestResult<std::string>> kick_off_export(RestClient& client, std::string target);

// GET the status URL once (IG "Bulk Data Status Request"). 5xx other than 503, and 4xx other than 404, 410 and
// 429, are errors: per the IG the job failed.
boost::asio::awaitable<RestResult<ExportStatus>> export_status(RestClient& client, std::string status_url,
                                                               std::chrono::system_clock::time_point now);

// GET one output file (IG "File Request", Accept: application/fhir+ndjson) streamed to `path`. Returns the bytes
// written. A non-2xx answer is an error (with the OperationOutcome's diagnostics when sent).
boost::asio::awaitable<RestResult<std::uintmax_t>> download_export_file(RestClient& client, std::string url,
                                                                        std::string path);

// DELETE the status URL (IG "Delete a Bulk Data Request"): the server may delete the files. Returns the status
// (202 per the IG; a server may answer 404 for a job it already removed): any status is a value.
boost::asio::awaitable<RestResult<unsigned>> delete_export(RestClient& client, std::string status_url);

}  // namespace gg::fhir
