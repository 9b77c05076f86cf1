#include "gateway/http/admin_api.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace gg::gateway {

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
