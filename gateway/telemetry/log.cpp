#include "gateway/telemetry/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace gg::gateway {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::info)};
std::atomic<bool> g_patient_data{false};
std::mutex g_stderr_mutex;  // guards: interleaving of lines on standard error

bool needs_quotes(std::string_view value) {
  return value.empty() || value.find_first_of(" \"=\t\n") != std::string_view::npos;
}

void write_line(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  std::string line;
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  const std::size_t length = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  line.append(stamp, length);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  line += fraction;
  line += ' ';
  line += analytics::text_of(kLogLevelText, level);
  line += ' ';
  line += event;
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    if (needs_quotes(value)) {
      line += '"';
      for (char ch : value) {
        if (ch == '"' || ch == '\\') line += '\\';
        line += ch == '\n' ? ' ' : ch;
      }
      line += '"';
    } else {
      line += value;
    }
  }
  line += '\n';
  std::lock_guard lock(g_stderr_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

void set_log_level(LogLevel level) {
  g_level = static_cast<int>(level);
}
void set_log_patient_data(bool allowed) {
  g_patient_data = allowed;
}

LogLevel parse_log_level(std::string_view text) {
  return analytics::value_of(kLogLevelText, text).value_or(LogLevel::info);
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) <= g_level.load();
}

void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (log_enabled(level)) write_line(level, event, fields);
}

void log_patient_data(std::string_view event, std::initializer_list<LogField> fields) {
  if (g_patient_data.load()) write_line(LogLevel::debug, event, fields);
}

}  // namespace gg::gateway
