// FHIR date and dateTime values read into std::chrono: the instant in UTC plus the offset it was written with, so
// pairing compares true instants and write-back can keep the sender's local time. (FHIR R4 section 2.24.0.1:
// "If hours and minutes are specified, a time zone SHALL be populated".)
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gg::analytics {

struct FhirInstant {
  std::chrono::sys_seconds utc;       // fractional seconds are dropped
  std::chrono::minutes utc_offset{};  // as written: +02:00 -> 120, Z -> 0
  friend bool operator==(const FhirInstant&, const FhirInstant&) = default;
};

struct DateTimeParse {
  enum class Error { none, malformed, no_time_of_day, no_time_zone };
  std::optional<FhirInstant> instant;
  Error error = Error::none;
};

// Reads a FHIR dateTime or instant that carries a time of day and a zone: "2024-03-01T08:15:00+01:00",
// "2024-03-01T07:15:00.123Z". A date without a time ("2024-03-01", "2024-03", "2024") is no_time_of_day: it cannot
// be placed within a pairing window, so it is never guessed to be midnight.
DateTimeParse parse_fhir_date_time(std::string_view text);

// Reads a complete FHIR date "YYYY-MM-DD". Partial dates ("1970", "1970-05") give nullopt.
std::optional<std::chrono::year_month_day> parse_fhir_date(std::string_view text);

// Writes the instant back in its own offset, seconds precision: "2024-03-01T08:15:00+01:00" ("Z" for offset 0).
std::string format_fhir_date_time(const FhirInstant& instant);

// Completed years between a birth date and an instant (UTC calendar date of `at`). Someone born on 29 February
// turns a year older on 1 March in common years.
int age_in_years(std::chrono::year_month_day birth_date, std::chrono::sys_seconds at);

}  // namespace gg::analytics
