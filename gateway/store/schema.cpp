#include "gateway/store/schema.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstddef>

namespace gg::gateway::store {
namespace {

// Waiting for another connection's lock (a CLI reading the same file) before giving up with SQLITE_BUSY.
constexpr int kBusyTimeoutMs = 5000;

// migrations[n] takes the schema from user_version n to n + 1. Append; never edit a released step.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {
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
    // 2 -> 3: the alert outbox (gateway/store/alert_outbox.hpp)
    R"sql(
      CREATE TABLE alert_subscription (
        id              TEXT PRIMARY KEY,
        url             TEXT NOT NULL,
        min_level       TEXT NOT NULL CHECK (min_level IN ('low', 'moderate', 'high')),
        types           TEXT NOT NULL DEFAULT '',
        codes           TEXT NOT NULL DEFAULT '',
        description     TEXT NOT NULL DEFAULT '',
        secret          TEXT NOT NULL,
        previous_secret TEXT NOT NULL DEFAULT '',
        previous_until  TEXT NOT NULL DEFAULT '',
        state           TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled')),
        disabled_reason TEXT NOT NULL DEFAULT '',
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
      );
      -- seq: the durable sequence number of GET /alerts/stream (event id, Last-Event-ID).
      CREATE TABLE alert (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_key   TEXT NOT NULL UNIQUE,
        webhook_id  TEXT NOT NULL,
        type        TEXT NOT NULL,
        patient     TEXT NOT NULL,
        code        TEXT NOT NULL,
        level       TEXT NOT NULL DEFAULT '',
        observation TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL,
        body        TEXT NOT NULL
      );
      CREATE INDEX alert_webhook_id ON alert (webhook_id);
      CREATE INDEX alert_created ON alert (created_at);
      CREATE INDEX alert_observation ON alert (observation);
      CREATE TABLE alert_delivery (
        subscription_id TEXT NOT NULL,
        alert_seq       INTEGER NOT NULL,
        state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (subscription_id, alert_seq)
      );
      CREATE INDEX alert_delivery_queue ON alert_delivery (subscription_id, state, alert_seq);
      CREATE TABLE alert_attempt (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription_id TEXT NOT NULL,
        alert_seq       INTEGER NOT NULL,
        webhook_id      TEXT NOT NULL,
        attempted_at    TEXT NOT NULL,
        http_status     INTEGER NOT NULL,
        latency_ms      INTEGER NOT NULL,
        error           TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX alert_attempt_subscription ON alert_attempt (subscription_id, id);
    )sql",
    // 3 -> 4: when an event was settled (done, failed, dead), so that retention (EventQueue::prune_settled) goes
    // by when the gateway finished with an event, not by when it arrived: an event re-driven after weeks, or
    // retried for days, keeps its history for the whole retention after it settled. Events settled before this
    // step get their received_at: the only earlier bound known (they may be pruned sooner than a full retention).
    // A trigger keeps it, whichever statement changes the state: no transition can leave a settled event undated
    // (and so pruned at once). It is the database host's clock, to the second: retention counts in days.
    R"sql(
      ALTER TABLE event ADD COLUMN settled_at TEXT NOT NULL DEFAULT '';
      UPDATE event SET settled_at = received_at WHERE state <> 'pending';
      CREATE INDEX event_settled ON event (state, settled_at);
      CREATE TRIGGER event_set_settled_at AFTER UPDATE OF state ON event WHEN NEW.state IS NOT OLD.state
      BEGIN
        UPDATE event SET settled_at = CASE WHEN NEW.state = 'pending' THEN ''
                                           ELSE strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END
        WHERE seq = NEW.seq;
      END;
    )sql",
    // 4 -> 5: the W3C traceparent of the request an event came by (or of the trace the gateway started for it),
    // and of the event an alert came from: the FHIR calls and alert deliveries the event leads to carry a child of
    // it (telemetry/trace_context.hpp). Older rows have none: they get a new trace when they are processed. And
    // whether an event's payload is trusted (a sender authenticated by mutual TLS): older rows' are not.
    R"sql(
      ALTER TABLE event ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
      ALTER TABLE event ADD COLUMN payload_trusted INTEGER NOT NULL DEFAULT 0 CHECK (payload_trusted IN (0, 1));
      ALTER TABLE alert ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
    )sql",
};

using sqlite::Status;

Status failure(std::string why) {
  return Status(boost::system::in_place_error, std::move(why));
}

// Reads PRAGMA user_version.
sqlite::Result<int> read_user_version(sqlite::Database& db) {
  sqlite::Statement statement;
  if (auto prepared = statement.prepare(db, "PRAGMA user_version"); !prepared) {
    return sqlite::Result<int>(boost::system::in_place_error, prepared.error());
  }
  if (statement.step() != SQLITE_ROW) return sqlite::Result<int>(boost::system::in_place_error, db.last_error());
  return static_cast<int>(statement.column_int64(0));
}

// The migrations from the file's version to `target`, inside the caller's transaction.
Status migrate_steps(sqlite::Database& db, int target) {
  auto version = read_user_version(db);
  if (!version) return failure(version.error());
  if (*version > kSchemaVersion) {
    return failure("state database schema version " + std::to_string(*version) +
                   " is newer than this program's (" + std::to_string(kSchemaVersion) + ")");
  }
  for (int step = *version; step < target; ++step) {
    // user_version lives in the database header, so setting it commits or rolls back with the step.
    const std::string set_version = "PRAGMA user_version = " + std::to_string(step + 1);
    if (auto done = db.exec(kMigrations[static_cast<std::size_t>(step)]); !done) return done;
    if (auto done = db.exec(set_version.c_str()); !done) return done;
  }
  return {};
}

Status migrate(sqlite::Database& db, int target) {
  // BEGIN IMMEDIATE takes the write lock first, so two processes opening a new file do not both migrate it.
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) return begun;
  auto migrated = migrate_steps(db, target);
  if (migrated) migrated = db.exec("COMMIT");
  if (!migrated) (void)db.exec("ROLLBACK");
  return migrated;
}

Status configure(sqlite::Database& db, const std::string& path) {
  if (sqlite3_db_readonly(db.handle(), "main") == 1) return failure("state database is read-only");
  sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs);
  // WAL: readers do not block the writer. A ":memory:" database answers "memory" and that is fine.
  sqlite::Statement journal;
  if (auto prepared = journal.prepare(db, "PRAGMA journal_mode = WAL"); !prepared) return prepared;
  if (journal.step() != SQLITE_ROW) return failure(db.last_error());
  const std::string mode = journal.column_text(0);
  if (mode != "wal" && !(path == ":memory:" && mode == "memory")) {
    return failure("state database could not switch to WAL journal mode (got '" + mode + "')");
  }
  // FULL: in WAL mode NORMAL may lose the last commits on power loss; the intake acknowledges after commit, so
  // every commit must reach the disk (https://sqlite.org/pragma.html#pragma_synchronous).
  return db.exec("PRAGMA synchronous = FULL");
}

// The state holds patient data: a file the gateway creates is readable by its owner alone (0600, whatever the
// umask), and SQLite gives the -wal and -shm files it creates beside it the database file's permissions
// (https://sqlite.org/tempfiles.html). An existing file keeps its permissions: the operator chose them.
void create_private_file(const std::string& path) {
  if (path.empty() || path == ":memory:") return;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
  // EEXIST: the file is there already; any other error: SQLite's open fails next and says why.
  if (fd >= 0) ::close(fd);
}

}  // namespace

sqlite::Result<std::unique_ptr<sqlite::Database>> open_database(const std::string& path) {
  create_private_file(path);
  auto db = sqlite::Database::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  if (!db) return db;
  Status ready = configure(**db, path);
  if (ready) ready = migrate(**db, kSchemaVersion);
  if (!ready)
    return sqlite::Result<std::unique_ptr<sqlite::Database>>(boost::system::in_place_error, ready.error());
  return db;
}

sqlite::Status migrate_to_for_test(sqlite::Database& db, int version) {
  if (version < 0 || version > kSchemaVersion) return failure("no schema version " + std::to_string(version));
  return migrate(db, version);
}

sqlite::Status SchemaCheck::prepare(sqlite::Database& db) {
  return user_version_.prepare(db, "PRAGMA user_version");
}

bool SchemaCheck::current() {
  const sqlite::Statement::Use use(user_version_);
  return user_version_.step() == SQLITE_ROW && user_version_.column_int64(0) == kSchemaVersion;
}

}  // namespace gg::gateway::store
