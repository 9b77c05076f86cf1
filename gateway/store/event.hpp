// The intake vocabulary shared by the transports, the event queue and the pipeline: what an event is, the
// transport it came by, the state it is in, and what storing it gave.
//
// Timestamps are ISO 8601 UTC text given by the caller, all in one fixed format (e.g. "2024-05-01T12:00:00Z"):
// they are compared as text, which orders them correctly only when they share a format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gg::gateway {

// The store's instant text (format_instant) of an ISO 8601 / FHIR dateTime with time and zone
// ("2026-11-25T08:00:00+01:00"), or of a full date ("2026-11-25": its start in UTC); nullopt for anything else.
// For the "since" of a re-drive, typed by an operator and compared as text with received_at.
std::optional<std::string> instant_text(std::string_view text);

// The transport an event came in by.
enum class IntakeSource { rest_hook, poll, websocket, backfill, analyze };
std::string_view to_string(IntakeSource source);  // "rest-hook" | "poll" | "websocket" | "backfill" | "analyze"
std::optional<IntakeSource> intake_source_from_string(std::string_view text);

// pending: to be processed (possibly after a failed attempt); done: processed; failed: processed and rejected
// (bad data, retrying will not help); dead: given up after repeated transient failures.
enum class EventState { pending, done, failed, dead };
std::string_view to_string(EventState state);  // "pending" | "done" | "failed" | "dead"
std::optional<EventState> event_state_from_string(std::string_view text);

// "Resource type/id changed to version": what every transport produces. The transport decodes the resource once
// and fills every field it can, so nothing downstream has to decode the payload to find them again.
struct IntakeEvent {
  std::string resource_type;  // "Observation"
  std::string resource_id;
  std::string version_id;  // "" when the transport does not say (then see EventQueue::record)
  std::string patient;     // the subject, "Patient/123", or "" when the resource has none or it is not known yet
  IntakeSource source = IntakeSource::rest_hook;
  std::string received_at;  // ISO 8601 UTC; the event is due at once
  std::string payload;      // the resource JSON as received (its raw bytes), or ""
  std::string traceparent;  // W3C traceparent of the request it came by or of the trace started for it, or ""
  // The payload came from a sender the gateway authenticated by its TLS client certificate and is configured to
  // trust (subscription.trust_authenticated_payload): the pipeline analyses it instead of reading the result.
  bool payload_trusted = false;
};

// The version_id a transport records a delete under (a DELETE notification names no version): repeated deletes of
// one resource collapse into one event, and the patient is unknown, so the pipeline settles it as done.
inline constexpr std::string_view kDeletedVersion = "deleted";

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
  std::string settled_at;   // when it became done, failed or dead; "" while pending
  std::string traceparent;  // as IntakeEvent's
  bool payload_trusted = false;
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
  bool revived = false;  // inserted by setting an earlier dead event of the same version pending again

  [[nodiscard]] bool stored() const { return kind != Kind::failed; }
};

struct EventCounts {
  std::int64_t pending = 0;
  std::int64_t done = 0;
  std::int64_t failed = 0;
  std::int64_t dead = 0;
  std::string oldest_pending_received_at;  // ISO 8601 UTC of the oldest pending event; empty with none pending
};

}  // namespace gg::gateway
