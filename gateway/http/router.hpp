// The gateway's routing table (README "What the service does", Endpoints): a request under the notification
// prefix goes to the notification endpoint, whatever its method (HAPI PUTs, POSTs and DELETEs there); every other
// route answers GET only (405 otherwise; POST /admin/events/retry answers POST only), and an unknown path is a
// 404, both as OperationOutcomes. Request in, response out: tests call handle() without sockets. The operator
// routes (/admin/..., /alerts/...) answer only with the admin token.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/auth_limiter.hpp"
#include "gateway/http/http_server.hpp"
#include "gateway/http/message.hpp"
#include "gateway/http/metrics_endpoint.hpp"
#include "gateway/http/probes.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

// A route another room serves (alerts/, cds/): every request whose path is `path` or lies below it
// (`path` + "/..."), whatever its method; the handler answers methods it does not serve itself (405).
struct ExtraRoute {
  std::string path;  // "/alerts", "/cds-services"
  HttpHandler handle;
};

// Who /metrics answers on this router (server.metrics_access): callers with the admin token, anyone, or nobody
// (it is served on a listener of its own, MetricsListener below).
enum class MetricsRoute { token, open, elsewhere };

// What the routes answer from. The notification endpoint lives in ingress/, which includes http/: it comes in as
// two callables, so that http/ never includes ingress/ (scripts/check-includes). Every reference must outlive the
// router.
struct RouterTargets {
  std::function<bool(const HttpRequest&)> notification_matches;
  HttpHandler notification_handle;
  StateStore& store;
  MetricsRegistry& metrics;
  const Readiness& readiness;
  std::vector<ExtraRoute> routes = {};  // matched in order, after the notification endpoint
  // The bearer token every /admin/... and /alerts/... request must carry (http/credentials.hpp); empty: those
  // routes answer 401.
  std::string admin_token = {};
  // "Now" for POST /admin/events/retry (the re-driven events' due time); nullptr: the system clock.
  const Clock* clock = nullptr;
  // The notification endpoint's credential check (a 401, or nothing), asked with a request's header before its
  // body is read (Router::refuse_before_body); empty: the endpoint's own handling alone checks.
  HeaderCheck notification_refuse = {};
  // Mutual TLS on the notification endpoint (server.tls_client_certificates: notifications): a request on a
  // connection without a verified client certificate is refused, 403, before its body is read.
  bool notification_client_certificate = false;
  // Failed authentication per client address (server.auth_failure_limit, auth_failure_window_s): a client over the
  // limit gets 429 on the notification endpoint and the operator routes until its window ends.
  AuthLimitOptions auth_limit = {};
  MetricsRoute metrics_route = MetricsRoute::token;
};

class Router {
 public:
  explicit Router(RouterTargets targets);
  Router(const Router&) = delete;  // handler() holds this router's address
  Router& operator=(const Router&) = delete;

  // Counts the request in gradient_gateway_http_requests_total and answers it. Called concurrently across
  // connections: the targets are thread-safe.
  HttpResponse handle(const HttpRequest& request);

  // An HttpHandler that calls handle(), for the HttpServer; the router must outlive it.
  HttpHandler handler();

  // What a request's header alone decides (issue 13: "the credential is checked on the header, before a body is
  // read"): a 401 for a notification without the shared secret, or an operator route without the admin token;
  // nothing for everything else, which handle() answers once the body is read. Counted like handle()'s answers.
  std::optional<HttpResponse> refuse_before_body(const HttpRequest& header);
  // A HeaderCheck that calls refuse_before_body(), for the HttpServer; the router must outlive it.
  HeaderCheck header_check();

 private:
  // The 403 for a notification without the client certificate mutual TLS asks for, or nothing.
  std::optional<HttpResponse> refuse_without_certificate(const HttpRequest& request) const;
  // What the credential of a request to the notification endpoint (`notification`) or an operator route decides:
  // a 429 for a client locked out, a 403 or 401 (counted against the client, logged sparingly), or nothing.
  std::optional<HttpResponse> check_credential(const HttpRequest& request, bool notification);
  // The operator's routes, and /metrics unless it is open or elsewhere.
  bool needs_admin_token(std::string_view path) const;
  const Clock& clock() const { return targets_.clock != nullptr ? *targets_.clock : system_clock_; }

  RouterTargets targets_;
  Counter& requests_;
  Counter& redriven_;
  Counter& auth_failures_;
  Counter& locked_out_;
  AuthFailureLimiter limiter_;
  SystemClock system_clock_;
  MetricsEndpoint metrics_endpoint_;
};

// The handler of /metrics' own listener (server.metrics_access: listener): GET or HEAD /metrics, /healthz and
// /readyz, without a credential; everything else is a 404 (or a 405) OperationOutcome. The references must
// outlive the handler.
HttpHandler metrics_listener_handler(MetricsEndpoint& endpoint, const Readiness& readiness, StateStore& store);

}  // namespace gg::gateway
