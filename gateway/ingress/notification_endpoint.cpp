#include "gateway/ingress/notification_endpoint.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "fhir/bundle_entry_json.hpp"
#include "gateway/http/credentials.hpp"
#include "gateway/http/outcome_response.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

HttpResponse acknowledged() {
  return HttpResponse{200, std::string(), std::string(), {}};
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
                          "Notifications answered 503 because the intake queue was at pipeline.max_pending")) {}

bool NotificationEndpoint::matches(const HttpRequest& request) const {
  const std::string_view path = path_of(request.target);
  return path == options_.path_prefix || path.rfind(options_.path_prefix + "/", 0) == 0;
}

HttpResponse NotificationEndpoint::handle(const HttpRequest& request) {
  received_.inc();
  if (!secret_equals(header_value(request, options_.secret_header), options_.secret)) {
    unauthorized_.inc();
    log(LogLevel::warn, "notification.unauthorized", {{"remote", request.remote_address}});
    return operation_outcome_response(401, "security", "missing or wrong " + options_.secret_header + " header");
  }
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
    // Topic-based notifications: record each Observation the Bundle carries; without one, catch up by search.
    bool any = false;
    const auto& entries = decoded.value->entry;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& entry = entries[i];
      if (!entry.resource || !std::holds_alternative<fhir::Observation>(*entry.resource)) continue;
      const bool kept = i < entry_json.size() && !entry_json[i].empty();
      auto response = record(*entry.resource, kept ? std::move(entry_json[i]) : fhir::to_json(*entry.resource));
      if (response.status >= 300) return response;
      any = true;
    }
    if (!any) on_recorded_(true);
    return acknowledged();
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

  if (request.method == "DELETE") {
    return record_event(
        IntakeEvent{type, id, std::string(kDeletedVersion), "", IntakeSource::rest_hook, now_iso_(), ""});
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
  return record(resource, request.body);
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

HttpResponse NotificationEndpoint::record(const fhir::Resource& resource, std::string payload) {
  const auto* observation = std::get_if<fhir::Observation>(&resource);
  if (observation == nullptr) {
    // Not modelled or filtered out by code: not a hormone result. Counted, acknowledged, not an error.
    skipped_.inc();
    return acknowledged();
  }
  return record_event(IntakeEvent{"Observation", observation->id, observation->meta.version_id,
                                  observation->subject.reference, IntakeSource::rest_hook, now_iso_(),
                                  std::move(payload)});
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
      log(LogLevel::info, "event.recorded", {{"type", type}, {"id", id}, {"version", version}});
      on_recorded_(false);
      return acknowledged();
    }
    case RecordOutcome::Kind::duplicate:
      duplicate_.inc();
      log(LogLevel::info, "event.duplicate", {{"type", type}, {"id", id}, {"version", version}});
      return acknowledged();
    case RecordOutcome::Kind::failed:
      break;
  }
  log(LogLevel::error, "event.store-failed", {{"type", type}, {"id", id}, {"error", outcome.error}});
  // Not stored, so not acknowledged: the sender retries.
  return operation_outcome_response(503, "transient", "the gateway could not store the notification");
}

}  // namespace gg::gateway
