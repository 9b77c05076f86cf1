#include "gateway/commands/state_command.hpp"

#include <filesystem>
#include <ostream>

#include "gateway/store/backup.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

}  // namespace

int run_state_backup(const Config& config, const std::string& destination, bool force, std::ostream& out,
                     std::ostream& err) {
  std::error_code ec;
  if (!force && std::filesystem::exists(std::filesystem::symlink_status(destination, ec))) {
    err << "gradient-gateway: " << destination << " exists; use --force to replace it\n";
    return kUsage;
  }
  const auto pages = store::backup_database(config.state.path, destination, force);
  if (!pages) {
    err << "gradient-gateway: " << pages.error() << '\n';
    return kFailed;
  }
  out << "backed up " << config.state.path << " to " << destination << " (" << *pages
      << " pages, integrity check ok)\n";
  return kOk;
}

int run_events_retry(const Config& config, const std::string& since, bool include_failed, const Clock& clock,
                     std::ostream& out, std::ostream& err) {
  std::string since_instant;
  if (!since.empty()) {
    const auto instant = instant_text(since);
    if (!instant) {
      err << "gradient-gateway: --since must be a dateTime with time and zone or a date, e.g. "
             "2026-11-25T00:00:00Z\n";
      return kUsage;
    }
    since_instant = *instant;
  }
  // Opening never creates: re-driving the events of a file that is not there is a mistake in the configuration.
  if (!std::filesystem::exists(config.state.path)) {
    err << "gradient-gateway: no state database at " << config.state.path << '\n';
    return kUsage;
  }
  auto opened = StateStore::open(config.state.path);
  if (!opened) {
    err << "gradient-gateway: " << opened.error() << '\n';
    return kFailed;
  }
  const auto count = (*opened)->events().redrive(format_instant(clock.now()), since_instant, include_failed);
  if (!count) {
    err << "gradient-gateway: the state store could not re-drive events (see the log)\n";
    return kFailed;
  }
  log(LogLevel::info, "events.redriven",
      {{"count", std::to_string(*count)},
       {"since", since_instant},
       {"failed", include_failed ? "true" : "false"},
       {"by", "command-line"}});
  out << "re-drove " << *count << (include_failed ? " dead or failed" : " dead") << " event"
      << (*count == 1 ? "" : "s") << (since_instant.empty() ? "" : " received since " + since_instant)
      << "; serve's pipeline processes them\n";
  return kOk;
}

}  // namespace gg::gateway
