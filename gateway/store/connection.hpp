// The one SQLite connection the parts of the state store share (event queue, rejection log, cursors), with the
// mutex that serialises them. Internal to gateway/store.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "gateway/store/sqlite.hpp"

namespace gg::gateway::store {

struct Connection {
  std::mutex mutex;  // guards: db and every prepared statement of the parts using it
  std::unique_ptr<sqlite::Database> db;
};

// Logs a failed store operation. SQLite's messages name tables and columns, never values.
void log_failure(std::string_view operation, const std::string& error);

}  // namespace gg::gateway::store
