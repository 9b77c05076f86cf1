// Small RAII wrappers over SQLite's C API (https://sqlite.org/c3ref/intro.html): a connection and a prepared
// statement. Failures are reported as SQLite result codes, or as results carrying the connection's message, never
// as exceptions, because a full disk or a locked file is an operating condition the caller must answer (a 503),
// not a bug. Neither class is thread-safe: the owner guards them with its own mutex.
#pragma once

#include <sqlite3.h>

#include <boost/system/result.hpp>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace gg::gateway::sqlite {

// A value, or SQLite's message saying why not (it names tables and columns, never values).
template <typename T>
using Result = boost::system::result<T, std::string>;
using Status = Result<void>;

class Database {
 public:
  // Opens (flags as for sqlite3_open_v2).
  static Result<std::unique_ptr<Database>> open(const std::string& path, int flags);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  [[nodiscard]] sqlite3* handle() const { return db_; }

  // Runs one or more statements that return no rows we need.
  [[nodiscard]] Status exec(const char* sql);

  [[nodiscard]] std::string last_error() const;
  [[nodiscard]] std::int64_t changes() const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// A prepared statement. Each use is bind..., step until SQLITE_DONE, then reset(); Use keeps that last step from
// being forgotten on an early return.
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Prepares sql (one statement) for db.
  [[nodiscard]] Status prepare(Database& db, std::string_view sql);

  // Parameters are 1-based, as in SQLite. Text is copied (SQLITE_TRANSIENT). Returns a SQLite result code.
  int bind(int index, std::string_view text);
  int bind(int index, std::int64_t value);

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  // Resets to run again and clears the bindings.
  void reset();

  // Columns are 0-based, as in SQLite. NULL reads as "" or 0.
  [[nodiscard]] std::string column_text(int index) const;
  [[nodiscard]] std::int64_t column_int64(int index) const;

  // Resets the statement when the scope ends, however it ends.
  class Use {
   public:
    explicit Use(Statement& statement) : statement_(statement) {}
    ~Use() { statement_.reset(); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    Statement& statement_;
  };

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Prepares each statement with its SQL, in order, stopping at the first that fails.
[[nodiscard]] Status prepare_all(Database& db,
                                 std::initializer_list<std::pair<Statement*, std::string_view>> statements);

}  // namespace gg::gateway::sqlite
