#include "gateway/http/admin_api.hpp"

#include <charconv>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/http/outcome_response.hpp"
#include "gateway/http/query.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

constexpr std::size_t kDefaultRejectionsLimit = 100;
constexpr std::size_t kMaxRejectionsLimit = 1000;

// The re-drive's parameters as given: empty when absent.
struct RetryParameters {
  std::string since;
  std::string failed;
};

// The JSON body's members over the query's; an error text when the body is not an object of strings and a boolean.
std::string read_retry_body(const std::string& body, RetryParameters& parameters) {
  rapidjson::Document document;
  document.Parse(body.data(), body.size());
  if (document.HasParseError() || !document.IsObject()) return "the body must be a JSON object";
  if (const auto since = document.FindMember("since"); since != document.MemberEnd()) {
    if (!since->value.IsString()) return "since must be a string";
    parameters.since.assign(since->value.GetString(), since->value.GetStringLength());
  }
  if (const auto failed = document.FindMember("failed"); failed != document.MemberEnd()) {
    if (!failed->value.IsBool()) return "failed must be true or false";
    parameters.failed = failed->value.GetBool() ? "true" : "false";
  }
  return {};
}

}  // namespace

HttpResponse admin_events_retry(StateStore& store, const HttpRequest& request, const Clock& clock,
                                Counter& redriven) {
  if (request.method != "POST") return operation_outcome_response(405, "not-supported", "only POST here");
  const auto query = QueryParameters::parse(request.target);
  if (!query) return malformed_target_response(query.error());
  RetryParameters parameters{query->value("since"), query->value("failed")};
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    if (auto problem = read_retry_body(request.body, parameters); !problem.empty()) {
      return operation_outcome_response(400, "structure", problem);
    }
  }
  std::string since;
  if (!parameters.since.empty()) {
    const auto instant = instant_text(parameters.since);
    if (!instant) {
      return operation_outcome_response(
          400, "value", "since must be a dateTime with time and zone or a date, e.g. 2026-11-25T00:00:00Z");
    }
    since = *instant;
  }
  if (!parameters.failed.empty() && parameters.failed != "true" && parameters.failed != "false") {
    return operation_outcome_response(400, "value", "failed must be true or false");
  }
  const bool include_failed = parameters.failed == "true";
  const auto count = store.events().redrive(format_instant(clock.now()), since, include_failed);
  if (!count) return operation_outcome_response(503, "transient", "the state store could not re-drive events");
  redriven.inc(static_cast<double>(*count));
  log(LogLevel::info, "events.redriven",
      {{"count", std::to_string(*count)},
       {"since", since},
       {"failed", include_failed ? "true" : "false"},
       {"by", "admin-api"}});
  return HttpResponse{200, "application/json", "{\"redriven\":" + std::to_string(*count) + "}", {}};
}

HttpResponse admin_events(StateStore& store, const HttpRequest& request) {
  const auto query = QueryParameters::parse(request.target);
  if (!query) return malformed_target_response(query.error());
  return HttpResponse{200, "application/json", events_json(store, query->value("type"), query->value("id")), {}};
}

HttpResponse admin_rejections(StateStore& store, const HttpRequest& request) {
  const auto query = QueryParameters::parse(request.target);
  if (!query) return malformed_target_response(query.error());
  const auto limit = rejections_limit(query->value("limit"));
  if (!limit) return operation_outcome_response(400, "value", "limit must be a whole number from 1 to 1000");
  return HttpResponse{
      200, "application/fhir+json", rejections_bundle(store, query->value("observation"), *limit), {}};
}

std::optional<std::size_t> rejections_limit(std::string_view text) {
  if (text.empty()) return kDefaultRejectionsLimit;
  std::size_t limit = 0;
  const auto* const end = text.data() + text.size();
  const auto parsed = std::from_chars(text.data(), end, limit);
  if (parsed.ec != std::errc() || parsed.ptr != end || limit == 0 || limit > kMaxRejectionsLimit) {
    return std::nullopt;
  }
  return limit;
}

std::string events_json(StateStore& store, const std::string& resource_type, const std::string& resource_id) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto string = [&](std::string_view text) {
    writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  writer.StartObject();
  writer.Key("events");
  writer.StartArray();
  for (const auto& event : store.events_of(resource_type, resource_id)) {
    writer.StartObject();
    writer.Key("seq");
    writer.Int64(event.seq);
    writer.Key("type");
    string(event.resource_type);
    writer.Key("id");
    string(event.resource_id);
    writer.Key("versionId");
    string(event.version_id);
    writer.Key("source");
    string(to_string(event.source));
    writer.Key("state");
    string(to_string(event.state));
    writer.Key("attempts");
    writer.Int64(event.attempts);
    writer.Key("receivedAt");
    string(event.received_at);
    writer.Key("lastError");
    string(event.last_error);
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return buffer.GetString();
}

std::string rejections_bundle(StateStore& store, const std::string& observation, std::size_t limit) {
  const auto rejections = store.rejections(observation, limit);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("resourceType");
  writer.String("Bundle");
  writer.Key("type");
  writer.String("collection");
  writer.Key("total");
  writer.Uint64(rejections.size());
  if (!rejections.empty()) {
    writer.Key("entry");
    writer.StartArray();
    for (const auto& rejection : rejections) {
      writer.StartObject();
      writer.Key("resource");
      writer.RawValue(rejection.outcome.data(), rejection.outcome.size(), rapidjson::kObjectType);
      writer.EndObject();
    }
    writer.EndArray();
  }
  writer.EndObject();
  return buffer.GetString();
}

}  // namespace gg::gateway
