// The gateway's durable state in one embedded SQLite database (WAL, synchronous=FULL): the owner of the
// connection, composing its parts, each in its own file:
//   - schema.hpp: connection settings and migrations (PRAGMA user_version);
//   - event_queue.hpp: the durable intake (record, claim, settle) (ARCHITECTURE.md, step 2);
//   - rejection_log.hpp: hormone results that could not be used;
//   - cursors.hpp: ingress cursors and the ids of the Subscriptions we created;
//   - alert_outbox.hpp: alert subscriptions, alerts, their delivery queues and attempts.
// Callers may use the parts (events(), rejection_log(), cursors()) or the forwarding methods below, which keep the
// store's original API.
//
// Thread-safe: the parts share one connection and one mutex around it. Payloads are patient data: they are
// stored, never logged. ":memory:" gives a private in-memory store (for tests): everything works the same, and it
// is gone when the store is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/store/alert_outbox.hpp"
#include "gateway/store/cursors.hpp"
#include "gateway/store/event.hpp"
#include "gateway/store/event_queue.hpp"
#include "gateway/store/rejection_log.hpp"
#include "gateway/store/schema.hpp"

namespace gg::gateway {

class StateStore {
 public:
  // The schema version this program writes (PRAGMA user_version); older databases are migrated on open.
  static constexpr int kSchemaVersion = store::kSchemaVersion;

  // Opens or creates the database at path (":memory:" for a private in-memory one), sets WAL and synchronous=FULL,
  // and migrates the schema; or why not (unwritable or read-only path, not a database, schema newer than this
  // program), naming the path.
  static sqlite::Result<std::unique_ptr<StateStore>> open(const std::string& path);

  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  EventQueue& events() { return *events_; }
  RejectionLog& rejection_log() { return *rejection_log_; }
  Cursors& cursors() { return *cursors_; }
  AlertOutbox& alerts() { return *alerts_; }

  // Settles a patient's events as done and queues the alerts their analysis raised, in one transaction: both
  // are committed or neither (a crash in between loses no alert and, the events coming back, the alerts are
  // keyed so none is queued twice). Returns how many events it marked done and how many alerts were new, or
  // nullopt when nothing was committed (logged; the events stay pending and come back).
  struct Completed {
    std::size_t events_done = 0;
    std::size_t alerts_queued = 0;
  };
  std::optional<Completed> complete(const std::vector<std::int64_t>& done, const std::vector<NewAlert>& alerts,
                                    const std::string& now_iso);

  // Retention (state.retention_days): deletes the done and failed events settled before `before` and the
  // rejections recorded before it, in short batches, so that the intake never waits long. Pending and dead events
  // stay (EventQueue::prune_settled). Returns how many of each, or nullopt when a delete failed (logged; what was
  // deleted before it stays deleted).
  struct Pruned {
    std::int64_t events = 0;
    std::int64_t rejections = 0;
  };
  std::optional<Pruned> prune(const std::string& before);

  // The database answers queries and carries our schema version (for /readyz).
  bool healthy();

  // The original API, forwarding to the parts (see them for the contracts).
  RecordOutcome record_event(const IntakeEvent& event) { return events_->record(event); }
  std::vector<StoredEvent> claim_due(const std::string& now_iso, std::size_t limit) {
    return events_->claim_due(now_iso, limit);
  }
  bool mark_done(std::int64_t seq) { return events_->mark_done(seq); }
  bool mark_retry(std::int64_t seq, const std::string& next_attempt_at, const std::string& error) {
    return events_->mark_retry(seq, next_attempt_at, error);
  }
  bool mark_failed(std::int64_t seq, const std::string& error) { return events_->mark_failed(seq, error); }
  bool mark_dead(std::int64_t seq, const std::string& error) { return events_->mark_dead(seq, error); }
  bool mark_waiting(std::int64_t seq, const std::string& next_attempt_at, const std::string& error) {
    return events_->mark_waiting(seq, next_attempt_at, error);
  }
  std::optional<StoredEvent> find_event(std::int64_t seq) { return events_->find(seq); }
  std::vector<StoredEvent> events_of(const std::string& resource_type, const std::string& resource_id) {
    return events_->events_of(resource_type, resource_id);
  }
  EventCounts counts() { return events_->counts(); }

  bool record_rejection(const StoredRejection& rejection) { return rejection_log_->record(rejection); }
  std::vector<StoredRejection> rejections(const std::string& observation, std::size_t limit) {
    return rejection_log_->recent(observation, limit);
  }

  std::optional<std::string> cursor(const std::string& name) { return cursors_->cursor(name); }
  bool set_cursor(const std::string& name, const std::string& value) { return cursors_->set_cursor(name, value); }
  std::optional<std::string> subscription_id(const std::string& name) { return cursors_->subscription_id(name); }
  bool set_subscription_id(const std::string& name, const std::string& server_id) {
    return cursors_->set_subscription_id(name, server_id);
  }

 private:
  StateStore();

  // Declared first, destroyed last: every part finalizes its statements before the connection closes, so the
  // close releases the file.
  std::unique_ptr<store::Connection> connection_;
  std::unique_ptr<store::SchemaCheck> schema_;
  std::unique_ptr<EventQueue> events_;
  std::unique_ptr<RejectionLog> rejection_log_;
  std::unique_ptr<Cursors> cursors_;
  std::unique_ptr<AlertOutbox> alerts_;
};

}  // namespace gg::gateway
