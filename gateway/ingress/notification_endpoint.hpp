// The REST-hook ingress (ARCHITECTURE.md step 1-2): HAPI's classic R4 Subscription delivers
// PUT {prefix}/{type}/{id} with the resource (payload), POST {prefix} with an empty body (no payload), or
// DELETE {prefix}/{type}/{id}; a topic-based (Backport IG) notification is a POST of a history Bundle.
// Each becomes an intake event recorded durably before the answer; a duplicate (id, version) collapses.
// Request in, response out: tests call handle() without sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fhir/json_codec.hpp"
#include "gateway/http/message.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

struct NotificationEndpointOptions {
  std::string path_prefix = "/notify";
  std::string secret_header = "X-Gradient-Secret";
  std::string secret;
  // The intake queue's bound (issue 11, item 3): with this many events pending, a notification is answered 503
  // with Retry-After instead of buffered without limit. Nothing is lost: the sender retries, and what it gives
  // up on the catch-up search finds. 0: no bound.
  std::int64_t max_pending = 0;
  std::chrono::seconds retry_after{30};
  // A notification whose sender presented a verified TLS client certificate (mutual TLS) has its payload trusted:
  // analysed as it came instead of read again from the server (subscription.trust_authenticated_payload).
  bool trust_authenticated_payload = false;
};

class NotificationEndpoint {
 public:
  // wanted: decides from Observation.code whether it is a hormone result (the catalogue's codes).
  // now_iso: the clock, as ISO 8601 UTC text. on_recorded: wakes the pipeline after a new event (or a
  // reconcile request, with an empty event) was stored.
  NotificationEndpoint(NotificationEndpointOptions options, StateStore& store, MetricsRegistry& metrics,
                       fhir::DecodeOptions wanted, std::function<std::string()> now_iso,
                       std::function<void(bool reconcile)> on_recorded);

  // Whether the request's path is under the notification prefix.
  [[nodiscard]] bool matches(const HttpRequest& request) const;
  HttpResponse handle(const HttpRequest& request);
  // A 401 when the request lacks the shared secret (counted; the router logs it, sparingly), else nothing:
  // handle() asks it first, and the server asks it with the header alone, before a body is read (issue 13).
  std::optional<HttpResponse> refuse_unauthorized(const HttpRequest& request);

 private:
  // The one decode's result: the event carries what the pipeline needs (type, id, version, subject) beside the
  // resource's bytes, so nothing decodes the payload again to find them.
  // `trace`: the traceparent stored with each event (the notification's, or one started for it).
  HttpResponse record(const fhir::Resource& resource, std::string payload, const std::string& trace, bool trusted);
  // Whether the intake queue is at its bound: the pending count, read from the store at most once a second.
  bool queue_full();
  HttpResponse record_event(const IntakeEvent& event);
  HttpResponse record_topic_notification(const fhir::Bundle& bundle, std::vector<std::string>& entry_json,
                                         const std::string& trace, bool trusted);

  NotificationEndpointOptions options_;
  StateStore& store_;
  fhir::DecodeOptions wanted_;
  std::function<std::string()> now_iso_;
  std::function<void(bool)> on_recorded_;
  Counter& received_;
  Counter& recorded_;
  Counter& duplicate_;
  Counter& skipped_;
  Counter& rejected_;
  Counter& unauthorized_;
  Counter& throttled_;
  std::mutex pending_mutex_;  // guards the two below
  std::int64_t pending_estimate_ = 0;
  std::chrono::steady_clock::time_point pending_counted_at_{};
  Counter& topic_gaps_;
};

}  // namespace gg::gateway
