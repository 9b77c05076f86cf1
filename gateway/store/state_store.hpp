// The durable intake: every notification becomes an event row in an embedded SQLite database (WAL,
// synchronous=FULL) before it is acknowledged, so a crash after the 200 loses nothing (ARCHITECTURE.md, step 2).
// Also holds the small durable state of the ingress paths: cursors (e.g. the last _lastUpdated seen by polling)
// and the server ids of the Subscriptions we created.
//
// Timestamps are ISO 8601 UTC text given by the caller, all in one fixed format (e.g. "2024-05-01T12:00:00Z"):
// they are compared as text, which orders them correctly only when they share a format.
//
// Thread-safe: every method takes one mutex around the connection. Payloads are patient data: they are stored,
// never logged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gg::gateway {

namespace sqlite {
class Database;
}

// The transport an event came in by.
enum class IntakeSource { rest_hook, poll, websocket, backfill, analyze };
std::string_view to_string(IntakeSource source);  // "rest-hook" | "poll" | "websocket" | "backfill" | "analyze"

// pending: to be processed (possibly after a failed attempt); done: processed; failed: processed and rejected
// (bad data, retrying will not help); dead: given up after repeated transient failures.
enum class EventState { pending, done, failed, dead };
std::string_view to_string(EventState state);

// "Resource type/id changed to version": what every transport produces.
struct IntakeEvent {
  std::string resource_type;  // "Observation"
  std::string resource_id;
  std::string version_id;  // "" when the transport does not say (then see StateStore::record_event)
  std::string patient;     // "Patient/123", or "" when not known yet
  IntakeSource source = IntakeSource::rest_hook;
  std::string received_at;  // ISO 8601 UTC; the event is due at once
  std::string payload;      // the resource JSON as received, or ""
};

struct StoredEvent {
  std::int64_t seq = 0;  // intake order
  std::string resource_type;
  std::string resource_id;
  std::string version_id;
  std::string patient;
  IntakeSource source = IntakeSource::rest_hook;
  std::string received_at;
  std::string payload;
  EventState state = EventState::pending;
  std::int64_t attempts = 0;  // processing attempts finished so far
  std::string next_attempt_at;
  std::string last_error;
};

struct RecordOutcome {
  enum class Kind {
    inserted,   // stored: safe to acknowledge
    duplicate,  // already stored (same type, id and version): safe to acknowledge, nothing new to do
    failed,     // not stored: do not acknowledge (answer 503 so the sender retries)
  };
  Kind kind = Kind::failed;
  std::int64_t seq = 0;  // the event's seq (the earlier one's for a duplicate); 0 when failed
  std::string error;     // SQLite's message when failed; names tables and columns, never values

  [[nodiscard]] bool stored() const { return kind != Kind::failed; }
};

// A hormone result that could not be used, as its OperationOutcome (no values in it), kept for operators.
struct StoredRejection {
  std::string observation;  // "Observation/123"
  std::string version_id;
  std::string patient;      // "Patient/7" or ""
  std::string analyte;      // catalogue id, "" when unknown
  std::string reasons;      // "incompatible-unit,missing-effective-time"
  std::string outcome;      // the OperationOutcome JSON
  std::string recorded_at;  // ISO 8601 UTC, first time it was seen
};

struct EventCounts {
  std::int64_t pending = 0;
  std::int64_t done = 0;
  std::int64_t failed = 0;
  std::int64_t dead = 0;
};

class StateStore {
 public:
  // The schema version this program writes (PRAGMA user_version); older databases are migrated on open.
  static constexpr int kSchemaVersion = 2;

  // Opens or creates the database at path (":memory:" for a private in-memory one), sets WAL and synchronous=FULL,
  // and migrates the schema. On failure (unwritable or read-only path, not a database, schema newer than this
  // program) returns nullptr and sets error.
  static std::unique_ptr<StateStore> open(const std::string& path, std::string& error);

  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Stores the event, durably, before returning inserted. The same (type, id, version) again is a duplicate.
  // An event without a version collapses with an earlier one only while that one is still pending: once it was
  // processed, a later "changed" without a version may be a new change (or a delete), so it is stored afresh.
  RecordOutcome record_event(const IntakeEvent& event);

  // Up to limit pending events with next_attempt_at <= now, oldest (lowest seq) first. Marks nothing: there is
  // one claimer, and grouping by patient is the caller's. Empty also when the query failed (logged).
  std::vector<StoredEvent> claim_due(const std::string& now_iso, std::size_t limit);

  // Transitions out of pending; each counts one attempt. false when the event is unknown, not pending, or the
  // update failed (logged): the event then stays pending and will be claimed again.
  bool mark_done(std::int64_t seq);
  bool mark_retry(std::int64_t seq, const std::string& next_attempt_at, const std::string& error);
  bool mark_failed(std::int64_t seq, const std::string& error);
  bool mark_dead(std::int64_t seq, const std::string& error);

  std::optional<StoredEvent> find_event(std::int64_t seq);
  // Every event about one resource, in intake order (for operators: "what happened to Observation/123?").
  std::vector<StoredEvent> events_of(const std::string& resource_type, const std::string& resource_id);
  EventCounts counts();

  // Keeps a rejection once per Observation version: true when it was new (count it, log it), false when it was
  // known already or the insert failed (logged).
  bool record_rejection(const StoredRejection& rejection);
  // The most recent rejections first; for one Observation ("Observation/123") when observation is not empty.
  std::vector<StoredRejection> rejections(const std::string& observation, std::size_t limit);

  std::optional<std::string> cursor(const std::string& name);
  bool set_cursor(const std::string& name, const std::string& value);

  // The server-assigned id of the Subscription we created under a configured name.
  std::optional<std::string> subscription_id(const std::string& name);
  bool set_subscription_id(const std::string& name, const std::string& server_id);

  // The database answers queries and carries our schema version (for /readyz).
  bool healthy();

 private:
  struct Statements;
  StateStore(std::unique_ptr<sqlite::Database> db, std::unique_ptr<Statements> statements);
  bool mark(std::int64_t seq, EventState state, const std::string& next_attempt_at, const std::string& error,
            std::string_view operation);

  std::mutex connection_mutex_;  // guards: db_ and every prepared statement in statements_
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<Statements> statements_;
};

}  // namespace gg::gateway
