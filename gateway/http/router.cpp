#include "gateway/http/router.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "gateway/http/admin_api.hpp"
#include "gateway/http/credentials.hpp"
#include "gateway/http/outcome_response.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

bool is_below(std::string_view path, std::string_view prefix) {
  return path == prefix || (path.size() > prefix.size() && path.starts_with(prefix) && path[prefix.size()] == '/');
}

// The pages and their JSON (docs/ui.md): the admin token, also as HTTP Basic's password.
bool is_page_path(std::string_view path) {
  return is_below(path, "/ui");
}

// The operator's routes: what the gateway did, the alert subscriptions and the pages (README "Endpoints").
bool is_admin_path(std::string_view path) {
  return is_below(path, "/admin") || is_below(path, "/alerts") || is_page_path(path);
}

// The probes and /metrics are read-only. HEAD is GET without the body (the server drops it, RFC 9110 section
// 9.3.2): load balancers probe with it. A 405 names what is allowed (RFC 9110 section 15.5.6).
std::optional<HttpResponse> refuse_unless_read(const HttpRequest& request) {
  if (request.method == "GET" || request.method == "HEAD") return std::nullopt;
  auto response = operation_outcome_response(405, "not-supported", "only GET and HEAD here");
  response.headers.emplace_back("Allow", "GET, HEAD");
  return response;
}

}  // namespace

Router::Router(RouterTargets targets)
    : targets_(std::move(targets)),
      requests_(targets_.metrics.counter("gradient_gateway_http_requests_total", "HTTP requests answered")),
      redriven_(targets_.metrics.counter("gradient_gateway_events_redriven_total",
                                         "dead or failed events set pending again by POST /admin/events/retry")),
      auth_failures_(targets_.metrics.counter("gradient_gateway_http_auth_failures_total",
                                              "requests refused 401 for a missing or wrong credential")),
      locked_out_(targets_.metrics.counter(
          "gradient_gateway_http_locked_out_total",
          "requests answered 429: their client failed authentication server.auth_failure_limit times")),
      limiter_(targets_.auth_limit),
      metrics_endpoint_(targets_.store, targets_.metrics) {}

HttpResponse Router::handle(const HttpRequest& request) {
  requests_.inc();
  if (targets_.notification_matches(request)) {
    if (auto refused = check_credential(request, true)) return *refused;
    return targets_.notification_handle(request);
  }
  const std::string_view target_path = path_of(request.target);
  if (needs_admin_token(target_path)) {
    if (auto refused = check_credential(request, false)) return *refused;
  }
  for (const auto& route : targets_.routes) {
    if (is_below(target_path, route.path)) {
      return route.handle(request);
    }
  }
  const std::string path(path_of(request.target));
  if (path == "/admin/events/retry") {
    return admin_events_retry(targets_.store, request, targets_.clock != nullptr ? *targets_.clock : system_clock_,
                              redriven_);
  }
  if (auto refused = refuse_unless_read(request)) return std::move(*refused);
  if (path == "/healthz") return healthz_response();
  if (path == "/readyz") return readyz_response(targets_.readiness.report(targets_.store.healthy()));
  if (path == "/metrics" && targets_.metrics_route != MetricsRoute::elsewhere) return metrics_endpoint_.handle();
  if (path == "/admin/events") return admin_events(targets_.store, request);
  if (path == "/admin/rejections") return admin_rejections(targets_.store, request);
  return operation_outcome_response(404, "not-found", "no such endpoint: " + path);
}

HttpHandler Router::handler() {
  return [this](const HttpRequest& request) { return handle(request); };
}

std::optional<HttpResponse> Router::refuse_before_body(const HttpRequest& header) {
  std::optional<HttpResponse> refused;
  if (targets_.notification_matches(header)) {
    refused = check_credential(header, true);
  } else if (needs_admin_token(path_of(header.target))) {
    refused = check_credential(header, false);
  }
  if (refused) requests_.inc();
  return refused;
}

bool Router::needs_admin_token(std::string_view path) const {
  return is_admin_path(path) || (path == "/metrics" && targets_.metrics_route == MetricsRoute::token);
}

std::optional<HttpResponse> Router::check_credential(const HttpRequest& request, bool notification) {
  const auto now = clock().now();
  if (const auto wait = limiter_.locked_out(request.remote_address, now)) {
    locked_out_.inc();
    auto response = operation_outcome_response(
        429, "throttled",
        "too many failed authentications from this address; retry after " + std::to_string(wait->count()) + " s");
    response.headers.emplace_back("Retry-After", std::to_string(wait->count()));
    return response;
  }
  std::optional<HttpResponse> refused;
  if (notification) {
    refused = refuse_without_certificate(request);
    if (!refused && targets_.notification_refuse) refused = targets_.notification_refuse(request);
  } else {
    refused = refuse_unless_admin(
        request, targets_.admin_token,
        is_page_path(path_of(request.target)) ? AdminCredential::bearer_or_basic : AdminCredential::bearer);
  }
  if (!refused || refused->status != 401) return refused;
  auth_failures_.inc();
  const auto failure = limiter_.record_failure(request.remote_address, now);
  if (failure.log) {
    log(LogLevel::warn, notification ? "notification.unauthorized" : "admin.unauthorized",
        {{"remote", request.remote_address}, {"failures", std::to_string(failure.count)}});
  }
  if (failure.locks) {
    log(LogLevel::warn, "http.client-locked-out",
        {{"remote", request.remote_address},
         {"failures", std::to_string(failure.count)},
         {"window_s", std::to_string(targets_.auth_limit.window.count())}});
  }
  return refused;
}

std::optional<HttpResponse> Router::refuse_without_certificate(const HttpRequest& request) const {
  if (!targets_.notification_client_certificate || !request.client_certificate.empty()) return std::nullopt;
  log(LogLevel::warn, "notification.without-client-certificate", {{"remote", request.remote_address}});
  return operation_outcome_response(
      403, "forbidden",
      "the notification endpoint requires a client certificate signed by the configured client CA (mutual TLS)");
}

HttpHandler metrics_listener_handler(MetricsEndpoint& endpoint, const Readiness& readiness, StateStore& store) {
  return [&endpoint, &readiness, &store](const HttpRequest& request) {
    const std::string_view path = path_of(request.target);
    if (path != "/metrics" && path != "/healthz" && path != "/readyz") {
      return operation_outcome_response(404, "not-found", "this listener serves /metrics, /healthz and /readyz");
    }
    if (auto refused = refuse_unless_read(request)) return std::move(*refused);
    if (path == "/healthz") return healthz_response();
    if (path == "/readyz") return readyz_response(readiness.report(store.healthy()));
    return endpoint.handle();
  };
}

HeaderCheck Router::header_check() {
  return [this](const HttpRequest& header) { return refuse_before_body(header); };
}

}  // namespace gg::gateway
