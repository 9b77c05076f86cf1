// The state database's operator commands, safe while serve runs on the same file (WAL: readers do not block the
// writer, and SQLite's locks order the writers):
//   gradient-gateway state backup FILE [--force] --config FILE
//   gradient-gateway events retry [--since DATETIME] [--failed] --config FILE
#pragma once

#include <iosfwd>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {

// Copies the state database (config.state.path) to destination with SQLite's online backup API
// (store/backup.hpp): a file of its own, mode 0600, that passes PRAGMA integrity_check. Prints what it wrote on
// out and returns 0; a destination that exists without `force` is a usage error (2, nothing written); any other
// failure is printed on err and returns 1.
int run_state_backup(const Config& config, const std::string& destination, bool force, std::ostream& out,
                     std::ostream& err);

// Sets the dead events (and the failed ones with include_failed) back to pending, due now with 0 attempts,
// optionally only those received since `since` (a dateTime with time and zone or a date; "" for all): serve's
// pipeline claims them on its own. Prints how many on out and returns 0; a bad since is a usage error (2); a store
// failure returns 1. Logs events.redriven.
int run_events_retry(const Config& config, const std::string& since, bool include_failed, const Clock& clock,
                     std::ostream& out, std::ostream& err);

}  // namespace gg::gateway
