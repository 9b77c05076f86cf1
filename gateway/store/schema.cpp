#include "gateway/store/schema.hpp"

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
};

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
  if (ok && version > kSchemaVersion) {
    error = "state database schema version " + std::to_string(version) + " is newer than this program's (" +
            std::to_string(kSchemaVersion) + ")";
    ok = false;
  }
  for (int step = version; ok && step < kSchemaVersion; ++step) {
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

std::unique_ptr<sqlite::Database> open_database(const std::string& path, std::string& error) {
  auto db = sqlite::Database::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, error);
  if (db == nullptr) return nullptr;
  if (!configure(*db, path, error) || !migrate(*db, error)) return nullptr;
  return db;
}

bool SchemaCheck::prepare(sqlite::Database& db, std::string& error) {
  return user_version_.prepare(db, "PRAGMA user_version", error);
}

bool SchemaCheck::current() {
  const sqlite::Statement::Use use(user_version_);
  return user_version_.step() == SQLITE_ROW && user_version_.column_int64(0) == kSchemaVersion;
}

}  // namespace gg::gateway::store
