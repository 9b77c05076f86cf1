#include "gateway/ingress/topic_subscription.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "fhir/url.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kStoreName = "topic";
constexpr std::string_view kPayload = "application/fhir+json";
// Backport IG (STU 1.1) profile and extensions on the R4 Subscription.
constexpr std::string_view kBackportProfile =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription";
constexpr std::string_view kFilterCriteria =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria";
constexpr std::string_view kPayloadContent =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content";
// The R4 topic: Basic with this code, and the cross-version SubscriptionTopic extensions. HAPI 8.8.0
// (SubscriptionTopicCanonicalizer.canonicalizeR4BasicTopic) reads url, title and status under the R5 ("5.0")
// names but resourceTrigger and canFilterBy only under the R4B ("4.3") names, so those two use 4.3.
constexpr std::string_view kTopicCodeSystem = "http://hl7.org/fhir/fhir-types";
constexpr std::string_view kTopic50 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.";
constexpr std::string_view kTopic43 = "http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionTopic.";

void key(Writer& writer, std::string_view text) {
  writer.Key(text.data(), static_cast<unsigned>(text.size()));
}
void string(Writer& writer, std::string_view text) {
  writer.String(text.data(), static_cast<unsigned>(text.size()));
}

// {"url": url, value_key: value}
void simple_extension(Writer& writer, std::string_view url, std::string_view value_key, std::string_view value) {
  writer.StartObject();
  key(writer, "url");
  string(writer, url);
  key(writer, value_key);
  string(writer, value);
  writer.EndObject();
}

std::string_view text_of(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  const auto found = object.FindMember(name);
  if (found == object.MemberEnd() || !found->value.IsString()) return {};
  return {found->value.GetString(), found->value.GetStringLength()};
}

// The value[x] (as text) of the first extension with this url on an element, or nullopt.
std::optional<std::string_view> extension_value(const rapidjson::Value& element, std::string_view url,
                                                const char* value_key) {
  if (!element.IsObject()) return std::nullopt;
  const auto extensions = element.FindMember("extension");
  if (extensions == element.MemberEnd() || !extensions->value.IsArray()) return std::nullopt;
  for (const auto& extension : extensions->value.GetArray()) {
    if (text_of(extension, "url") == url) return text_of(extension, value_key);
  }
  return std::nullopt;
}

const rapidjson::Value& member_or_null(const rapidjson::Value& object, const char* name) {
  static const rapidjson::Value null_value;
  if (!object.IsObject()) return null_value;
  const auto found = object.FindMember(name);
  return found == object.MemberEnd() ? null_value : found->value;
}

bool has_profile(const rapidjson::Value& resource, std::string_view profile) {
  const auto& profiles = member_or_null(member_or_null(resource, "meta"), "profile");
  if (!profiles.IsArray()) return false;
  for (const auto& entry : profiles.GetArray()) {
    if (entry.IsString() && std::string_view(entry.GetString(), entry.GetStringLength()) == profile) return true;
  }
  return false;
}

std::string topic_url_of(const rapidjson::Value& basic) {
  const std::string url_key = std::string(kTopic50) + "url";
  return std::string(extension_value(basic, url_key, "valueUri").value_or(""));
}

// The resources of a search Bundle's entries (one page is enough: a handful of topics and Subscriptions).
std::vector<const rapidjson::Value*> entry_resources(const rapidjson::Document& bundle) {
  std::vector<const rapidjson::Value*> resources;
  const auto& entries = member_or_null(bundle, "entry");
  if (!entries.IsArray()) return resources;
  for (const auto& entry : entries.GetArray()) {
    const auto& resource = member_or_null(entry, "resource");
    if (resource.IsObject()) resources.push_back(&resource);
  }
  return resources;
}

EnsureResult failure(std::string why) {
  return EnsureResult(boost::system::in_place_error, std::move(why));
}

fhir::RestClient::Headers json_body() {
  return {{"Content-Type", "application/fhir+json"}};
}

}  // namespace

std::string topic_basic_json(const TopicSubscriptionSpec& spec) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  key(writer, "resourceType");
  string(writer, "Basic");
  key(writer, "code");
  writer.StartObject();
  key(writer, "coding");
  writer.StartArray();
  writer.StartObject();
  key(writer, "system");
  string(writer, kTopicCodeSystem);
  key(writer, "code");
  string(writer, "SubscriptionTopic");
  writer.EndObject();
  writer.EndArray();
  writer.EndObject();
  key(writer, "extension");
  writer.StartArray();
  simple_extension(writer, std::string(kTopic50) + "url", "valueUri", spec.topic_url);
  simple_extension(writer, std::string(kTopic50) + "title", "valueString",
                   "Observation created or updated (Gradient Gateway)");
  simple_extension(writer, std::string(kTopic50) + "status", "valueCode", "active");
  // resourceTrigger: any Observation create or update; the Subscription narrows it to our codes (filter).
  writer.StartObject();
  key(writer, "url");
  string(writer, std::string(kTopic43) + "resourceTrigger");
  key(writer, "extension");
  writer.StartArray();
  simple_extension(writer, "description", "valueMarkdown", "An Observation is created or updated");
  // HAPI compares this with the resource's type name, so the relative form (R5 allows it for core types).
  simple_extension(writer, "resource", "valueUri", "Observation");
  simple_extension(writer, "supportedInteraction", "valueCode", "create");
  simple_extension(writer, "supportedInteraction", "valueCode", "update");
  writer.EndArray();
  writer.EndObject();
  writer.StartObject();
  key(writer, "url");
  string(writer, std::string(kTopic43) + "canFilterBy");
  key(writer, "extension");
  writer.StartArray();
  simple_extension(writer, "description", "valueMarkdown", "Observation.code (token)");
  simple_extension(writer, "resource", "valueUri", "Observation");
  simple_extension(writer, "filterParameter", "valueString", "code");
  writer.EndArray();
  writer.EndObject();
  writer.EndArray();
  writer.EndObject();
  return buffer.GetString();
}

std::string topic_subscription_json(const TopicSubscriptionSpec& spec, std::string_view id) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  key(writer, "resourceType");
  string(writer, "Subscription");
  if (!id.empty()) {
    key(writer, "id");
    string(writer, id);
  }
  key(writer, "meta");
  writer.StartObject();
  key(writer, "profile");
  writer.StartArray();
  string(writer, kBackportProfile);
  writer.EndArray();
  writer.EndObject();
  key(writer, "status");
  string(writer, "requested");
  key(writer, "reason");
  string(writer, spec.reason);
  key(writer, "criteria");
  string(writer, spec.topic_url);
  key(writer, "_criteria");
  writer.StartObject();
  key(writer, "extension");
  writer.StartArray();
  simple_extension(writer, kFilterCriteria, "valueString", spec.filter);
  writer.EndArray();
  writer.EndObject();
  key(writer, "channel");
  writer.StartObject();
  key(writer, "type");
  string(writer, "rest-hook");
  key(writer, "endpoint");
  string(writer, spec.endpoint);
  key(writer, "payload");
  string(writer, kPayload);
  key(writer, "_payload");
  writer.StartObject();
  key(writer, "extension");
  writer.StartArray();
  simple_extension(writer, kPayloadContent, "valueCode", "full-resource");
  writer.EndArray();
  writer.EndObject();
  key(writer, "header");
  writer.StartArray();
  string(writer, spec.header);
  writer.EndArray();
  writer.EndObject();
  writer.EndObject();
  return buffer.GetString();
}

namespace {

bool matches(const rapidjson::Value& subscription, const TopicSubscriptionSpec& spec) {
  if (text_of(subscription, "resourceType") != "Subscription") return false;
  const auto status = text_of(subscription, "status");
  if (status == "off" || status == "error") return false;
  if (text_of(subscription, "criteria") != spec.topic_url) return false;
  if (extension_value(member_or_null(subscription, "_criteria"), kFilterCriteria, "valueString") != spec.filter)
    return false;
  const auto& channel = member_or_null(subscription, "channel");
  if (text_of(channel, "type") != "rest-hook" || text_of(channel, "endpoint") != spec.endpoint) return false;
  if (text_of(channel, "payload").rfind(kPayload, 0) != 0) return false;
  if (extension_value(member_or_null(channel, "_payload"), kPayloadContent, "valueCode") != "full-resource")
    return false;
  const auto& headers = member_or_null(channel, "header");
  return headers.IsArray() && headers.Size() == 1 && headers[0].IsString() &&
         std::string_view(headers[0].GetString(), headers[0].GetStringLength()) == spec.header;
}

}  // namespace

bool topic_subscription_matches(std::string_view subscription_json, const TopicSubscriptionSpec& spec) {
  rapidjson::Document document;
  document.Parse(subscription_json.data(), subscription_json.size());
  return !document.HasParseError() && matches(document, spec);
}

boost::asio::awaitable<EnsureResult> ensure_topic_subscription(fhir::RestClient& client, StateStore& store,
                                                               TopicSubscriptionSpec spec,
                                                               std::chrono::seconds activation_timeout) {
  // 1. The topic, found by its canonical URL among the server's R4 topics, else created.
  const std::string topic_search =
      "Basic?code=" + fhir::percent_encode(std::string(kTopicCodeSystem) + "|SubscriptionTopic");
  auto topics = co_await client.request("GET", topic_search);
  if (!topics || topics->status != 200) {
    co_return failure("cannot search the server's topics (Basic?code=SubscriptionTopic)" +
                      (topics ? ": status " + std::to_string(topics->status) : ": " + topics.error().message));
  }
  rapidjson::Document found_topics;
  found_topics.Parse(topics->body.data(), topics->body.size());
  bool have_topic = false;
  if (!found_topics.HasParseError()) {
    for (const auto* resource : entry_resources(found_topics)) {
      if (topic_url_of(*resource) == spec.topic_url) {
        have_topic = true;
        log(LogLevel::info, "subscription.topic-found", {{"id", std::string(text_of(*resource, "id"))}});
        break;
      }
    }
  }
  if (!have_topic) {
    const std::string topic = topic_basic_json(spec);
    auto created = co_await client.request("POST", "Basic", topic, json_body());
    if (!created || created->status / 100 != 2) {
      co_return failure("cannot create the topic (Basic)" + (created
                                                                 ? ": status " + std::to_string(created->status)
                                                                 : ": " + created.error().message));
    }
    log(LogLevel::info, "subscription.topic-created", {{"url", spec.topic_url}});
  }

  // 2. The Subscription: the one we created before (its id in the state store), else one at our endpoint.
  std::string existing_id;
  bool existing_matches = false;
  if (auto known = store.subscription_id(std::string(kStoreName))) {
    auto read = co_await client.request("GET", "Subscription/" + *known);
    if (!read) co_return failure("cannot read Subscription/" + *known + ": " + read.error().message);
    if (read->status == 200) {
      existing_id = *known;
      existing_matches = topic_subscription_matches(read->body, spec);
    }
  }
  if (existing_id.empty()) {
    const std::string search = "Subscription?url=" + fhir::percent_encode(spec.endpoint);
    auto found = co_await client.request("GET", search);
    if (!found || found->status != 200) {
      co_return failure("cannot search Subscriptions" +
                        (found ? ": status " + std::to_string(found->status) : ": " + found.error().message));
    }
    rapidjson::Document bundle;
    bundle.Parse(found->body.data(), found->body.size());
    if (!bundle.HasParseError()) {
      for (const auto* resource : entry_resources(bundle)) {
        // Only a backport Subscription of ours is reused or updated: a classic one at the same endpoint is left.
        if (!has_profile(*resource, kBackportProfile)) continue;
        existing_id = std::string(text_of(*resource, "id"));
        existing_matches = matches(*resource, spec);
        if (existing_matches) break;
      }
    }
  }

  std::string id = existing_id;
  if (!existing_id.empty() && existing_matches) {
    log(LogLevel::info, "subscription.found", {{"id", id}, {"mode", "topic"}});
  } else {
    const bool update = !existing_id.empty();
    // Locals, not temporaries of the co_await expression: GCC 12 destroys those wrongly in a coroutine.
    const std::string target = update ? "Subscription/" + existing_id : std::string("Subscription");
    const std::string body = topic_subscription_json(spec, existing_id);
    auto written = co_await client.request(update ? "PUT" : "POST", target, body, json_body());
    if (!written || written->status / 100 != 2) {
      co_return failure(
          std::string("cannot ") + (update ? "PUT" : "POST") + " the topic Subscription" +
          (written ? ": status " + std::to_string(written->status) : ": " + written.error().message));
    }
    rapidjson::Document answer;
    answer.Parse(written->body.data(), written->body.size());
    id = answer.HasParseError() ? std::string() : std::string(text_of(answer, "id"));
    if (id.empty()) co_return failure("the server's answer to the topic Subscription is not a Subscription");
    log(LogLevel::info, update ? "subscription.updated" : "subscription.created", {{"id", id}, {"mode", "topic"}});
  }
  store.set_subscription_id(std::string(kStoreName), id);

  // 3. Activation is asynchronous on HAPI (a scheduled job): poll for it.
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + activation_timeout;
  while (true) {
    auto read = co_await client.request("GET", "Subscription/" + id);
    if (read && read->status == 200) {
      rapidjson::Document current;
      current.Parse(read->body.data(), read->body.size());
      const auto status = current.HasParseError() ? std::string_view() : text_of(current, "status");
      if (status == "active") {
        log(LogLevel::info, "subscription.active", {{"id", id}, {"mode", "topic"}});
        co_return EnsureResult(boost::system::in_place_value, id);
      }
      if (status == "error") {
        co_return failure("the server set Subscription/" + id +
                          " to error: " + std::string(text_of(current, "error")));
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      co_return failure("Subscription/" + id + " did not become active in time");
    }
    timer.expires_after(std::chrono::milliseconds(500));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

SubscriptionFound topic_subscription_found(unsigned http_status, std::string_view body,
                                           const TopicSubscriptionSpec& spec) {
  SubscriptionFound found{http_status, {}, false};
  if (http_status / 100 != 2) return found;
  rapidjson::Document document;
  document.Parse(body.data(), body.size());
  if (document.HasParseError()) return found;
  found.status = std::string(text_of(document, "status"));
  found.serves_spec = matches(document, spec);
  return found;
}

namespace {

boost::asio::awaitable<fhir::RestResult<SubscriptionFound>> read_topic_subscription(fhir::RestClient& client,
                                                                                    std::string id,
                                                                                    TopicSubscriptionSpec spec) {
  const std::string target = "Subscription/" + id;
  auto read = co_await client.request("GET", target);
  if (!read) co_return fhir::RestResult<SubscriptionFound>(boost::system::in_place_error, read.error());
  // 404 and 410 are answers (gone); any other failure says nothing about the Subscription.
  if (read->status / 100 != 2 && read->status != 404 && read->status != 410) {
    co_return fhir::RestResult<SubscriptionFound>(boost::system::in_place_error,
                                                  fhir::status_error("GET " + target, read->status, read->body));
  }
  co_return fhir::RestResult<SubscriptionFound>(boost::system::in_place_value,
                                                topic_subscription_found(read->status, read->body, spec));
}

}  // namespace

SubscriptionKeeper topic_keeper(fhir::RestClient& client, StateStore& store, const TopicSubscriptionSpec& spec,
                                std::chrono::seconds activation_timeout) {
  return SubscriptionKeeper(
      store, std::string(kStoreName),
      [&client, &store, spec, activation_timeout] {
        return ensure_topic_subscription(client, store, spec, activation_timeout);
      },
      [&client, spec](std::string id) { return read_topic_subscription(client, std::move(id), spec); });
}

}  // namespace gg::gateway
