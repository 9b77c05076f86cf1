#include "gateway/http/router.hpp"

#include <string>
#include <string_view>
#include <utility>

#include "gateway/http/admin_api.hpp"
#include "gateway/http/credentials.hpp"
#include "gateway/http/outcome_response.hpp"

namespace gg::gateway {
namespace {

bool is_below(std::string_view path, std::string_view prefix) {
  return path == prefix || (path.size() > prefix.size() && path.starts_with(prefix) && path[prefix.size()] == '/');
}

// The operator's routes: what the gateway did and the alert subscriptions (README "Endpoints").
bool is_admin_path(std::string_view path) {
  return is_below(path, "/admin") || is_below(path, "/alerts");
}

}  // namespace

Router::Router(RouterTargets targets)
    : targets_(std::move(targets)),
      requests_(targets_.metrics.counter("gradient_gateway_http_requests_total", "HTTP requests answered")),
      redriven_(targets_.metrics.counter("gradient_gateway_events_redriven_total",
                                         "dead or failed events set pending again by POST /admin/events/retry")),
      metrics_endpoint_(targets_.store, targets_.metrics) {}

HttpResponse Router::handle(const HttpRequest& request) {
  requests_.inc();
  if (targets_.notification_matches(request)) return targets_.notification_handle(request);
  const std::string_view target_path = path_of(request.target);
  if (is_admin_path(target_path)) {
    if (auto refused = refuse_unless_admin(request, targets_.admin_token)) return *refused;
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
  // HEAD is GET without the body (the server drops it, RFC 9110 section 9.3.2): load balancers probe with it. A
  // 405 names what is allowed (RFC 9110 section 15.5.6).
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = operation_outcome_response(405, "not-supported", "only GET and HEAD here");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  if (path == "/healthz") return healthz_response();
  if (path == "/readyz") return readyz_response(targets_.readiness.report(targets_.store.healthy()));
  if (path == "/metrics") return metrics_endpoint_.handle();
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
    if (targets_.notification_refuse) refused = targets_.notification_refuse(header);
  } else if (is_admin_path(path_of(header.target))) {
    refused = refuse_unless_admin(header, targets_.admin_token);
  }
  if (refused) requests_.inc();
  return refused;
}

HeaderCheck Router::header_check() {
  return [this](const HttpRequest& header) { return refuse_before_body(header); };
}

}  // namespace gg::gateway
