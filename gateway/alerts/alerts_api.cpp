#include "gateway/alerts/alerts_api.hpp"

#include <openssl/rand.h>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include "analytics/date_time.hpp"
#include "gateway/alerts/endpoint_policy.hpp"
#include "gateway/alerts/webhook_signature.hpp"
#include "gateway/http/outcome_response.hpp"
#include "gateway/http/query.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kPrefix = "/alerts/subscriptions";
constexpr std::size_t kMaxDescription = 1000;
constexpr std::size_t kMaxFilterItems = 200;
constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;
constexpr std::array<std::string_view, 3> kLevels = {"low", "moderate", "high"};
constexpr std::array<std::string_view, 3> kTypes = {"gradient.finding", "gradient.change", "gradient.retracted"};

HttpResponse problem(unsigned status, std::string code, std::string diagnostics) {
  return operation_outcome_response(status, std::move(code), std::move(diagnostics));
}

HttpResponse not_found(const std::string& id) {
  return problem(404, "not-found", "no alert subscription " + id);
}

HttpResponse json_response(unsigned status, const rapidjson::StringBuffer& buffer) {
  return HttpResponse{status, "application/json", buffer.GetString(), {}};
}

void text(Writer& writer, std::string_view key, std::string_view value) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void strings(Writer& writer, std::string_view key, const std::vector<std::string>& values) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  writer.StartArray();
  for (const auto& value : values) writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  writer.EndArray();
}

// A subscription as the API shows it: never its secrets, unless `secret` is given (creation, rotation).
void write_subscription(Writer& writer, const AlertSubscription& s, const std::string* secret = nullptr) {
  writer.StartObject();
  text(writer, "id", s.id);
  text(writer, "url", s.url);
  text(writer, "min_level", s.min_level);
  strings(writer, "types", s.types);
  strings(writer, "codes", s.codes);
  text(writer, "description", s.description);
  text(writer, "state", s.state);
  if (!s.disabled_reason.empty()) text(writer, "disabled_reason", s.disabled_reason);
  text(writer, "created_at", s.created_at);
  text(writer, "updated_at", s.updated_at);
  if (!s.previous_until.empty()) text(writer, "previous_secret_valid_until", s.previous_until);
  if (secret != nullptr) text(writer, "secret", *secret);
  writer.EndObject();
}

std::string new_id() {
  std::array<unsigned char, 12> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "sub_";
  for (const auto byte : bytes) {
    id += kHex[byte >> 4];
    id += kHex[byte & 0x0f];
  }
  return id;
}

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& allowed, std::string_view value) {
  for (const auto item : allowed) {
    if (item == value) return true;
  }
  return false;
}

// The request body as a JSON object, or the 400 that says why not.
std::variant<rapidjson::Document, HttpResponse> parse_object(const HttpRequest& request) {
  rapidjson::Document document;
  document.Parse(request.body.data(), request.body.size());
  if (document.HasParseError()) {
    return problem(400, "structure",
                   std::string("the body is not JSON: ") + rapidjson::GetParseError_En(document.GetParseError()) +
                       " at offset " + std::to_string(document.GetErrorOffset()));
  }
  if (!document.IsObject()) return problem(400, "structure", "the body must be a JSON object");
  return document;
}

// Applies the members of `body` to `s`; the problems found (empty when it is valid). `creating`: url and
// min_level are required, state may not be set.
std::vector<std::string> apply(const rapidjson::Value& body, AlertSubscription& s, const AlertsApiOptions& options,
                               bool creating) {
  std::vector<std::string> problems;
  bool has_url = false;
  bool has_level = false;
  auto string_list = [&](const rapidjson::Value& value, const char* name,
                         const std::function<std::optional<std::string>(const std::string&)>& check) {
    std::vector<std::string> out;
    if (!value.IsArray() || value.Size() > kMaxFilterItems) {
      problems.push_back(std::string(name) + " must be an array of at most 200 strings");
      return out;
    }
    for (const auto& item : value.GetArray()) {
      if (!item.IsString()) {
        problems.push_back(std::string(name) + " must hold strings only");
        return out;
      }
      std::string entry(item.GetString(), item.GetStringLength());
      if (auto why = check(entry)) {
        problems.push_back(*why);
        continue;
      }
      out.push_back(std::move(entry));
    }
    return out;
  };
  for (const auto& member : body.GetObject()) {
    const std::string name(member.name.GetString(), member.name.GetStringLength());
    const auto& value = member.value;
    if (name == "url") {
      has_url = true;
      if (!value.IsString()) {
        problems.emplace_back("url must be a string");
        continue;
      }
      auto checked = check_endpoint(std::string_view(value.GetString(), value.GetStringLength()),
                                    options.allow_insecure_loopback);
      if (!checked) {
        problems.push_back("url: " + checked.error());
      } else if (checked->find('?') != std::string::npos) {
        // The delivery client posts to the endpoint's path alone (fhir::RestClient refuses a base with a query).
        problems.emplace_back("url: a query string is not supported; put what it carries in the path");
      } else {
        s.url = *checked;
      }
    } else if (name == "min_level") {
      has_level = true;
      if (!value.IsString() || !one_of(kLevels, std::string_view(value.GetString(), value.GetStringLength()))) {
        problems.emplace_back("min_level must be one of low, moderate, high");
      } else {
        s.min_level = value.GetString();
      }
    } else if (name == "types") {
      s.types = string_list(value, "types", [](const std::string& type) -> std::optional<std::string> {
        if (one_of(kTypes, type)) return std::nullopt;
        return "types: unknown alert type '" + type + "' (gradient.finding, gradient.change, gradient.retracted)";
      });
    } else if (name == "codes") {
      s.codes = string_list(value, "codes", [&](const std::string& code) -> std::optional<std::string> {
        if (options.known_codes.contains(code)) return std::nullopt;
        return "codes: unknown gradient code '" + code + "' (config/terminology/gradient.codesystem.json)";
      });
    } else if (name == "description") {
      if (!value.IsString() || value.GetStringLength() > kMaxDescription) {
        problems.emplace_back("description must be a string of at most 1000 characters");
      } else {
        s.description = value.GetString();
      }
    } else if (name == "state" && !creating) {
      const std::string_view state(value.IsString() ? value.GetString() : "");
      if (state == "active") {
        s.state = "active";
        s.disabled_reason.clear();
      } else if (state == "disabled") {
        s.state = "disabled";
        s.disabled_reason = "disabled by an operator";
      } else {
        problems.emplace_back("state must be active or disabled");
      }
    } else {
      problems.push_back("unknown member '" + name + "'");
    }
  }
  if (creating && !has_url) problems.emplace_back("url is required");
  if (creating && !has_level) problems.emplace_back("min_level is required");
  return problems;
}

HttpResponse invalid(const std::vector<std::string>& problems) {
  fhir::OperationOutcome outcome;
  for (const auto& message : problems) {
    outcome.issue.push_back({"error", "invalid", message, {}, {}});
  }
  return operation_outcome_response(400, outcome);
}

std::optional<std::size_t> parse_limit(std::string_view text) {
  if (text.empty()) return kDefaultLimit;
  std::size_t limit = 0;
  const auto* end = text.data() + text.size();
  const auto parsed = std::from_chars(text.data(), end, limit);
  if (parsed.ec != std::errc() || parsed.ptr != end || limit == 0 || limit > kMaxLimit) return std::nullopt;
  return limit;
}

}  // namespace

AlertsApi::AlertsApi(AlertsApiOptions options, StateStore& store, const Clock& clock,
                     std::function<void()> changed)
    : options_(std::move(options)), store_(store), clock_(clock), changed_(std::move(changed)) {}

HttpResponse AlertsApi::handle(const HttpRequest& request) {
  const std::string path(path_of(request.target));
  if (!path.starts_with(kPrefix)) return problem(404, "not-found", "no such endpoint: " + path);
  std::string rest = path.substr(kPrefix.size());
  const auto& method = request.method;
  if (rest.empty() || rest == "/") {
    if (method == "POST") return create(request);
    if (method == "GET") return list();
    return problem(405, "not-supported", "GET or POST here");
  }
  rest.erase(0, 1);
  const auto slash = rest.find('/');
  const std::string id = rest.substr(0, slash);
  const std::string action = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
  const auto found = store_.alerts().find(id);
  if (!found) return not_found(id);
  if (action.empty()) {
    if (method == "GET") {
      rapidjson::StringBuffer buffer;
      Writer writer(buffer);
      write_subscription(writer, *found);
      return json_response(200, buffer);
    }
    if (method == "PATCH") return patch(id, request);
    if (method == "DELETE") {
      if (!store_.alerts().remove(id)) return problem(500, "exception", "the subscription could not be removed");
      log(LogLevel::info, "alert-subscription.deleted", {{"id", id}});
      return HttpResponse{204, "", "", {}};
    }
    return problem(405, "not-supported", "GET, PATCH or DELETE here");
  }
  if (action == "rotate-secret") {
    return method == "POST" ? rotate(id) : problem(405, "not-supported", "POST here");
  }
  if (action == "deliveries") {
    return method == "GET" ? deliveries(id, request) : problem(405, "not-supported", "GET here");
  }
  if (action == "replay") {
    return method == "POST" ? replay(id, request) : problem(405, "not-supported", "POST here");
  }
  return problem(404, "not-found", "no such endpoint: " + path);
}

HttpResponse AlertsApi::create(const HttpRequest& request) {
  auto parsed = parse_object(request);
  if (auto* refused = std::get_if<HttpResponse>(&parsed)) return std::move(*refused);
  AlertSubscription s;
  if (auto problems = apply(std::get<rapidjson::Document>(parsed), s, options_, true); !problems.empty()) {
    return invalid(problems);
  }
  s.id = new_id();
  const std::string secret = new_webhook_secret();
  s.secret = secret;
  s.created_at = format_instant(clock_.now());
  s.updated_at = s.created_at;
  if (!store_.alerts().create(s)) return problem(500, "exception", "the subscription could not be stored");
  log(LogLevel::info, "alert-subscription.created", {{"id", s.id}, {"min-level", s.min_level}});
  if (changed_) changed_();
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  write_subscription(writer, s, &secret);
  auto response = json_response(201, buffer);
  response.headers.emplace_back("Location", std::string(kPrefix) + "/" + s.id);
  return response;
}

HttpResponse AlertsApi::list() {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("subscriptions");
  writer.StartArray();
  for (const auto& s : store_.alerts().subscriptions()) write_subscription(writer, s);
  writer.EndArray();
  writer.EndObject();
  return json_response(200, buffer);
}

HttpResponse AlertsApi::patch(const std::string& id, const HttpRequest& request) {
  auto parsed = parse_object(request);
  if (auto* refused = std::get_if<HttpResponse>(&parsed)) return std::move(*refused);
  auto s = *store_.alerts().find(id);
  if (auto problems = apply(std::get<rapidjson::Document>(parsed), s, options_, false); !problems.empty()) {
    return invalid(problems);
  }
  s.updated_at = format_instant(clock_.now());
  if (!store_.alerts().update(s)) return not_found(id);
  log(LogLevel::info, "alert-subscription.changed", {{"id", id}, {"state", s.state}});
  if (changed_) changed_();
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  write_subscription(writer, s);
  return json_response(200, buffer);
}

HttpResponse AlertsApi::rotate(const std::string& id) {
  auto s = *store_.alerts().find(id);
  const std::string secret = new_webhook_secret();
  // The old secret keeps signing (a second signature) for the overlap, so receivers can switch without a gap.
  s.previous_secret = s.secret;
  s.previous_until = format_instant(clock_.now() + options_.rotation_overlap);
  s.secret = secret;
  s.updated_at = format_instant(clock_.now());
  if (!store_.alerts().update(s)) return not_found(id);
  log(LogLevel::info, "alert-subscription.secret-rotated", {{"id", id}, {"old-until", s.previous_until}});
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  write_subscription(writer, s, &secret);
  return json_response(200, buffer);
}

HttpResponse AlertsApi::deliveries(const std::string& id, const HttpRequest& request) {
  const auto query = QueryParameters::parse(request.target);
  if (!query) return malformed_target_response(query.error());
  const auto limit = parse_limit(query->value("limit"));
  if (!limit) return problem(400, "value", "limit must be a whole number from 1 to 1000");
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("deliveries");
  writer.StartArray();
  for (const auto& attempt : store_.alerts().attempts(id, *limit)) {
    writer.StartObject();
    text(writer, "attempted_at", attempt.attempted_at);
    text(writer, "webhook_id", attempt.webhook_id);
    writer.Key("alert_seq");
    writer.Int64(attempt.alert_seq);
    writer.Key("http_status");
    if (attempt.http_status == 0) {
      writer.Null();
    } else {
      writer.Int64(attempt.http_status);
    }
    writer.Key("latency_ms");
    writer.Int64(attempt.latency_ms);
    writer.Key("error");
    if (attempt.error.empty()) {
      writer.Null();
    } else {
      writer.String(attempt.error.c_str());
    }
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return json_response(200, buffer);
}

HttpResponse AlertsApi::replay(const std::string& id, const HttpRequest& request) {
  auto parsed = parse_object(request);
  if (auto* refused = std::get_if<HttpResponse>(&parsed)) return std::move(*refused);
  const auto& body = std::get<rapidjson::Document>(parsed);
  std::string webhook_id;
  std::string from;
  std::string to;
  std::vector<std::string> problems;
  for (const auto& member : body.GetObject()) {
    const std::string name = member.name.GetString();
    if (!member.value.IsString()) {
      problems.push_back(name + " must be a string");
      continue;
    }
    const std::string value = member.value.GetString();
    if (name == "webhook_id") {
      webhook_id = value;
    } else if (name == "from" || name == "to") {
      const auto instant = analytics::parse_fhir_date_time(value).instant;
      if (!instant) {
        problems.push_back(name + " must be an instant like 2026-12-01T10:00:00Z");
        continue;
      }
      (name == "from" ? from : to) = format_instant(instant->utc);
    } else {
      problems.push_back("unknown member '" + name + "'");
    }
  }
  if (problems.empty() && webhook_id.empty() == (from.empty() || to.empty())) {
    problems.emplace_back("give either webhook_id, or both from and to");
  }
  if (problems.empty() && !webhook_id.empty() && (!from.empty() || !to.empty())) {
    problems.emplace_back("give either webhook_id, or both from and to");
  }
  if (!problems.empty()) return invalid(problems);
  const auto queued = store_.alerts().replay(id, webhook_id, from, to, format_instant(clock_.now()));
  if (!queued) return problem(500, "exception", "the replay could not be queued");
  log(LogLevel::info, "alert-subscription.replayed", {{"id", id}, {"queued", std::to_string(*queued)}});
  if (changed_) changed_();
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("queued");
  writer.Uint64(*queued);
  writer.EndObject();
  return json_response(202, buffer);
}

}  // namespace gg::gateway
