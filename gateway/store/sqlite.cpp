#include "gateway/store/sqlite.hpp"

#include <utility>

namespace gg::gateway::sqlite {

Result<std::unique_ptr<Database>> Database::open(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    // A handle is returned even on most failures; it carries the message and must still be closed.
    std::string error = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Result<std::unique_ptr<Database>>(boost::system::in_place_error, std::move(error));
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Database>(new Database(db));
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

Status Database::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return {};
  std::string error = message != nullptr ? message : last_error();
  sqlite3_free(message);
  return Status(boost::system::in_place_error, std::move(error));
}

std::string Database::last_error() const {
  return sqlite3_errmsg(db_);
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Status Statement::prepare(Database& db, std::string_view sql) {
  sqlite3_finalize(stmt_);
  stmt_ = nullptr;
  if (sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                         nullptr) == SQLITE_OK) {
    return {};
  }
  return Status(boost::system::in_place_error, db.last_error());
}

Status prepare_all(Database& db, std::initializer_list<std::pair<Statement*, std::string_view>> statements) {
  for (const auto& [statement, sql] : statements) {
    if (auto prepared = statement->prepare(db, sql); !prepared) return prepared;
  }
  return {};
}

int Statement::bind(int index, std::string_view text) {
  return sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

int Statement::bind(int index, std::int64_t value) {
  return sqlite3_bind_int64(stmt_, index, value);
}

int Statement::step() {
  return sqlite3_step(stmt_);
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::int64_t Statement::column_int64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

}  // namespace gg::gateway::sqlite
