#include "analytics/date_time.hpp"

#include <cstdio>
#include <utility>

namespace gg::analytics {
namespace {

// Reads exactly `width` decimal digits at `pos`, advancing it.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// "YYYY-MM-DD" at the start of `text`; pos ends after the day.
std::optional<std::chrono::year_month_day> date_part(std::string_view text, std::size_t& pos) {
  const auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  const auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  const auto day = digits(text, pos, 2);
  if (!day) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  return date;
}

bool is_partial_date(std::string_view text) {
  // FHIR date regex: YYYY, YYYY-MM or YYYY-MM-DD.
  std::size_t pos = 0;
  if (!digits(text, pos, 4)) return false;
  if (pos == text.size()) return true;
  if (!expect(text, pos, '-') || !digits(text, pos, 2)) return false;
  if (pos == text.size()) return true;
  if (!expect(text, pos, '-') || !digits(text, pos, 2)) return false;
  return pos == text.size();
}

}  // namespace

DateTimeParse parse_fhir_date_time(std::string_view text) {
  DateTimeParse result;
  if (is_partial_date(text)) {
    result.error = DateTimeParse::Error::no_time_of_day;
    return result;
  }
  result.error = DateTimeParse::Error::malformed;
  std::size_t pos = 0;
  const auto date = date_part(text, pos);
  if (!date || !expect(text, pos, 'T')) return result;
  const auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return result;
  const auto minute = digits(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return result;
  const auto second = digits(text, pos, 2);
  // FHIR allows second 60 for a leap second; sys_seconds has none, so it lands on the next minute's start.
  if (!second || *hour > 23 || *minute > 59 || *second > 60) return result;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return result;
  }
  if (pos == text.size()) {
    result.error = DateTimeParse::Error::no_time_zone;
    return result;
  }
  std::chrono::minutes offset{0};
  if (text[pos] == 'Z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const auto offset_hours = digits(text, pos, 2);
    if (!offset_hours || !expect(text, pos, ':')) return result;
    const auto offset_minutes = digits(text, pos, 2);
    if (!offset_minutes || *offset_hours > 14 || *offset_minutes > 59) return result;
    offset = std::chrono::minutes{sign * (*offset_hours * 60 + *offset_minutes)};
  } else {
    return result;
  }
  if (pos != text.size()) return result;
  const auto local = std::chrono::sys_days{*date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
                     std::chrono::seconds{*second};
  result.instant = FhirInstant{local - offset, offset};
  result.error = DateTimeParse::Error::none;
  return result;
}

std::optional<std::chrono::year_month_day> parse_fhir_date(std::string_view text) {
  std::size_t pos = 0;
  auto date = date_part(text, pos);
  if (!date || pos != text.size()) return std::nullopt;
  return date;
}

std::string format_fhir_date_time(const FhirInstant& instant) {
  const auto local = instant.utc + instant.utc_offset;
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{local - day};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  std::string out = buffer;
  const auto offset = instant.utc_offset.count();
  if (offset == 0) {
    out += 'Z';
  } else {
    const long magnitude = offset < 0 ? -offset : offset;
    std::snprintf(buffer, sizeof buffer, "%c%02ld:%02ld", offset < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
    out += buffer;
  }
  return out;
}

int age_in_years(std::chrono::year_month_day birth_date, std::chrono::sys_seconds at) {
  const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(at)};
  int years = static_cast<int>(today.year()) - static_cast<int>(birth_date.year());
  const auto month_day_today = std::pair{static_cast<unsigned>(today.month()), static_cast<unsigned>(today.day())};
  const auto birthday =
      std::pair{static_cast<unsigned>(birth_date.month()), static_cast<unsigned>(birth_date.day())};
  if (month_day_today < birthday) --years;
  return years;
}

}  // namespace gg::analytics
