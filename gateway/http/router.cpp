#include "gateway/http/router.hpp"

#include <string>
#include <string_view>
#include <utility>

#include "gateway/http/admin_api.hpp"
#include "gateway/http/outcome_response.hpp"

namespace gg::gateway {

Router::Router(RouterTargets targets)
    : targets_(std::move(targets)),
      requests_(targets_.metrics.counter("gradient_gateway_http_requests_total", "HTTP requests answered")),
      metrics_endpoint_(targets_.store, targets_.metrics) {}

HttpResponse Router::handle(const HttpRequest& request) {
  requests_.inc();
  if (targets_.notification_matches(request)) return targets_.notification_handle(request);
  const std::string_view target_path = path_of(request.target);
  for (const auto& route : targets_.routes) {
    if (target_path == route.path ||
        (target_path.size() > route.path.size() && target_path.starts_with(route.path) &&
         target_path[route.path.size()] == '/')) {
      return route.handle(request);
    }
  }
  if (request.method != "GET") return operation_outcome_response(405, "not-supported", "only GET here");
  const std::string path(path_of(request.target));
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

}  // namespace gg::gateway
