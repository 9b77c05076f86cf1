// The polling transport (shared/ARCHITECTURE.md, step 1): a `_lastUpdated` search for hormone results changed
// since a cursor kept in the state store, each recorded as an intake event like a notification. It catches up on
// what a server gave up delivering (HAPI retries a REST hook for about a minute, shared/HAPI-NOTES.md) and on what
// changed while the gateway was down. The pipeline decides when it runs (at start, on request, every
// reconcile_interval) and claims what it recorded right after, so one caught-up result is analysed in the same
// round.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <string_view>

#include "fhir/client.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

// The state store cursor: the newest meta.lastUpdated seen by the last completed search.
inline constexpr std::string_view kReconcileCursor = "reconcile.lastUpdated";

class Reconciler {
 public:
  // Everything is borrowed and outlives the reconciler. overlap: how far before the cursor each search starts.
  Reconciler(StateStore& store, fhir::Client& client, const LoadedKnowledge& knowledge,
             std::chrono::seconds overlap, const Clock& clock, MetricsRegistry& metrics);

  // One catch-up search. The first run (no cursor, or one that does not read as an instant) only sets the cursor
  // to now: history is backfill's job. A failed search, or an event the store could not keep, leaves the cursor
  // where it was, so the next run searches the same span again. Returns how many new events it recorded.
  boost::asio::awaitable<std::size_t> run_once();

 private:
  StateStore& store_;
  fhir::Client& client_;
  const LoadedKnowledge& knowledge_;
  std::chrono::seconds overlap_;
  const Clock& clock_;
  Counter& recorded_;
  Counter& runs_;
};

}  // namespace gg::gateway
