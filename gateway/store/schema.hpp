// The state database's schema: connection settings (WAL, synchronous=FULL, busy timeout) and the migrations that
// bring any older file up to kSchemaVersion (PRAGMA user_version).
#pragma once

#include <memory>
#include <string>

#include "gateway/store/sqlite.hpp"

namespace gg::gateway::store {

// The schema version this program writes; older databases are migrated on open.
inline constexpr int kSchemaVersion = 5;

// Opens or creates the database at path (":memory:" for a private in-memory one), configures it and migrates the
// schema; or why not (unwritable or read-only path, not a database, schema newer than this program).
sqlite::Result<std::unique_ptr<sqlite::Database>> open_database(const std::string& path);

// For the migration tests: applies the migrations from db's version up to `version` (not beyond), as the program
// that wrote that version did, so that a test can build a file as an older release left it.
sqlite::Status migrate_to_for_test(sqlite::Database& db, int version);

// The database answers queries and carries kSchemaVersion (for /readyz).
class SchemaCheck {
 public:
  [[nodiscard]] sqlite::Status prepare(sqlite::Database& db);
  // Call with the connection's mutex held.
  [[nodiscard]] bool current();

 private:
  sqlite::Statement user_version_;
};

}  // namespace gg::gateway::store
