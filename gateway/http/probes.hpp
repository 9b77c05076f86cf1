// The probes an orchestrator asks (README "What the service does", ARCHITECTURE "HTTP"): /healthz, the process is
// up; /readyz, the state store is open, the FHIR server answers and, when the gateway manages one, its
// Subscription is active. Readiness holds what the background checks found; the answers are plain functions.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "gateway/http/message.hpp"

namespace gg::gateway {

// What /readyz reports, one flag per dependency.
struct ReadinessReport {
  bool state_store = false;
  bool fhir_server = false;
  bool subscription = false;

  [[nodiscard]] bool ready() const { return state_store && fhir_server && subscription; }
};

// 200 {"status":"up"}.
HttpResponse healthz_response();

// 200 when ready, else 503; the body names each dependency:
// {"status":"ready"|"not-ready","stateStore":bool,"fhirServer":bool,"subscription":bool}.
HttpResponse readyz_response(const ReadinessReport& report);

// What the background checks found, written by them and read by /readyz (atomics: any thread).
class Readiness {
 public:
  // subscription_managed: the gateway keeps a Subscription (subscription.manage); when it does not, /readyz does
  // not wait for one.
  explicit Readiness(bool subscription_managed) : subscription_managed_(subscription_managed) {}

  // Records a FHIR reachability probe's answer; true when it differs from the last one (nothing is reachable
  // before the first answer).
  bool set_fhir_reachable(bool reachable) { return reachable != fhir_reachable_.exchange(reachable); }
  // false when it stops being so (websocket mode: the connection that was bound closed).
  void set_subscription_active(bool active = true) { subscription_active_ = active; }

  // The report, with the state store's health checked by the caller at the time of the request.
  [[nodiscard]] ReadinessReport report(bool state_store_healthy) const;

 private:
  bool subscription_managed_;
  std::atomic<bool> fhir_reachable_{false};
  std::atomic<bool> subscription_active_{false};
};

// Whether the FHIR server answers (in production, GET [base]/metadata gives 200). A callable, so that the loop
// below is tested without a network.
using FhirProbe = std::function<boost::asio::awaitable<bool>()>;

// Forever, every interval: asks probe and records its answer in readiness, logging fhir.reachable (info) or
// fhir.unreachable (warn) with the server's base URL when the answer changes, not on every probe. The executor
// runs its timer; it is taken by value, as every argument here, because the coroutine starts only once spawned.
boost::asio::awaitable<void> probe_fhir_server(boost::asio::any_io_executor executor, FhirProbe probe,
                                               Readiness& readiness, std::chrono::steady_clock::duration interval,
                                               std::string base_url);

}  // namespace gg::gateway
