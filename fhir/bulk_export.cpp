#include "fhir/bulk_export.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <locale>
#include <sstream>
#include <system_error>
#include <utility>

#include "fhir/json_codec.hpp"
#include "fhir/url.hpp"

namespace gg::fhir {
namespace {

template <typename T>
RestResult<T> failure(RestErrc code, std::string message, unsigned http_status = 0) {
  return RestResult<T>(boost::system::in_place_error,
                       RestError{make_error_code(code), std::move(message), http_status, {}});
}

std::string header(const HttpResponse& response, const std::string& name) {
  const auto it = response.headers.find(name);
  return it == response.headers.end() ? std::string() : it->second;
}

// One HTTP-date form read with the "C" locale's English day and month names.
std::optional<std::time_t> parse_date_form(const std::string& text, const char* format) {
  std::tm tm{};
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, format);
  if (in.fail()) return std::nullopt;
  in >> std::ws;
  if (!in.eof()) return std::nullopt;
  return ::timegm(&tm);
}

}  // namespace

RestResult<ExportManifest> parse_export_manifest(std::string_view json) {
  using Result = RestResult<ExportManifest>;
  const auto invalid = [](const std::string& why) {
    return failure<ExportManifest>(RestErrc::invalid_response, "export manifest: " + why);
  };
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return invalid("not JSON");
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return invalid("not a JSON object");

  ExportManifest manifest;
  std::string_view text;
  if (object["transactionTime"].get_string().get(text) == simdjson::SUCCESS) manifest.transaction_time = text;
  if (object["request"].get_string().get(text) == simdjson::SUCCESS) manifest.request = text;
  bool flag = false;
  if (object["requiresAccessToken"].get_bool().get(flag) == simdjson::SUCCESS)
    manifest.requires_access_token = flag;

  const auto read_files = [&](const char* name, std::vector<ExportFile>& into, bool required) -> std::string {
    simdjson::dom::array array;
    const auto found = object[name];
    if (found.error() == simdjson::NO_SUCH_FIELD) return required ? std::string(name) + " is missing" : "";
    if (found.get_array().get(array) != simdjson::SUCCESS) return std::string(name) + " is not an array";
    std::size_t index = 0;
    for (auto item : array) {
      const std::string path = std::string(name) + "[" + std::to_string(index++) + "]";
      simdjson::dom::object entry;
      if (item.get_object().get(entry) != simdjson::SUCCESS) return path + " is not an object";
      ExportFile file;
      if (entry["type"].get_string().get(text) != simdjson::SUCCESS) return path + ".type is missing";
      file.type = text;
      if (entry["url"].get_string().get(text) != simdjson::SUCCESS || text.empty())
        return path + ".url is missing";
      file.url = text;
      std::uint64_t count = 0;
      if (entry["count"].get_uint64().get(count) == simdjson::SUCCESS) file.count = count;
      into.push_back(std::move(file));
    }
    return "";
  };
  // output[] is required (an export that found nothing has an empty one); error[] too, but a server that leaves an
  // empty one out is still understood.
  if (auto problem = read_files("output", manifest.output, true); !problem.empty()) return invalid(problem);
  if (auto problem = read_files("error", manifest.error, false); !problem.empty()) return invalid(problem);
  return Result(boost::system::in_place_value, std::move(manifest));
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 9) return std::chrono::seconds(999'999'999);  // absurd; poll_delay caps it
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  const std::string text(value);
  // std::get_time stops quietly at the end of the input, so a missing " GMT" is checked here.
  const bool gmt = text.ends_with(" GMT");
  for (const auto& [format, zoned] :
       {std::pair{"%a, %d %b %Y %H:%M:%S GMT", true},  // Sun, 06 Nov 1994 08:49:37 GMT
        std::pair{"%A, %d-%b-%y %H:%M:%S GMT", true},  // Sunday, 06-Nov-94 08:49:37 GMT
        std::pair{"%a %b %d %H:%M:%S %Y", false}}) {   // Sun Nov  6 08:49:37 1994
    if (zoned != gmt) continue;
    if (const auto when = parse_date_form(text, format)) {
      const auto at = std::chrono::system_clock::from_time_t(*when);
      return std::max(std::chrono::seconds(0), std::chrono::ceil<std::chrono::seconds>(at - now));
    }
  }
  return std::nullopt;
}

std::chrono::seconds poll_delay(std::optional<std::chrono::seconds> retry_after, const PollDelays& delays) {
  if (!retry_after) return std::clamp(delays.fallback, delays.min, std::max(delays.min, delays.max));
  return std::clamp(*retry_after, delays.min, std::max(delays.min, delays.max));
}

std::string export_kick_off_target(const std::vector<std::string>& types,
                                   const std::vector<std::string>& type_filters, const std::string& since) {
  std::string target = "$export";
  char separator = '?';
  const auto add = [&](std::string_view name, std::string_view value) {
    target += separator;
    target += name;
    target += '=';
    target += percent_encode(value);
    separator = '&';
  };
  if (!types.empty()) {
    std::string joined;
    for (const auto& type : types) joined += (joined.empty() ? "" : ",") + type;
    add("_type", joined);
  }
  for (const auto& filter : type_filters) add("_typeFilter", filter);
  if (!since.empty()) add("_since", since);
  return target;
}

boost::asio::awaitable<RestResult<std::string>> kick_off_export(RestClient& client, std::string target) {
  RestClient::Headers headers{{"Accept", "application/fhir+json"}, {"Prefer", "respond-async"}};
  auto response = co_await client.request("GET", std::move(target), {}, std::move(headers));
  if (!response) {
    auto error = response.error();
    error.message = "export kick-off: " + error.message;
    co_return RestResult<std::string>(boost::system::in_place_error, std::move(error));
  }
  if (response->status != 202) {
    co_return RestResult<std::string>(boost::system::in_place_error,
                                      status_error("export kick-off", response->status, response->body));
  }
  std::string location = header(*response, "content-location");
  if (location.empty()) {
    co_return failure<std::string>(RestErrc::invalid_response, "export kick-off: 202 without Content-Location");
  }
  co_return RestResult<std::string>(boost::system::in_place_value, std::move(location));
}

boost::asio::awaitable<RestResult<ExportStatus>> export_status(RestClient& client, std::string status_url,
                                                               std::chrono::system_clock::time_point now) {
  using Result = RestResult<ExportStatus>;
  RestClient::Headers headers{{"Accept", "application/json"}};
  auto response = co_await client.request("GET", std::move(status_url), {}, std::move(headers));
  if (!response) {
    auto error = response.error();
    error.message = "export status: " + error.message;
    co_return Result(boost::system::in_place_error, std::move(error));
  }
  ExportStatus status;
  status.progress = header(*response, "x-progress");
  status.retry_after = parse_retry_after(header(*response, "retry-after"), now);
  switch (response->status) {
    case 200: {
      auto manifest = parse_export_manifest(response->body);
      if (!manifest) co_return Result(boost::system::in_place_error, manifest.error());
      status.state = ExportStatus::State::complete;
      status.manifest = std::move(*manifest);
      co_return Result(boost::system::in_place_value, std::move(status));
    }
    case 202:
    case 429:  // Too Many Requests: polled too often; wait as told
    case 503:  // a busy server (RFC 9110 section 15.6.4 with Retry-After), not a failed job
      status.state = ExportStatus::State::in_progress;
      co_return Result(boost::system::in_place_value, std::move(status));
    case 404:
    case 410:
      status.state = ExportStatus::State::gone;
      co_return Result(boost::system::in_place_value, std::move(status));
    default:
      co_return Result(boost::system::in_place_error,
                       status_error("export status", response->status, response->body));
  }
}

boost::asio::awaitable<RestResult<std::uintmax_t>> download_export_file(RestClient& client, std::string url,
                                                                        std::string path) {
  using Result = RestResult<std::uintmax_t>;
  RestClient::Headers headers{{"Accept", "application/fhir+ndjson"}};
  auto response = co_await client.download(std::move(url), path, std::move(headers));
  if (!response) {
    auto error = response.error();
    error.message = "export file: " + error.message;
    co_return Result(boost::system::in_place_error, std::move(error));
  }
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  if (response->status / 100 != 2) {
    // The error body is small (an OperationOutcome); read back at most 64 KiB of it for its diagnostics.
    std::string body;
    if (!ec && bytes <= std::uintmax_t{64} * 1024) {
      std::ifstream in(path, std::ios::binary);
      body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    co_return Result(boost::system::in_place_error, status_error("export file", response->status, body));
  }
  if (ec) {
    co_return Result(boost::system::in_place_error,
                     RestError{ec, "export file: the downloaded file cannot be read: " + ec.message(), 0, {}});
  }
  co_return Result(boost::system::in_place_value, bytes);
}

boost::asio::awaitable<RestResult<unsigned>> delete_export(RestClient& client, std::string status_url) {
  RestClient::Headers headers{{"Accept", "application/json"}};
  auto response = co_await client.request("DELETE", std::move(status_url), {}, std::move(headers));
  if (!response) {
    auto error = response.error();
    error.message = "export delete: " + error.message;
    co_return RestResult<unsigned>(boost::system::in_place_error, std::move(error));
  }
  co_return RestResult<unsigned>(boost::system::in_place_value, response->status);
}

}  // namespace gg::fhir
