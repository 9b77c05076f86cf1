#include "gateway/store/event_queue.hpp"

#include <algorithm>

#include "gateway/store/connection.hpp"
#include "gateway/store/part_impl.hpp"
#include "gateway/store/sqlite.hpp"

namespace gg::gateway {
namespace {

constexpr const char* kEventColumns =
    "seq, resource_type, resource_id, version_id, patient, source, received_at, payload, state, attempts, "
    "next_attempt_at, last_error, settled_at, traceparent, payload_trusted";

StoredEvent read_event(const sqlite::Statement& row) {
  StoredEvent event;
  event.seq = row.column_int64(0);
  event.resource_type = row.column_text(1);
  event.resource_id = row.column_text(2);
  event.version_id = row.column_text(3);
  event.patient = row.column_text(4);
  // The CHECK constraints admit only the spellings of the enum tables.
  event.source = intake_source_from_string(row.column_text(5)).value_or(IntakeSource::rest_hook);
  event.received_at = row.column_text(6);
  event.payload = row.column_text(7);
  event.state = event_state_from_string(row.column_text(8)).value_or(EventState::pending);
  event.attempts = row.column_int64(9);
  event.next_attempt_at = row.column_text(10);
  event.last_error = row.column_text(11);
  event.settled_at = row.column_text(12);
  event.traceparent = row.column_text(13);
  event.payload_trusted = row.column_int64(14) != 0;
  return event;
}

}  // namespace

struct store::EventQueueStatements {
  sqlite::Statement begin, commit, rollback;
  sqlite::Statement forget_processed_unversioned, insert_event, find_duplicate, revive_dead;
  sqlite::Statement claim_due, claim_leased, renew_lease, mark, find_event, find_events_of, counts;
  sqlite::Statement redrive, prune_settled;

  sqlite::Status prepare(sqlite::Database& db) {
    const std::string columns = kEventColumns;
    return sqlite::prepare_all(
        db,
        {{&begin, "BEGIN IMMEDIATE"},
         {&commit, "COMMIT"},
         {&rollback, "ROLLBACK"},
         {&forget_processed_unversioned,
          "DELETE FROM event WHERE resource_type = ?1 AND resource_id = ?2 AND version_id = '' "
          "AND state <> 'pending'"},
         {&insert_event,
          "INSERT INTO event (resource_type, resource_id, version_id, patient, source, received_at, payload, "
          "next_attempt_at, traceparent, payload_trusted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, ?6), "
          "?9, ?10) "
          "ON CONFLICT (resource_type, resource_id, version_id) DO NOTHING RETURNING seq"},
         {&find_duplicate,
          "SELECT seq FROM event WHERE resource_type = ?1 AND resource_id = ?2 AND version_id = ?3"},
         // A dead event recorded again is due again, from the start (EventQueue::record). The new payload
         // replaces the stored one only when it carries one (the same version: the same resource).
         {&revive_dead,
          "UPDATE event SET state = 'pending', attempts = 0, next_attempt_at = coalesce(?3, ?2), "
          "payload_trusted = CASE WHEN ?4 <> '' THEN ?6 ELSE payload_trusted END, "
          "payload = CASE WHEN ?4 <> '' THEN ?4 ELSE payload END, "
          "traceparent = CASE WHEN ?5 <> '' THEN ?5 ELSE traceparent END "
          "WHERE seq = ?1 AND state = 'dead'"},
         {&claim_due, "SELECT " + columns +
                          " FROM event WHERE state = 'pending' AND next_attempt_at <= ?1 "
                          "ORDER BY seq LIMIT ?2"},
         // One statement, so that of two processes claiming the same event only one sees it still due.
         {&claim_leased,
          "UPDATE event SET next_attempt_at = ?4 WHERE seq IN (SELECT seq FROM event "
          "WHERE state = 'pending' AND source = ?1 AND (next_attempt_at <= ?2 OR "
          "(version_id = ?3 AND next_attempt_at <= ?4)) ORDER BY seq LIMIT ?5) "
          "RETURNING " +
              columns},
         {&renew_lease,
          "UPDATE event SET next_attempt_at = ?3 WHERE state = 'pending' AND source = ?1 "
          "AND version_id = ?2 AND next_attempt_at < ?3"},
         // ?3 is left unbound (NULL) by the final transitions, which keep next_attempt_at.
         {&mark,
          "UPDATE event SET state = ?2, attempts = attempts + ?5, "
          "next_attempt_at = coalesce(?3, next_attempt_at), last_error = ?4 "
          "WHERE seq = ?1 AND state = 'pending'"},
         {&find_event, "SELECT " + columns + " FROM event WHERE seq = ?1"},
         {&find_events_of,
          "SELECT " + columns + " FROM event WHERE resource_type = ?1 AND resource_id = ?2 ORDER BY seq"},
         {&counts, "SELECT state, count(*), min(received_at) FROM event GROUP BY state"},
         // last_error is kept: it says why the event stopped, until the next attempt says otherwise.
         {&redrive,
          "UPDATE event SET state = 'pending', attempts = 0, next_attempt_at = ?1 "
          "WHERE (state = 'dead' OR (?2 = 1 AND state = 'failed')) AND received_at >= ?3"},
         // Dead events are never pruned: each is work that did not finish, kept until it is re-driven (and
         // then settles afresh) or an operator deletes it. Pending ones are work to do.
         {&prune_settled,
          "DELETE FROM event WHERE seq IN (SELECT seq FROM event WHERE state IN ('done', 'failed') "
          "AND settled_at < ?1 LIMIT ?2)"}});
  }
};

template class store::Part<store::EventQueueStatements>;

RecordOutcome EventQueue::record(const IntakeEvent& event) {
  return record(event, {});
}

RecordOutcome EventQueue::record(const IntakeEvent& event, const std::string& leased_until) {
  const std::lock_guard lock(connection_.mutex);
  auto& db = *connection_.db;
  auto& s = *statements_;
  RecordOutcome outcome;

  const auto fail = [&] {
    outcome = RecordOutcome{RecordOutcome::Kind::failed, 0, db.last_error()};
    if (sqlite3_get_autocommit(db.handle()) == 0) {
      const sqlite::Statement::Use use(s.rollback);
      s.rollback.step();
    }
    store::log_failure("record_event", outcome.error);
    return outcome;
  };

  {
    const sqlite::Statement::Use use(s.begin);
    if (s.begin.step() != SQLITE_DONE) return fail();
  }
  if (event.version_id.empty()) {
    const sqlite::Statement::Use use(s.forget_processed_unversioned);
    if (s.forget_processed_unversioned.bind(1, event.resource_type) != SQLITE_OK ||
        s.forget_processed_unversioned.bind(2, event.resource_id) != SQLITE_OK ||
        s.forget_processed_unversioned.step() != SQLITE_DONE) {
      return fail();
    }
  }
  {
    const sqlite::Statement::Use use(s.insert_event);
    auto& insert = s.insert_event;
    if (insert.bind(1, event.resource_type) != SQLITE_OK || insert.bind(2, event.resource_id) != SQLITE_OK ||
        insert.bind(3, event.version_id) != SQLITE_OK || insert.bind(4, event.patient) != SQLITE_OK ||
        insert.bind(5, to_string(event.source)) != SQLITE_OK || insert.bind(6, event.received_at) != SQLITE_OK ||
        insert.bind(7, event.payload) != SQLITE_OK || insert.bind(9, event.traceparent) != SQLITE_OK ||
        insert.bind(10, static_cast<std::int64_t>(event.payload_trusted ? 1 : 0)) != SQLITE_OK ||
        (!leased_until.empty() && insert.bind(8, leased_until) != SQLITE_OK)) {
      return fail();
    }
    const int rc = insert.step();
    if (rc == SQLITE_ROW) {
      outcome = RecordOutcome{RecordOutcome::Kind::inserted, insert.column_int64(0), {}};
      if (insert.step() != SQLITE_DONE) return fail();
    } else if (rc != SQLITE_DONE) {
      return fail();
    }
  }
  if (outcome.kind != RecordOutcome::Kind::inserted) {
    const sqlite::Statement::Use use(s.find_duplicate);
    auto& find = s.find_duplicate;
    if (find.bind(1, event.resource_type) != SQLITE_OK || find.bind(2, event.resource_id) != SQLITE_OK ||
        find.bind(3, event.version_id) != SQLITE_OK || find.step() != SQLITE_ROW) {
      return fail();
    }
    outcome = RecordOutcome{RecordOutcome::Kind::duplicate, find.column_int64(0), {}};
  }
  if (outcome.kind == RecordOutcome::Kind::duplicate) {
    // Reconcile never hides an event that did not finish: a dead event seen again (the polling transport's
    // search, a redelivered notification) is pending again, with its attempts from 0.
    const sqlite::Statement::Use use(s.revive_dead);
    auto& revive = s.revive_dead;
    if (revive.bind(1, outcome.seq) != SQLITE_OK || revive.bind(2, event.received_at) != SQLITE_OK ||
        (!leased_until.empty() && revive.bind(3, leased_until) != SQLITE_OK) ||
        revive.bind(4, event.payload) != SQLITE_OK || revive.bind(5, event.traceparent) != SQLITE_OK ||
        revive.bind(6, static_cast<std::int64_t>(event.payload_trusted ? 1 : 0)) != SQLITE_OK ||
        revive.step() != SQLITE_DONE) {
      return fail();
    }
    if (db.changes() == 1) {
      outcome.kind = RecordOutcome::Kind::inserted;
      outcome.revived = true;
    }
  }
  {
    // The acknowledgement rests on this commit: with synchronous=FULL it has reached the disk when it returns.
    const sqlite::Statement::Use use(s.commit);
    if (s.commit.step() != SQLITE_DONE) return fail();
  }
  return outcome;
}

std::vector<StoredEvent> EventQueue::claim_due(const std::string& now_iso, std::size_t limit) {
  const std::lock_guard lock(connection_.mutex);
  auto& claim = statements_->claim_due;
  const sqlite::Statement::Use use(claim);
  std::vector<StoredEvent> events;
  claim.bind(1, now_iso);
  claim.bind(2, static_cast<std::int64_t>(limit));
  int rc = SQLITE_ROW;
  while ((rc = claim.step()) == SQLITE_ROW) events.push_back(read_event(claim));
  if (rc != SQLITE_DONE) {
    store::log_failure("claim_due", connection_.db->last_error());
    return {};
  }
  return events;
}

std::vector<StoredEvent> EventQueue::claim_leased(IntakeSource source, const std::string& run_version,
                                                  const std::string& now_iso, const std::string& leased_until,
                                                  std::size_t limit) {
  const std::lock_guard lock(connection_.mutex);
  auto& claim = statements_->claim_leased;
  const sqlite::Statement::Use use(claim);
  std::vector<StoredEvent> events;
  claim.bind(1, to_string(source));
  claim.bind(2, now_iso);
  claim.bind(3, run_version);
  claim.bind(4, leased_until);
  claim.bind(5, static_cast<std::int64_t>(limit));
  int rc = SQLITE_ROW;
  while ((rc = claim.step()) == SQLITE_ROW) events.push_back(read_event(claim));
  if (rc != SQLITE_DONE) {
    store::log_failure("claim_leased", connection_.db->last_error());
    return {};
  }
  // RETURNING gives rows in no promised order; intake order is the pipeline's.
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  return events;
}

bool EventQueue::renew_lease(IntakeSource source, const std::string& run_version,
                             const std::string& leased_until) {
  const std::lock_guard lock(connection_.mutex);
  auto& renew = statements_->renew_lease;
  const sqlite::Statement::Use use(renew);
  renew.bind(1, to_string(source));
  renew.bind(2, run_version);
  renew.bind(3, leased_until);
  if (renew.step() != SQLITE_DONE) {
    store::log_failure("renew_lease", connection_.db->last_error());
    return false;
  }
  return true;
}

bool EventQueue::mark(std::int64_t seq, EventState state, const std::string& next_attempt_at,
                      const std::string& error, std::string_view operation, bool attempt) {
  const std::lock_guard lock(connection_.mutex);
  return mark_locked(seq, state, next_attempt_at, error, operation, attempt);
}

bool EventQueue::mark_locked(std::int64_t seq, EventState state, const std::string& next_attempt_at,
                             const std::string& error, std::string_view operation, bool attempt) {
  auto& mark = statements_->mark;
  const sqlite::Statement::Use use(mark);
  mark.bind(1, seq);
  mark.bind(2, to_string(state));
  if (!next_attempt_at.empty()) mark.bind(3, next_attempt_at);
  mark.bind(4, error);
  mark.bind(5, static_cast<std::int64_t>(attempt ? 1 : 0));
  if (mark.step() != SQLITE_DONE) {
    store::log_failure(operation, connection_.db->last_error());
    return false;
  }
  return connection_.db->changes() == 1;
}

bool EventQueue::mark_done(std::int64_t seq) {
  return mark(seq, EventState::done, {}, {}, "mark_done");
}

bool EventQueue::mark_done_locked(std::int64_t seq) {
  return mark_locked(seq, EventState::done, {}, {}, "mark_done");
}

bool EventQueue::mark_retry(std::int64_t seq, const std::string& next_attempt_at, const std::string& error) {
  return mark(seq, EventState::pending, next_attempt_at, error, "mark_retry");
}

bool EventQueue::mark_waiting(std::int64_t seq, const std::string& next_attempt_at, const std::string& error) {
  return mark(seq, EventState::pending, next_attempt_at, error, "mark_waiting", false);
}

bool EventQueue::mark_failed(std::int64_t seq, const std::string& error) {
  return mark(seq, EventState::failed, {}, error, "mark_failed");
}

bool EventQueue::mark_dead(std::int64_t seq, const std::string& error) {
  return mark(seq, EventState::dead, {}, error, "mark_dead");
}

std::vector<StoredEvent> EventQueue::events_of(const std::string& resource_type, const std::string& resource_id) {
  const std::lock_guard lock(connection_.mutex);
  auto& find = statements_->find_events_of;
  const sqlite::Statement::Use use(find);
  find.bind(1, resource_type);
  find.bind(2, resource_id);
  std::vector<StoredEvent> events;
  int rc = SQLITE_ROW;
  while ((rc = find.step()) == SQLITE_ROW) events.push_back(read_event(find));
  if (rc != SQLITE_DONE) store::log_failure("events_of", connection_.db->last_error());
  return events;
}

std::optional<StoredEvent> EventQueue::find(std::int64_t seq) {
  const std::lock_guard lock(connection_.mutex);
  auto& find = statements_->find_event;
  const sqlite::Statement::Use use(find);
  find.bind(1, seq);
  const int rc = find.step();
  if (rc == SQLITE_ROW) return read_event(find);
  if (rc != SQLITE_DONE) store::log_failure("find_event", connection_.db->last_error());
  return std::nullopt;
}

std::optional<std::int64_t> EventQueue::redrive(const std::string& now_iso, const std::string& since_iso,
                                                bool include_failed) {
  const std::lock_guard lock(connection_.mutex);
  auto& redrive = statements_->redrive;
  const sqlite::Statement::Use use(redrive);
  redrive.bind(1, now_iso);
  redrive.bind(2, std::int64_t{include_failed ? 1 : 0});
  redrive.bind(3, since_iso);
  if (redrive.step() != SQLITE_DONE) {
    store::log_failure("redrive", connection_.db->last_error());
    return std::nullopt;
  }
  return connection_.db->changes();
}

std::optional<std::int64_t> EventQueue::prune_settled(const std::string& settled_before, std::size_t batch) {
  const std::lock_guard lock(connection_.mutex);
  auto& prune = statements_->prune_settled;
  const sqlite::Statement::Use use(prune);
  prune.bind(1, settled_before);
  prune.bind(2, static_cast<std::int64_t>(batch));
  if (prune.step() != SQLITE_DONE) {
    store::log_failure("prune_events", connection_.db->last_error());
    return std::nullopt;
  }
  return connection_.db->changes();
}

EventCounts EventQueue::counts() {
  const std::lock_guard lock(connection_.mutex);
  auto& query = statements_->counts;
  const sqlite::Statement::Use use(query);
  EventCounts counts;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) {
    const std::int64_t n = query.column_int64(1);
    switch (event_state_from_string(query.column_text(0)).value_or(EventState::pending)) {
      case EventState::pending:
        counts.pending = n;
        counts.oldest_pending_received_at = query.column_text(2);
        break;
      case EventState::done:
        counts.done = n;
        break;
      case EventState::failed:
        counts.failed = n;
        break;
      case EventState::dead:
        counts.dead = n;
        break;
    }
  }
  if (rc != SQLITE_DONE) store::log_failure("counts", connection_.db->last_error());
  return counts;
}

}  // namespace gg::gateway
