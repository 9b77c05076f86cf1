// Structured logging to standard error: one line per event, "time level event key=value ...".
// Only identifiers and codes go into fields; patient values and names never do unless the debug switch
// (logging.patient_data) is on, and then only through log_patient_data().
//
// Event names are "subject.what-happened": lower case, a dot after the subject, words joined by hyphens
// (kebab-case, like FHIR codes and our metric label values): "event.store-failed", "http.accept-failed",
// "notification.without-payload", "state-store.failed" (scripts/check-log-names checks every name in gateway/).
// Field keys are single lower-case words or snake_case.
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "analytics/enum_text.hpp"

namespace gg::gateway {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };
// Spelt so in the configuration (`logging.level`) and in each log line.
inline constexpr std::array<analytics::EnumText<LogLevel>, 4> kLogLevelText{{
    {LogLevel::error, "error"},
    {LogLevel::warn, "warn"},
    {LogLevel::info, "info"},
    {LogLevel::debug, "debug"},
}};

using LogField = std::pair<std::string_view, std::string>;

void set_log_level(LogLevel level);
void set_log_patient_data(bool allowed);
LogLevel parse_log_level(std::string_view text);  // info unless kLogLevelText spells another
bool log_enabled(LogLevel level);

void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
// Logs the fields only when the debug switch allows patient data; otherwise nothing.
void log_patient_data(std::string_view event, std::initializer_list<LogField> fields);

}  // namespace gg::gateway
