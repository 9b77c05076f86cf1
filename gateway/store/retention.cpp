#include "gateway/store/retention.hpp"

#include <string>

#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

constexpr const char* kPrunedHelp = "rows deleted from the state database by retention (state.retention_days)";

}  // namespace

StateRetention::StateRetention(StateStore& store, std::chrono::days retention, const Clock& clock,
                               MetricsRegistry& metrics)
    : store_(store),
      retention_(retention),
      clock_(clock),
      pruned_events_(metrics.counter("gradient_gateway_state_pruned_total", kPrunedHelp, {{"table", "event"}})),
      pruned_rejections_(
          metrics.counter("gradient_gateway_state_pruned_total", kPrunedHelp, {{"table", "rejection"}})) {}

bool StateRetention::run_once() {
  if (!enabled()) return true;
  const std::string before = format_instant(clock_.now() - retention_);
  const auto pruned = store_.prune(before);
  if (!pruned) return false;
  pruned_events_.inc(static_cast<double>(pruned->events));
  pruned_rejections_.inc(static_cast<double>(pruned->rejections));
  log(pruned->events + pruned->rejections > 0 ? LogLevel::info : LogLevel::debug, "state.pruned",
      {{"before", before},
       {"events", std::to_string(pruned->events)},
       {"rejections", std::to_string(pruned->rejections)}});
  return true;
}

}  // namespace gg::gateway
