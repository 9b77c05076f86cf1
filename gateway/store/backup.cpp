#include "gateway/store/backup.hpp"

#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>
#include <utility>

namespace gg::gateway::store {
namespace {

using Pages = sqlite::Result<std::int64_t>;

// As the state store waits for another connection's lock (schema.cpp).
constexpr int kBusyTimeoutMs = 5000;
// When the source stays locked (SQLITE_BUSY, SQLITE_LOCKED) past the busy timeout: a few more tries.
constexpr int kLockedRetries = 20;
constexpr int kLockedPauseMs = 250;

Pages failure(std::string why) {
  return Pages(boost::system::in_place_error, std::move(why));
}

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

// The file a failed backup leaves, with the journal files SQLite may have made beside it.
void remove_partial(const std::string& path) {
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
}

// One query's first column as text ("" when it gives no row).
std::string first_text(sqlite::Database& db, const char* sql) {
  sqlite::Statement statement;
  if (!statement.prepare(db, sql) || statement.step() != SQLITE_ROW) return {};
  return statement.column_text(0);
}

// Copies every page of source into the empty database at temporary.
Pages copy_pages(sqlite::Database& source, const std::string& temporary) {
  auto target = sqlite::Database::open(temporary, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!target) return failure(target.error());
  sqlite3_backup* backup = sqlite3_backup_init((*target)->handle(), "main", source.handle(), "main");
  if (backup == nullptr) return failure((*target)->last_error());
  // -1: every page in one step, so one read transaction: a consistent snapshot even while serve writes.
  int rc = SQLITE_OK;
  for (int tries = 0; tries <= kLockedRetries; ++tries) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    sqlite3_sleep(kLockedPauseMs);
  }
  const std::int64_t pages = sqlite3_backup_pagecount(backup);
  const int finished = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return failure(sqlite3_errstr(rc));
  if (finished != SQLITE_OK) return failure((*target)->last_error());
  return pages;
}

// Reopens the copy (it carries the source's WAL mark), makes it one self-contained file and checks it.
sqlite::Status finish_copy(const std::string& temporary) {
  auto copy = sqlite::Database::open(temporary, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!copy) return sqlite::Status(boost::system::in_place_error, copy.error());
  const std::string mode = first_text(**copy, "PRAGMA journal_mode = DELETE");
  if (mode != "delete") {
    return sqlite::Status(boost::system::in_place_error,
                          "the copy could not leave WAL mode (journal_mode '" + mode + "')");
  }
  // https://sqlite.org/pragma.html#pragma_integrity_check: one row "ok" when nothing is wrong.
  const std::string integrity = first_text(**copy, "PRAGMA integrity_check");
  if (integrity != "ok") {
    return sqlite::Status(boost::system::in_place_error, "the copy failed its integrity check: " + integrity);
  }
  return {};
}

}  // namespace

sqlite::Result<std::int64_t> backup_database(const std::string& source, const std::string& destination,
                                             bool overwrite) {
  // Read-write without create: a missing source is an error, not a new empty database to back up. The backup
  // itself only reads.
  auto from = sqlite::Database::open(source, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!from) return failure("cannot open state database '" + source + "': " + from.error());
  sqlite3_busy_timeout((*from)->handle(), kBusyTimeoutMs);

  // mkstemp creates the file 0600 and empty, which SQLite reads as an empty database.
  std::string temporary = destination + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) return failure("cannot create '" + temporary + "': " + errno_text(errno));
  ::close(fd);

  auto pages = copy_pages(**from, temporary);
  if (pages) {
    if (auto finished = finish_copy(temporary); !finished) pages = failure(finished.error());
  }
  if (!pages) {
    remove_partial(temporary);
    return failure("backup of '" + source + "' failed: " + pages.error());
  }
  // Into place: rename replaces; link refuses an existing destination atomically (EEXIST).
  const bool placed = overwrite ? ::rename(temporary.c_str(), destination.c_str()) == 0
                                : ::link(temporary.c_str(), destination.c_str()) == 0;
  const int error = placed ? 0 : errno;
  remove_partial(temporary);  // after a rename: only the name is gone already; after a link: the second name
  if (error == EEXIST) return failure("'" + destination + "' exists (use --force to replace it)");
  if (!placed) return failure("cannot write '" + destination + "': " + errno_text(error));
  return pages;
}

}  // namespace gg::gateway::store
