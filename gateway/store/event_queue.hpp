// The durable intake queue (ARCHITECTURE.md, step 2): every notification becomes an event row, committed with
// synchronous=FULL before it is acknowledged, so a crash after the 200 loses nothing. Events are then claimed in
// intake order and settled (done, failed, dead, or pending again with a later attempt time).
//
// Thread-safe through the shared connection's mutex. Payloads are patient data: they are stored, never logged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/store/event.hpp"

#include "gateway/store/part.hpp"

namespace gg::gateway {

namespace store {
struct EventQueueStatements;
}

class EventQueue : public store::Part<store::EventQueueStatements> {
 public:
  using Part::Part;

  // Stores the event, durably, before returning inserted. The same (type, id, version) again is a duplicate.
  // An event without a version collapses with an earlier one only while that one is still pending: once it was
  // processed, a later "changed" without a version may be a new change (or a delete), so it is stored afresh.
  RecordOutcome record(const IntakeEvent& event);

  // Up to limit pending events with next_attempt_at <= now, oldest (lowest seq) first. Marks nothing: there is
  // one claimer, and grouping by patient is the caller's. Empty also when the query failed (logged).
  std::vector<StoredEvent> claim_due(const std::string& now_iso, std::size_t limit);

  // Transitions out of pending; each counts one attempt. false when the event is unknown, not pending, or the
  // update failed (logged): the event then stays pending and will be claimed again.
  bool mark_done(std::int64_t seq);
  bool mark_retry(std::int64_t seq, const std::string& next_attempt_at, const std::string& error);
  bool mark_failed(std::int64_t seq, const std::string& error);
  bool mark_dead(std::int64_t seq, const std::string& error);

  std::optional<StoredEvent> find(std::int64_t seq);
  // Every event about one resource, in intake order (for operators: "what happened to Observation/123?").
  std::vector<StoredEvent> events_of(const std::string& resource_type, const std::string& resource_id);
  EventCounts counts();

 private:
  bool mark(std::int64_t seq, EventState state, const std::string& next_attempt_at, const std::string& error,
            std::string_view operation);
};

}  // namespace gg::gateway
