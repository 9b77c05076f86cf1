#include "gateway/store/state_store.hpp"

#include <array>
#include <utility>

#include "gateway/store/sqlite.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

// Waiting for another connection's lock (a CLI reading the same file) before giving up with SQLITE_BUSY.
constexpr int kBusyTimeoutMs = 5000;

// migrations[n] takes the schema from user_version n to n + 1. Append; never edit a released step.
constexpr std::array<const char*, StateStore::kSchemaVersion> kMigrations = {
    // 0 -> 1
    R"sql(
      CREATE TABLE event (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        resource_type   TEXT NOT NULL,
        resource_id     TEXT NOT NULL,
        version_id      TEXT NOT NULL DEFAULT '',
        patient         TEXT NOT NULL DEFAULT '',
        source          TEXT NOT NULL
                        CHECK (source IN ('rest-hook', 'poll', 'websocket', 'backfill', 'analyze')),
        received_at     TEXT NOT NULL,
        payload         TEXT NOT NULL DEFAULT '',
        state           TEXT NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'done', 'failed', 'dead')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT NOT NULL DEFAULT '',
        UNIQUE (resource_type, resource_id, version_id)
      );
      -- claim_due (state = 'pending' in seq order) and counts (group by state).
      CREATE INDEX event_state_seq ON event (state, seq);
      CREATE TABLE cursor (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE subscription (name TEXT PRIMARY KEY, server_id TEXT NOT NULL);
    )sql",
    // 1 -> 2
    R"sql(
      CREATE TABLE rejection (
        observation  TEXT NOT NULL,
        version_id   TEXT NOT NULL DEFAULT '',
        patient      TEXT NOT NULL DEFAULT '',
        analyte      TEXT NOT NULL DEFAULT '',
        reasons      TEXT NOT NULL,
        outcome      TEXT NOT NULL,
        recorded_at  TEXT NOT NULL,
        PRIMARY KEY (observation, version_id)
      );
      CREATE INDEX rejection_recorded ON rejection (recorded_at);
    )sql",
};

constexpr const char* kEventColumns =
    "seq, resource_type, resource_id, version_id, patient, source, received_at, payload, state, attempts, "
    "next_attempt_at, last_error";

IntakeSource parse_source(std::string_view text) {
  // The CHECK constraint admits only these spellings.
  if (text == "poll") return IntakeSource::poll;
  if (text == "websocket") return IntakeSource::websocket;
  if (text == "backfill") return IntakeSource::backfill;
  if (text == "analyze") return IntakeSource::analyze;
  return IntakeSource::rest_hook;
}

EventState parse_state(std::string_view text) {
  if (text == "done") return EventState::done;
  if (text == "failed") return EventState::failed;
  if (text == "dead") return EventState::dead;
  return EventState::pending;
}

StoredEvent read_event(const sqlite::Statement& row) {
  StoredEvent event;
  event.seq = row.column_int64(0);
  event.resource_type = row.column_text(1);
  event.resource_id = row.column_text(2);
  event.version_id = row.column_text(3);
  event.patient = row.column_text(4);
  event.source = parse_source(row.column_text(5));
  event.received_at = row.column_text(6);
  event.payload = row.column_text(7);
  event.state = parse_state(row.column_text(8));
  event.attempts = row.column_int64(9);
  event.next_attempt_at = row.column_text(10);
  event.last_error = row.column_text(11);
  return event;
}

void log_failure(std::string_view operation, const std::string& error) {
  log(LogLevel::error, "state_store.failed", {{"operation", std::string(operation)}, {"error", error}});
}

// Reads PRAGMA user_version.
bool read_user_version(sqlite::Database& db, int& version, std::string& error) {
  sqlite::Statement statement;
  if (!statement.prepare(db, "PRAGMA user_version", error)) return false;
  if (statement.step() != SQLITE_ROW) {
    error = db.last_error();
    return false;
  }
  version = static_cast<int>(statement.column_int64(0));
  return true;
}

bool migrate(sqlite::Database& db, std::string& error) {
  // BEGIN IMMEDIATE takes the write lock first, so two processes opening a new file do not both migrate it.
  if (!db.exec("BEGIN IMMEDIATE", error)) return false;
  int version = 0;
  bool ok = read_user_version(db, version, error);
  if (ok && version > StateStore::kSchemaVersion) {
    error = "state database schema version " + std::to_string(version) + " is newer than this program's (" +
            std::to_string(StateStore::kSchemaVersion) + ")";
    ok = false;
  }
  for (int step = version; ok && step < StateStore::kSchemaVersion; ++step) {
    // user_version lives in the database header, so setting it commits or rolls back with the step.
    const std::string set_version = "PRAGMA user_version = " + std::to_string(step + 1);
    ok = db.exec(kMigrations[static_cast<std::size_t>(step)], error) && db.exec(set_version.c_str(), error);
  }
  if (ok && db.exec("COMMIT", error)) return true;
  std::string ignored;
  (void)db.exec("ROLLBACK", ignored);
  return false;
}

bool configure(sqlite::Database& db, const std::string& path, std::string& error) {
  if (sqlite3_db_readonly(db.handle(), "main") == 1) {
    error = "state database is read-only";
    return false;
  }
  sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs);
  // WAL: readers do not block the writer. A ":memory:" database answers "memory" and that is fine.
  sqlite::Statement journal;
  if (!journal.prepare(db, "PRAGMA journal_mode = WAL", error)) return false;
  if (journal.step() != SQLITE_ROW) {
    error = db.last_error();
    return false;
  }
  const std::string mode = journal.column_text(0);
  if (mode != "wal" && !(path == ":memory:" && mode == "memory")) {
    error = "state database could not switch to WAL journal mode (got '" + mode + "')";
    return false;
  }
  // FULL: in WAL mode NORMAL may lose the last commits on power loss; the intake acknowledges after commit, so
  // every commit must reach the disk (https://sqlite.org/pragma.html#pragma_synchronous).
  return db.exec("PRAGMA synchronous = FULL", error);
}

}  // namespace

std::string_view to_string(IntakeSource source) {
  switch (source) {
    case IntakeSource::rest_hook:
      return "rest-hook";
    case IntakeSource::poll:
      return "poll";
    case IntakeSource::websocket:
      return "websocket";
    case IntakeSource::backfill:
      return "backfill";
    case IntakeSource::analyze:
      return "analyze";
  }
  return "rest-hook";
}

std::string_view to_string(EventState state) {
  switch (state) {
    case EventState::pending:
      return "pending";
    case EventState::done:
      return "done";
    case EventState::failed:
      return "failed";
    case EventState::dead:
      return "dead";
  }
  return "pending";
}

struct StateStore::Statements {
  sqlite::Statement begin, commit, rollback;
  sqlite::Statement forget_processed_unversioned, insert_event, find_duplicate;
  sqlite::Statement claim_due, mark, find_event, find_events_of, counts;
  sqlite::Statement get_cursor, set_cursor, get_subscription, set_subscription;
  sqlite::Statement insert_rejection, recent_rejections, rejections_of;
  sqlite::Statement health;

  bool prepare(sqlite::Database& db, std::string& error) {
    const std::string columns = kEventColumns;
    return begin.prepare(db, "BEGIN IMMEDIATE", error) && commit.prepare(db, "COMMIT", error) &&
           rollback.prepare(db, "ROLLBACK", error) &&
           forget_processed_unversioned.prepare(
               db,
               "DELETE FROM event WHERE resource_type = ?1 AND resource_id = ?2 AND version_id = '' "
               "AND state <> 'pending'",
               error) &&
           insert_event.prepare(
               db,
               "INSERT INTO event (resource_type, resource_id, version_id, patient, source, received_at, payload, "
               "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6) "
               "ON CONFLICT (resource_type, resource_id, version_id) DO NOTHING RETURNING seq",
               error) &&
           find_duplicate.prepare(
               db, "SELECT seq FROM event WHERE resource_type = ?1 AND resource_id = ?2 AND version_id = ?3",
               error) &&
           claim_due.prepare(db,
                             "SELECT " + columns +
                                 " FROM event WHERE state = 'pending' AND next_attempt_at <= ?1 "
                                 "ORDER BY seq LIMIT ?2",
                             error) &&
           // ?3 is left unbound (NULL) by the final transitions, which keep next_attempt_at.
           mark.prepare(db,
                        "UPDATE event SET state = ?2, attempts = attempts + 1, "
                        "next_attempt_at = coalesce(?3, next_attempt_at), last_error = ?4 "
                        "WHERE seq = ?1 AND state = 'pending'",
                        error) &&
           find_event.prepare(db, "SELECT " + columns + " FROM event WHERE seq = ?1", error) &&
           find_events_of.prepare(
               db, "SELECT " + columns + " FROM event WHERE resource_type = ?1 AND resource_id = ?2 ORDER BY seq",
               error) &&
           counts.prepare(db, "SELECT state, count(*) FROM event GROUP BY state", error) &&
           get_cursor.prepare(db, "SELECT value FROM cursor WHERE name = ?1", error) &&
           set_cursor.prepare(db,
                              "INSERT INTO cursor (name, value) VALUES (?1, ?2) "
                              "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                              error) &&
           get_subscription.prepare(db, "SELECT server_id FROM subscription WHERE name = ?1", error) &&
           set_subscription.prepare(db,
                                    "INSERT INTO subscription (name, server_id) VALUES (?1, ?2) "
                                    "ON CONFLICT (name) DO UPDATE SET server_id = excluded.server_id",
                                    error) &&
           insert_rejection.prepare(db,
                                    "INSERT INTO rejection (observation, version_id, patient, analyte, reasons, "
                                    "outcome, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                                    "ON CONFLICT (observation, version_id) DO NOTHING RETURNING observation",
                                    error) &&
           recent_rejections.prepare(db,
                                     "SELECT observation, version_id, patient, analyte, reasons, outcome, "
                                     "recorded_at FROM rejection ORDER BY recorded_at DESC, rowid DESC LIMIT ?1",
                                     error) &&
           rejections_of.prepare(db,
                                 "SELECT observation, version_id, patient, analyte, reasons, outcome, recorded_at "
                                 "FROM rejection WHERE observation = ?1 ORDER BY recorded_at DESC, rowid DESC "
                                 "LIMIT ?2",
                                 error) &&
           health.prepare(db, "PRAGMA user_version", error);
  }
};

std::unique_ptr<StateStore> StateStore::open(const std::string& path, std::string& error) {
  auto db = sqlite::Database::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, error);
  if (db == nullptr) {
    error = "cannot open state database '" + path + "': " + error;
    return nullptr;
  }
  auto statements = std::make_unique<Statements>();
  if (!configure(*db, path, error) || !migrate(*db, error) || !statements->prepare(*db, error)) {
    error = "cannot open state database '" + path + "': " + error;
    return nullptr;
  }
  return std::unique_ptr<StateStore>(new StateStore(std::move(db), std::move(statements)));
}

StateStore::StateStore(std::unique_ptr<sqlite::Database> db, std::unique_ptr<Statements> statements)
    : db_(std::move(db)), statements_(std::move(statements)) {}

// Statements are finalized before the connection closes (member order), so the close releases the file.
StateStore::~StateStore() {
  statements_.reset();
}

RecordOutcome StateStore::record_event(const IntakeEvent& event) {
  const std::lock_guard lock(connection_mutex_);
  auto& s = *statements_;
  RecordOutcome outcome;

  const auto fail = [&] {
    outcome = RecordOutcome{RecordOutcome::Kind::failed, 0, db_->last_error()};
    if (sqlite3_get_autocommit(db_->handle()) == 0) {
      const sqlite::Statement::Use use(s.rollback);
      s.rollback.step();
    }
    log_failure("record_event", outcome.error);
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
        insert.bind(7, event.payload) != SQLITE_OK) {
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
  {
    // The acknowledgement rests on this commit: with synchronous=FULL it has reached the disk when it returns.
    const sqlite::Statement::Use use(s.commit);
    if (s.commit.step() != SQLITE_DONE) return fail();
  }
  return outcome;
}

std::vector<StoredEvent> StateStore::claim_due(const std::string& now_iso, std::size_t limit) {
  const std::lock_guard lock(connection_mutex_);
  auto& claim = statements_->claim_due;
  const sqlite::Statement::Use use(claim);
  std::vector<StoredEvent> events;
  claim.bind(1, now_iso);
  claim.bind(2, static_cast<std::int64_t>(limit));
  int rc = SQLITE_ROW;
  while ((rc = claim.step()) == SQLITE_ROW) events.push_back(read_event(claim));
  if (rc != SQLITE_DONE) {
    log_failure("claim_due", db_->last_error());
    return {};
  }
  return events;
}

bool StateStore::mark(std::int64_t seq, EventState state, const std::string& next_attempt_at,
                      const std::string& error, std::string_view operation) {
  const std::lock_guard lock(connection_mutex_);
  auto& mark = statements_->mark;
  const sqlite::Statement::Use use(mark);
  mark.bind(1, seq);
  mark.bind(2, to_string(state));
  if (!next_attempt_at.empty()) mark.bind(3, next_attempt_at);
  mark.bind(4, error);
  if (mark.step() != SQLITE_DONE) {
    log_failure(operation, db_->last_error());
    return false;
  }
  return db_->changes() == 1;
}

bool StateStore::mark_done(std::int64_t seq) {
  return mark(seq, EventState::done, {}, {}, "mark_done");
}

bool StateStore::mark_retry(std::int64_t seq, const std::string& next_attempt_at, const std::string& error) {
  return mark(seq, EventState::pending, next_attempt_at, error, "mark_retry");
}

bool StateStore::mark_failed(std::int64_t seq, const std::string& error) {
  return mark(seq, EventState::failed, {}, error, "mark_failed");
}

bool StateStore::mark_dead(std::int64_t seq, const std::string& error) {
  return mark(seq, EventState::dead, {}, error, "mark_dead");
}

std::vector<StoredEvent> StateStore::events_of(const std::string& resource_type, const std::string& resource_id) {
  const std::lock_guard lock(connection_mutex_);
  auto& find = statements_->find_events_of;
  const sqlite::Statement::Use use(find);
  find.bind(1, resource_type);
  find.bind(2, resource_id);
  std::vector<StoredEvent> events;
  int rc = SQLITE_ROW;
  while ((rc = find.step()) == SQLITE_ROW) events.push_back(read_event(find));
  if (rc != SQLITE_DONE) log_failure("events_of", db_->last_error());
  return events;
}

std::optional<StoredEvent> StateStore::find_event(std::int64_t seq) {
  const std::lock_guard lock(connection_mutex_);
  auto& find = statements_->find_event;
  const sqlite::Statement::Use use(find);
  find.bind(1, seq);
  const int rc = find.step();
  if (rc == SQLITE_ROW) return read_event(find);
  if (rc != SQLITE_DONE) log_failure("find_event", db_->last_error());
  return std::nullopt;
}

EventCounts StateStore::counts() {
  const std::lock_guard lock(connection_mutex_);
  auto& query = statements_->counts;
  const sqlite::Statement::Use use(query);
  EventCounts counts;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) {
    const std::int64_t n = query.column_int64(1);
    switch (parse_state(query.column_text(0))) {
      case EventState::pending:
        counts.pending = n;
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
  if (rc != SQLITE_DONE) log_failure("counts", db_->last_error());
  return counts;
}

namespace {

std::optional<std::string> get_value(sqlite::Database& db, sqlite::Statement& get, const std::string& name,
                                     std::string_view operation) {
  const sqlite::Statement::Use use(get);
  get.bind(1, name);
  const int rc = get.step();
  if (rc == SQLITE_ROW) return get.column_text(0);
  if (rc != SQLITE_DONE) log_failure(operation, db.last_error());
  return std::nullopt;
}

bool set_value(sqlite::Database& db, sqlite::Statement& set, const std::string& name, const std::string& value,
               std::string_view operation) {
  const sqlite::Statement::Use use(set);
  if (set.bind(1, name) == SQLITE_OK && set.bind(2, value) == SQLITE_OK && set.step() == SQLITE_DONE) return true;
  log_failure(operation, db.last_error());
  return false;
}

}  // namespace

std::optional<std::string> StateStore::cursor(const std::string& name) {
  const std::lock_guard lock(connection_mutex_);
  return get_value(*db_, statements_->get_cursor, name, "cursor");
}

bool StateStore::record_rejection(const StoredRejection& rejection) {
  const std::lock_guard lock(connection_mutex_);
  auto& insert = statements_->insert_rejection;
  const sqlite::Statement::Use use(insert);
  insert.bind(1, rejection.observation);
  insert.bind(2, rejection.version_id);
  insert.bind(3, rejection.patient);
  insert.bind(4, rejection.analyte);
  insert.bind(5, rejection.reasons);
  insert.bind(6, rejection.outcome);
  insert.bind(7, rejection.recorded_at);
  const int rc = insert.step();
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) log_failure("record_rejection", db_->last_error());
  return false;
}

std::vector<StoredRejection> StateStore::rejections(const std::string& observation, std::size_t limit) {
  const std::lock_guard lock(connection_mutex_);
  auto& query = observation.empty() ? statements_->recent_rejections : statements_->rejections_of;
  const sqlite::Statement::Use use(query);
  int next = 1;
  if (!observation.empty()) query.bind(next++, observation);
  query.bind(next, static_cast<std::int64_t>(limit));
  std::vector<StoredRejection> out;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) {
    out.push_back({query.column_text(0), query.column_text(1), query.column_text(2), query.column_text(3),
                   query.column_text(4), query.column_text(5), query.column_text(6)});
  }
  if (rc != SQLITE_DONE) log_failure("rejections", db_->last_error());
  return out;
}

bool StateStore::set_cursor(const std::string& name, const std::string& value) {
  const std::lock_guard lock(connection_mutex_);
  return set_value(*db_, statements_->set_cursor, name, value, "set_cursor");
}

std::optional<std::string> StateStore::subscription_id(const std::string& name) {
  const std::lock_guard lock(connection_mutex_);
  return get_value(*db_, statements_->get_subscription, name, "subscription_id");
}

bool StateStore::set_subscription_id(const std::string& name, const std::string& server_id) {
  const std::lock_guard lock(connection_mutex_);
  return set_value(*db_, statements_->set_subscription, name, server_id, "set_subscription_id");
}

bool StateStore::healthy() {
  const std::lock_guard lock(connection_mutex_);
  auto& health = statements_->health;
  const sqlite::Statement::Use use(health);
  return health.step() == SQLITE_ROW && health.column_int64(0) == kSchemaVersion;
}

}  // namespace gg::gateway
