// Structured logging to standard error: one line per event, for the service a JSON object (logging.format: json,
// the default)
//   {"time":"2026-12-05T12:00:00.123Z","level":"info","event":"event.recorded","type":"Observation","id":"1"}
// or, for a person at a terminal (logging.format: text), "time level event key=value ...".
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

enum class LogFormat { json, text };
inline constexpr std::array<analytics::EnumText<LogFormat>, 2> kLogFormatText{{
    {LogFormat::json, "json"},
    {LogFormat::text, "text"},
}};

using LogField = std::pair<std::string_view, std::string>;

// One log line (ending in a newline) as written: `time` is "2026-12-05T12:00:00.123Z". In JSON every field value
// is a string, escaped per RFC 8259 section 7 (control characters as \uXXXX or their short forms); a field named
// like time, level or event is written after them, as given.
std::string format_log_line(LogFormat format, std::string_view time, LogLevel level, std::string_view event,
                            std::initializer_list<LogField> fields);

void set_log_format(LogFormat format);
void set_log_level(LogLevel level);
void set_log_patient_data(bool allowed);
LogLevel parse_log_level(std::string_view text);  // info unless kLogLevelText spells another
bool log_enabled(LogLevel level);

void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
// Logs the fields only when the debug switch allows patient data; otherwise nothing.
void log_patient_data(std::string_view event, std::initializer_list<LogField> fields);

}  // namespace gg::gateway
