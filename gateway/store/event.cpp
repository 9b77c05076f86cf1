#include "gateway/store/event.hpp"

#include <array>

#include "analytics/date_time.hpp"
#include "analytics/enum_text.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {
namespace {

using analytics::EnumText;
using analytics::text_of;
using analytics::value_of;

// The event table's CHECK constraints (schema.cpp, migration 0 -> 1) admit exactly these spellings.
constexpr std::array<EnumText<IntakeSource>, 5> kSources = {{
    {IntakeSource::rest_hook, "rest-hook"},
    {IntakeSource::poll, "poll"},
    {IntakeSource::websocket, "websocket"},
    {IntakeSource::backfill, "backfill"},
    {IntakeSource::analyze, "analyze"},
}};

constexpr std::array<EnumText<EventState>, 4> kStates = {{
    {EventState::pending, "pending"},
    {EventState::done, "done"},
    {EventState::failed, "failed"},
    {EventState::dead, "dead"},
}};

}  // namespace

std::string_view to_string(IntakeSource source) {
  return text_of(kSources, source);
}

std::optional<IntakeSource> intake_source_from_string(std::string_view text) {
  return value_of(kSources, text);
}

std::string_view to_string(EventState state) {
  return text_of(kStates, state);
}

std::optional<EventState> event_state_from_string(std::string_view text) {
  return value_of(kStates, text);
}

std::optional<std::string> instant_text(std::string_view text) {
  if (const auto parsed = analytics::parse_fhir_date_time(text); parsed.instant) {
    return format_instant(parsed.instant->utc);
  }
  if (const auto date = analytics::parse_fhir_date(text)) return format_instant(std::chrono::sys_days(*date));
  return std::nullopt;
}

}  // namespace gg::gateway
