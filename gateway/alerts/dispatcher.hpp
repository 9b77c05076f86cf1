// Alert delivery (issue 10 item 4), per the Standard Webhooks specification: each subscription has its own queue
// and its own worker, so a dead receiver never delays another; within a queue the head goes first (each
// patient's alerts keep their order across retries). An attempt POSTs the alert's body with webhook-id (the same
// on every retry), webhook-timestamp and webhook-signature (one signature per valid secret: two during a
// rotation's overlap), with the FHIR client's TLS verification. What follows an attempt is retry_policy.hpp's:
// delivered, a retry after the configured schedule (Retry-After on 429 and 503), a dead letter (replay re-sends
// it), or, on 410, the subscription disabled. A subscription that starts failing is logged and counted once, and
// once when it recovers.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "fhir/rest_client.hpp"
#include "gateway/config/config.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

class AlertDispatcher {
 public:
  // Every reference outlives the dispatcher. `fhir` gives the TLS settings (verify_tls, ca_file) outbound calls
  // share with the FHIR client.
  AlertDispatcher(const boost::asio::any_io_executor& executor, StateStore& store, AlertsConfig config,
                  const FhirConfig& fhir, const Clock& clock, MetricsRegistry& metrics);

  // Thread-safe: alerts were queued, or a subscription changed: look at every queue now.
  void wake();
  void stop();

  // Runs until stop(): starts a worker for each active subscription with something queued, at least every second.
  boost::asio::awaitable<void> run();

 private:
  boost::asio::awaitable<void> work(std::string subscription_id);
  // One attempt at the head of the queue; false when the worker should stop (the queue is empty or the
  // subscription gone or disabled), true to go on (after `wait`, when the head is not due yet).
  boost::asio::awaitable<bool> attempt_head(const std::string& subscription_id, std::chrono::milliseconds& wait);
  fhir::RestClient* client_for(const AlertSubscription& subscription, std::string& error);
  void note_failing(const std::string& subscription_id, bool failing, const std::string& error);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  StateStore& store_;
  AlertsConfig config_;
  const FhirConfig& fhir_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  boost::asio::steady_timer wakeup_;
  std::atomic<bool> stopped_{false};
  std::set<std::string> working_;        // subscriptions with a running worker (on the strand)
  std::map<std::string, bool> failing_;  // last known state per subscription, for one log per change
  std::map<std::string, std::pair<std::string, std::unique_ptr<fhir::RestClient>>>
      clients_;  // id -> (url, client)
  std::mt19937_64 jitter_;

  Counter& delivered_;
  Counter& retried_;
  Counter& dead_;
  Counter& failing_started_;
  Histogram& latency_;
  Gauge& failing_now_;
};

}  // namespace gg::gateway
