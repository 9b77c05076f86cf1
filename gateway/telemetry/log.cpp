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
// Text until told otherwise: the commands write for a person at a terminal; serve sets logging.format (json).
std::atomic<int> g_format{static_cast<int>(LogFormat::text)};

bool needs_quotes(std::string_view value) {
  return value.empty() || value.find_first_of(" \"=\t\n") != std::string_view::npos;
}

void append_text_value(std::string& line, std::string_view value) {
  if (!needs_quotes(value)) {
    line += value;
    return;
  }
  line += '"';
  for (char ch : value) {
    if (ch == '"' || ch == '\\') line += '\\';
    line += ch == '\n' ? ' ' : ch;
  }
  line += '"';
}

// A JSON string (RFC 8259 section 7): quotes, backslashes and control characters escaped.
void append_json_string(std::string& line, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  line += '"';
  for (const char ch : value) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      line += '\\';
      line += ch;
    } else if (ch == '\n') {
      line += "\\n";
    } else if (ch == '\r') {
      line += "\\r";
    } else if (ch == '\t') {
      line += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      line += "\\u00";
      line += kHex[byte >> 4];
      line += kHex[byte & 0xf];
    } else {
      line += ch;
    }
  }
  line += '"';
}

std::string now_text() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  const std::size_t length = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  return std::string(stamp, length) + fraction;
}

void write_line(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  const std::string line =
      format_log_line(static_cast<LogFormat>(g_format.load()), now_text(), level, event, fields);
  std::lock_guard lock(g_stderr_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

std::string format_log_line(LogFormat format, std::string_view time, LogLevel level, std::string_view event,
                            std::initializer_list<LogField> fields) {
  std::string line;
  const std::string_view level_text = analytics::text_of(kLogLevelText, level);
  if (format == LogFormat::text) {
    line.append(time).append(" ").append(level_text).append(" ").append(event);
    for (const auto& [key, value] : fields) {
      line.append(" ").append(key).append("=");
      append_text_value(line, value);
    }
  } else {
    line += R"({"time":)";
    append_json_string(line, time);
    line += R"(,"level":)";
    append_json_string(line, level_text);
    line += R"(,"event":)";
    append_json_string(line, event);
    for (const auto& [key, value] : fields) {
      line += ',';
      append_json_string(line, key);
      line += ':';
      append_json_string(line, value);
    }
    line += '}';
  }
  line += '\n';
  return line;
}

void set_log_format(LogFormat format) {
  g_format = static_cast<int>(format);
}

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
