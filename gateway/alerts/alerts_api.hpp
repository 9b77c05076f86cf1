// The alert subscriptions API (issue 10 item 2; docs/alerts-openapi.yaml): integration teams subscribe a webhook
// endpoint once and get every significant finding. Served under /alerts (the router has checked the admin token):
//   POST   /alerts/subscriptions                      {"url", "min_level", "types"?, "codes"?, "description"?}
//   GET    /alerts/subscriptions                      every subscription, without secrets
//   GET    /alerts/subscriptions/{id}
//   PATCH  /alerts/subscriptions/{id}                 any of url, min_level, types, codes, description, state
//   DELETE /alerts/subscriptions/{id}
//   POST   /alerts/subscriptions/{id}/rotate-secret   a new secret; the old one still signs for the overlap
//   GET    /alerts/subscriptions/{id}/deliveries      every attempt, newest first (?limit=1..1000, default 100)
//   POST   /alerts/subscriptions/{id}/replay          {"webhook_id"} or {"from", "to"}: queued again, same ids
// The secret is shown only on creation and rotation. Bad input is a 4xx OperationOutcome and changes nothing.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/http/message.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {

struct AlertsApiOptions {
  bool allow_insecure_loopback = false;
  std::chrono::seconds rotation_overlap{86400};
  std::set<std::string> known_codes;  // the gradient codes a subscription may filter on
};

class AlertsApi {
 public:
  // `changed` is called after a subscription is created, changed or replayed (the delivery wakes). Every
  // reference outlives the API.
  AlertsApi(AlertsApiOptions options, StateStore& store, const Clock& clock, std::function<void()> changed);

  // Answers a request whose path is /alerts/subscriptions or below it.
  HttpResponse handle(const HttpRequest& request);

 private:
  HttpResponse create(const HttpRequest& request);
  HttpResponse list();
  HttpResponse patch(const std::string& id, const HttpRequest& request);
  HttpResponse rotate(const std::string& id);
  HttpResponse deliveries(const std::string& id, const HttpRequest& request);
  HttpResponse replay(const std::string& id, const HttpRequest& request);

  AlertsApiOptions options_;
  StateStore& store_;
  const Clock& clock_;
  std::function<void()> changed_;
};

}  // namespace gg::gateway
