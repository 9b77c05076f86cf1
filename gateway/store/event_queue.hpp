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
  // The same version of a dead event is not a duplicate either: that event is pending again with 0 attempts,
  // due at once (at leased_until for the leased form), and the outcome is inserted with revived set.
  RecordOutcome record(const IntakeEvent& event);
  // The same, for an event the recording process claims at once for itself: its first attempt is due only at
  // leased_until, so claim_due (serve's) leaves it alone while the recorder works on it, and takes it over if the
  // recorder dies. The recorder takes it with claim_leased.
  RecordOutcome record(const IntakeEvent& event, const std::string& leased_until);

  // Up to limit pending events with next_attempt_at <= now, oldest (lowest seq) first. Marks nothing: there is
  // one claimer, and grouping by patient is the caller's. Empty also when the query failed (logged).
  std::vector<StoredEvent> claim_due(const std::string& now_iso, std::size_t limit);

  // For a claimer beside serve (backfill): atomically takes up to `limit` pending events of `source` and extends
  // their lease to leased_until (the new next_attempt_at), returning them in intake order. It takes
  //   - its own run's events (version_id == run_version) whose next_attempt_at <= leased_until: a retry of its own
  //     is stored one lease later than its backoff (Pipeline::process's hold), so the run takes it when the
  //     backoff ends while claim_due only sees it a lease later: the run has that head start over serve;
  //   - any event of `source` whose next_attempt_at <= now: one whose claimer died and whose lease ran out.
  // One UPDATE ... RETURNING: of two processes claiming the same event, only one gets it. Empty also when the
  // update failed (logged).
  std::vector<StoredEvent> claim_leased(IntakeSource source, const std::string& run_version,
                                        const std::string& now_iso, const std::string& leased_until,
                                        std::size_t limit);

  // Keeps the run's pending events (version_id == run_version) leased: moves next_attempt_at up to leased_until
  // where it is earlier. Which of them claim_leased takes at a given time does not change; claim_due sees none of
  // them before leased_until. false when the update failed (logged).
  bool renew_lease(IntakeSource source, const std::string& run_version, const std::string& leased_until);

  // Transitions out of pending; each counts one attempt. false when the event is unknown, not pending, or the
  // update failed (logged): the event then stays pending and will be claimed again.
  bool mark_done(std::int64_t seq);
  bool mark_retry(std::int64_t seq, const std::string& next_attempt_at, const std::string& error);
  bool mark_failed(std::int64_t seq, const std::string& error);
  // Pending again at next_attempt_at without counting an attempt: the FHIR server was unavailable, which is not
  // the event's doing (its attempts are kept for failures that may be).
  bool mark_waiting(std::int64_t seq, const std::string& next_attempt_at, const std::string& error);
  bool mark_dead(std::int64_t seq, const std::string& error);

  // mark_done for a caller that holds the connection's mutex and has begun a transaction (StateStore::complete,
  // which settles events and queues their alerts in one commit).
  bool mark_done_locked(std::int64_t seq);

  // Re-drive: sets every dead event (and every failed one when include_failed) received at or after since_iso
  // ("" for all) back to pending with 0 attempts, due at now_iso. Returns how many, or nullopt when the update
  // failed (logged). Safe while serve runs on the same file: its pipeline claims them like any pending event.
  std::optional<std::int64_t> redrive(const std::string& now_iso, const std::string& since_iso,
                                      bool include_failed);

  // Retention: deletes up to `batch` done and failed events settled before settled_before, returning how many,
  // or nullopt when the delete failed (logged). Pending and dead events are never deleted. Batches keep each
  // write short, so that the intake waits for none of them long (StateStore::prune loops).
  std::optional<std::int64_t> prune_settled(const std::string& settled_before, std::size_t batch);

  std::optional<StoredEvent> find(std::int64_t seq);
  // Every event about one resource, in intake order (for operators: "what happened to Observation/123?").
  std::vector<StoredEvent> events_of(const std::string& resource_type, const std::string& resource_id);
  EventCounts counts();

 private:
  bool mark(std::int64_t seq, EventState state, const std::string& next_attempt_at, const std::string& error,
            std::string_view operation, bool attempt = true);
  bool mark_locked(std::int64_t seq, EventState state, const std::string& next_attempt_at,
                   const std::string& error, std::string_view operation, bool attempt = true);
};

}  // namespace gg::gateway
