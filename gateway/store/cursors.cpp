#include "gateway/store/cursors.hpp"

#include <string_view>

#include "gateway/store/connection.hpp"
#include "gateway/store/part_impl.hpp"
#include "gateway/store/sqlite.hpp"

namespace gg::gateway {
namespace {

std::optional<std::string> get_value(sqlite::Database& db, sqlite::Statement& get, const std::string& name,
                                     std::string_view operation) {
  const sqlite::Statement::Use use(get);
  get.bind(1, name);
  const int rc = get.step();
  if (rc == SQLITE_ROW) return get.column_text(0);
  if (rc != SQLITE_DONE) store::log_failure(operation, db.last_error());
  return std::nullopt;
}

bool set_value(sqlite::Database& db, sqlite::Statement& set, const std::string& name, const std::string& value,
               std::string_view operation) {
  const sqlite::Statement::Use use(set);
  if (set.bind(1, name) == SQLITE_OK && set.bind(2, value) == SQLITE_OK && set.step() == SQLITE_DONE) return true;
  store::log_failure(operation, db.last_error());
  return false;
}

}  // namespace

struct store::CursorStatements {
  sqlite::Statement get_cursor, set_cursor, get_subscription, set_subscription;

  sqlite::Status prepare(sqlite::Database& db) {
    return sqlite::prepare_all(db, {{&get_cursor, "SELECT value FROM cursor WHERE name = ?1"},
                                    {&set_cursor,
                                     "INSERT INTO cursor (name, value) VALUES (?1, ?2) "
                                     "ON CONFLICT (name) DO UPDATE SET value = excluded.value"},
                                    {&get_subscription, "SELECT server_id FROM subscription WHERE name = ?1"},
                                    {&set_subscription,
                                     "INSERT INTO subscription (name, server_id) VALUES (?1, ?2) "
                                     "ON CONFLICT (name) DO UPDATE SET server_id = excluded.server_id"}});
  }
};

template class store::Part<store::CursorStatements>;

std::optional<std::string> Cursors::cursor(const std::string& name) {
  const std::lock_guard lock(connection_.mutex);
  return get_value(*connection_.db, statements_->get_cursor, name, "cursor");
}

bool Cursors::set_cursor(const std::string& name, const std::string& value) {
  const std::lock_guard lock(connection_.mutex);
  return set_value(*connection_.db, statements_->set_cursor, name, value, "set_cursor");
}

std::optional<std::string> Cursors::subscription_id(const std::string& name) {
  const std::lock_guard lock(connection_.mutex);
  return get_value(*connection_.db, statements_->get_subscription, name, "subscription_id");
}

bool Cursors::set_subscription_id(const std::string& name, const std::string& server_id) {
  const std::lock_guard lock(connection_.mutex);
  return set_value(*connection_.db, statements_->set_subscription, name, server_id, "set_subscription_id");
}

}  // namespace gg::gateway
