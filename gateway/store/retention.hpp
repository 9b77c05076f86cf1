// Retention (state.retention_days): the state database holds patient data (payloads, rejections) and would grow
// for ever. Serve prunes it at start and then every hour (serve.cpp): done and failed events settled longer ago
// than the retention, and rejections recorded longer ago; pending and dead events stay (StateStore::prune).
// The alert outbox keeps its own rows (alerts, deliveries, attempts): it is not pruned here.
#pragma once

#include <chrono>
#include <cstdint>

#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

class StateRetention {
 public:
  // How often serve prunes: rows are dated to the second and the retention counts in days, so an hour late is
  // never more than a twenty-fourth of a day over.
  static constexpr std::chrono::hours kInterval{1};

  // retention 0: keep everything (run_once does nothing).
  StateRetention(StateStore& store, std::chrono::days retention, const Clock& clock, MetricsRegistry& metrics);

  [[nodiscard]] bool enabled() const { return retention_.count() > 0; }

  // Prunes what is older than the retention as of the clock's now; logs state.pruned with the counts (no patient
  // data) and counts them in gradient_gateway_state_pruned_total{table="event"|"rejection"}. false when a delete
  // failed (logged by the store; retried at the next run).
  bool run_once();

 private:
  StateStore& store_;
  std::chrono::days retention_;
  const Clock& clock_;
  Counter& pruned_events_;
  Counter& pruned_rejections_;
};

}  // namespace gg::gateway
