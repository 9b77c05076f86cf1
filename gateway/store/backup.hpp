// `gradient-gateway state backup`: a consistent copy of the state database while serve may be writing it, made
// with SQLite's online backup API (https://sqlite.org/backup.html) from one read transaction: in WAL mode the
// writer goes on meanwhile, and the copy is the database as of the moment that transaction began.
#pragma once

#include <cstdint>
#include <string>

#include "gateway/store/sqlite.hpp"

namespace gg::gateway::store {

// Copies the state database at `source` (which must exist) to `destination`: into a new file beside it, mode
// 0600 (patient data), switched from WAL to a rollback journal so that it is one self-contained file, checked
// with PRAGMA integrity_check, then moved into place. An existing destination is replaced only when `overwrite`;
// otherwise that is an error and it is left as it was. Nothing is left behind on failure. Returns the number of
// pages copied, or why not.
sqlite::Result<std::int64_t> backup_database(const std::string& source, const std::string& destination,
                                             bool overwrite);

}  // namespace gg::gateway::store
