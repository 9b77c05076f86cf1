#include "gateway/ingress/notification_endpoint.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "fhir/bundle_entry_json.hpp"
#include "fhir/url.hpp"
#include "gateway/http/credentials.hpp"
#include "gateway/http/outcome_response.hpp"
#include "gateway/ingress/topic_notification.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/trace_context.hpp"

namespace gg::gateway {
namespace {

HttpResponse acknowledged() {
  return HttpResponse{200, std::string(), std::string(), {}};
}

// HAPI (8.8) sends a topic notification as a FHIR transaction through its generic client, which takes an answer
// without a FHIR Bundle (no Content-Type, or an empty body) as a failed delivery and retries it for a minute
// (checked against HAPI: "NonFhirResponseException: Response contains no Content-Type"). The Backport IG asks only
// for a 2xx, so a minimal Bundle satisfies both.
HttpResponse acknowledged_topic() {
  return HttpResponse{
      200, "application/fhir+json", R"({"resourceType":"Bundle","type":"transaction-response"})", {}};
}

// The state store's cursor holding the last event number seen for one Subscription (Backport IG).
std::string event_cursor_name(const std::string& subscription) {
  return "topic-event-number:" + subscription;
}

std::optional<std::int64_t> parse_cursor(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), number);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return number;
}

}  // namespace

NotificationEndpoint::NotificationEndpoint(NotificationEndpointOptions options, StateStore& store,
                                           MetricsRegistry& metrics, fhir::DecodeOptions wanted,
                                           std::function<std::string()> now_iso,
                                           std::function<void(bool)> on_recorded)
    : options_(std::move(options)),
      store_(store),
      wanted_(std::move(wanted)),
      now_iso_(std::move(now_iso)),
      on_recorded_(std::move(on_recorded)),
      received_(metrics.counter("gradient_gateway_notifications_received_total",
                                "Notifications received on the REST-hook endpoint")),
      recorded_(metrics.counter("gradient_gateway_events_recorded_total",
                                "Intake events stored durably, by transport", {{"source", "rest-hook"}})),
      duplicate_(metrics.counter("gradient_gateway_events_duplicate_total",
                                 "Intake events that repeated a stored (type, id, version) and were collapsed")),
      skipped_(metrics.counter("gradient_gateway_notifications_skipped_total",
                               "Notifications about resources that are not hormone results")),
      rejected_(metrics.counter("gradient_gateway_notifications_rejected_total",
                                "Notifications refused as malformed (400)")),
      unauthorized_(metrics.counter("gradient_gateway_notifications_unauthorized_total",
                                    "Notifications refused for a missing or wrong secret (401)")),
      throttled_(
          metrics.counter("gradient_gateway_notifications_throttled_total",
                          "Notifications answered 503 because the intake queue was at pipeline.max_pending")),
      topic_gaps_(
          metrics.counter("gradient_gateway_topic_event_gaps_total",
                          "Topic notifications whose event numbers showed lost events (a catch-up search)")) {}

bool NotificationEndpoint::matches(const HttpRequest& request) const {
  const std::string_view path = path_of(request.target);
  return path == options_.path_prefix || path.rfind(options_.path_prefix + "/", 0) == 0;
}

std::optional<HttpResponse> NotificationEndpoint::refuse_unauthorized(const HttpRequest& request) {
  if (secret_equals(header_value(request, options_.secret_header), options_.secret)) return std::nullopt;
  unauthorized_.inc();  // logged by the router, a few lines per client and window (http/auth_limiter.hpp)
  return operation_outcome_response(401, "security", "missing or wrong " + options_.secret_header + " header");
}

HttpResponse NotificationEndpoint::handle(const HttpRequest& request) {
  received_.inc();
  if (auto refused = refuse_unauthorized(request)) return std::move(*refused);
  if (queue_full()) {
    throttled_.inc();
    log(LogLevel::warn, "notification.throttled", {{"remote", request.remote_address}});
    auto response = operation_outcome_response(
        503, "throttled",
        "the gateway's intake queue is full; retry later (nothing is lost: missed changes are "
        "caught up by search)");
    response.headers.emplace_back("Retry-After", std::to_string(options_.retry_after.count()));
    return response;
  }
  const std::string_view path = path_of(request.target);
  std::string rest(path.substr(options_.path_prefix.size()));
  // The trace the notification belongs to (its traceparent header), or one started here: stored with each event.
  const auto header = request.headers.find("traceparent");
  const std::string trace = trace_or_start(header == request.headers.end() ? "" : header->second).traceparent();
  // The payload of a sender authenticated by its client certificate, when so configured: analysed as it came.
  const bool trusted = options_.trust_authenticated_payload && !request.client_certificate.empty();
  if (!rest.empty() && rest.front() == '/') rest.erase(0, 1);

  // POST {prefix}: no payload (empty body) or a topic-based notification Bundle.
  if (rest.empty()) {
    if (request.method != "POST") {
      return operation_outcome_response(405, "not-supported", "use POST on the notification base");
    }
    if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
      log(LogLevel::info, "notification.without-payload");
      on_recorded_(true);
      return acknowledged();
    }
    // One pass decodes the Bundle and keeps each entry's resource as received: the payload stored is those bytes,
    // not a re-serialisation.
    std::vector<std::string> entry_json;
    auto decoded = fhir::decode_bundle_keeping_entry_json(request.body, wanted_, &entry_json);
    if (!decoded.ok()) {
      rejected_.inc();
      return operation_outcome_response(400, decoded.issues);
    }
    return record_topic_notification(*decoded.value, entry_json, trace, trusted);
  }

  // {type}/{id}
  const auto slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size() ||
      rest.find('/', slash + 1) != std::string::npos) {
    rejected_.inc();
    return operation_outcome_response(404, "not-found", "expected " + options_.path_prefix + "/{type}/{id}");
  }
  const std::string type = rest.substr(0, slash);
  const std::string id = rest.substr(slash + 1);
  // The gateway subscribes to Observations alone (subscription_manager.cpp): a notification about any other type,
  // or naming an id FHIR does not allow ("..%2Fetc", R4 2.24.0.1), is refused before anything is stored. Neither
  // is echoed: the URL is the sender's.
  if (type != "Observation") {
    rejected_.inc();
    log(LogLevel::warn, "notification.unsupported-type", {{"remote", request.remote_address}});
    return operation_outcome_response(404, "not-supported",
                                      "this endpoint takes notifications about Observations only: " +
                                          options_.path_prefix + "/Observation/{id}");
  }
  if (!fhir::is_resource_id(id)) {
    rejected_.inc();
    log(LogLevel::warn, "notification.invalid-id", {{"remote", request.remote_address}});
    return operation_outcome_response(400, "invalid",
                                      "the id in the URL is not a FHIR id (1 to 64 letters, digits, '-' and '.')");
  }

  if (request.method == "DELETE") {
    return record_event(
        IntakeEvent{type, id, std::string(kDeletedVersion), "", IntakeSource::rest_hook, now_iso_(), "", trace});
  }
  if (request.method != "PUT" && request.method != "POST") {
    return operation_outcome_response(405, "not-supported", "method " + request.method + " not supported");
  }
  auto decoded = fhir::decode_resource(request.body, wanted_);
  if (!decoded.ok()) {
    rejected_.inc();
    log(LogLevel::warn, "notification.malformed", {{"type", type}, {"id", id}});
    return operation_outcome_response(400, decoded.issues);
  }
  const fhir::Resource& resource = *decoded.value;
  if (fhir::resource_type(resource) != type || fhir::resource_id(resource) != id) {
    rejected_.inc();
    return operation_outcome_response(400, "invalid",
                                      "resource type and id in the body do not match the URL " + type + "/" + id);
  }
  return record(resource, request.body, trace, trusted);
}

bool NotificationEndpoint::queue_full() {
  if (options_.max_pending <= 0) return false;
  const std::lock_guard lock(pending_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now - pending_counted_at_ >= std::chrono::seconds(1)) {
    pending_estimate_ = store_.counts().pending;
    pending_counted_at_ = now;
  }
  return pending_estimate_ >= options_.max_pending;
}

// A topic-based notification (Backport IG, "Notifications"): entry[0] is the status (a Parameters in R4), the
// other entries are the focus resources when the Subscription asked for full-resource content. Handshakes and
// heartbeats record nothing; event notifications record each Observation they carry. What the Bundle does not
// carry (id-only or empty content) or what the event numbers say was lost is found by the catch-up search: the
// FHIR server is the source of truth.
HttpResponse NotificationEndpoint::record_topic_notification(const fhir::Bundle& bundle,
                                                             std::vector<std::string>& entry_json,
                                                             const std::string& trace, bool trusted) {
  const auto& entries = bundle.entry;
  if (entries.empty() || !entries[0].resource || fhir::resource_type(*entries[0].resource) != "Parameters" ||
      entry_json.empty() || entry_json[0].empty()) {
    rejected_.inc();
    return operation_outcome_response(
        400, "invalid",
        "a notification Bundle must start with its SubscriptionStatus (a Parameters resource in R4)");
  }
  auto parsed = parse_subscription_status(entry_json[0]);
  if (!parsed) {
    rejected_.inc();
    log(LogLevel::warn, "notification.bad-status", {{"error", parsed.error()}});
    return operation_outcome_response(400, "invalid", parsed.error());
  }
  const SubscriptionStatus& status = *parsed;
  const std::string subscription = subscription_key(status.subscription);
  const std::string cursor = event_cursor_name(subscription);
  const auto checked = check_event_numbers(parse_cursor(store_.cursors().cursor(cursor)), status);

  bool catch_up = checked.gap;
  if (status.type == NotificationType::event_notification || status.type == NotificationType::query_event) {
    std::set<std::string> carried;
    for (std::size_t i = 1; i < entries.size(); ++i) {
      const auto& entry = entries[i];
      if (!entry.resource) continue;
      carried.insert(std::string(fhir::resource_type(*entry.resource)) + "/" +
                     std::string(fhir::resource_id(*entry.resource)));
      if (!std::holds_alternative<fhir::Observation>(*entry.resource)) {
        skipped_.inc();
        continue;
      }
      const bool kept = i < entry_json.size() && !entry_json[i].empty();
      auto response = record(*entry.resource, kept ? std::move(entry_json[i]) : fhir::to_json(*entry.resource),
                             trace, trusted);
      if (response.status >= 300) return response;  // not stored: the cursor stays, the sender retries
    }
    for (const auto& event : status.events) {
      if (!carried.contains(focus_type_and_id(event.focus))) catch_up = true;  // id-only or empty content
    }
  }
  if (checked.last_seen) store_.cursors().set_cursor(cursor, std::to_string(*checked.last_seen));
  if (checked.gap) {
    topic_gaps_.inc();
    log(LogLevel::warn, "notification.event-gap",
        {{"subscription", subscription},
         {"type", std::string(to_string(status.type))},
         {"last", checked.last_seen ? std::to_string(*checked.last_seen) : std::string()}});
  }
  log(LogLevel::info, "notification.topic-status",
      {{"subscription", subscription},
       {"type", std::string(to_string(status.type))},
       {"events", std::to_string(status.events.size())}});
  if (catch_up) on_recorded_(true);
  return acknowledged_topic();
}

HttpResponse NotificationEndpoint::record(const fhir::Resource& resource, std::string payload,
                                          const std::string& trace, bool trusted) {
  const auto* observation = std::get_if<fhir::Observation>(&resource);
  if (observation == nullptr) {
    // Not modelled or filtered out by code: not a hormone result. Counted, acknowledged, not an error.
    skipped_.inc();
    return acknowledged();
  }
  return record_event(IntakeEvent{"Observation", observation->id, observation->meta.version_id,
                                  observation->subject.reference, IntakeSource::rest_hook, now_iso_(),
                                  std::move(payload), trace, trusted});
}

HttpResponse NotificationEndpoint::record_event(const IntakeEvent& event) {
  const std::string type = event.resource_type;
  const std::string id = event.resource_id;
  const std::string version = event.version_id;
  auto outcome = store_.record_event(event);
  switch (outcome.kind) {
    case RecordOutcome::Kind::inserted: {
      recorded_.inc();
      {
        const std::lock_guard lock(pending_mutex_);
        ++pending_estimate_;
      }
      log(LogLevel::info, "event.recorded",
          {{"type", type}, {"id", id}, {"version", version}, {"trace_id", trace_id_of(event.traceparent)}});
      on_recorded_(false);
      return acknowledged();
    }
    case RecordOutcome::Kind::duplicate:
      duplicate_.inc();
      log(LogLevel::info, "event.duplicate",
          {{"type", type}, {"id", id}, {"version", version}, {"trace_id", trace_id_of(event.traceparent)}});
      return acknowledged();
    case RecordOutcome::Kind::failed:
      break;
  }
  log(LogLevel::error, "event.store-failed", {{"type", type}, {"id", id}, {"error", outcome.error}});
  // Not stored, so not acknowledged: the sender retries.
  return operation_outcome_response(503, "transient", "the gateway could not store the notification");
}

}  // namespace gg::gateway
