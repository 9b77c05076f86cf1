#include "gateway/http/admin_api.hpp"

#include <charconv>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/http/outcome_response.hpp"
#include "gateway/http/query.hpp"

namespace gg::gateway {
namespace {

constexpr std::size_t kDefaultRejectionsLimit = 100;
constexpr std::size_t kMaxRejectionsLimit = 1000;

}  // namespace

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
