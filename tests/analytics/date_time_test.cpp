#include "analytics/date_time.hpp"

#include <gtest/gtest.h>

namespace gg::analytics {
namespace {

using namespace std::chrono;

sys_seconds utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}

TEST(FhirDateTime, ConvertsOffsetToUtcAndKeepsIt) {
  const auto parsed = parse_fhir_date_time("2024-03-01T08:15:00+01:00");
  ASSERT_EQ(parsed.error, DateTimeParse::Error::none);
  EXPECT_EQ(parsed.instant->utc, utc(2024, 3, 1, 7, 15, 0));
  EXPECT_EQ(parsed.instant->utc_offset, minutes{60});
}

TEST(FhirDateTime, ReadsNegativeOffsetAcrossMidnight) {
  const auto parsed = parse_fhir_date_time("2024-02-29T22:30:00-05:30");
  ASSERT_EQ(parsed.error, DateTimeParse::Error::none);
  EXPECT_EQ(parsed.instant->utc, utc(2024, 3, 1, 4, 0, 0));
  EXPECT_EQ(parsed.instant->utc_offset, minutes{-330});
}

TEST(FhirDateTime, ReadsZuluWithFractionalSeconds) {
  const auto parsed = parse_fhir_date_time("2024-03-01T07:15:00.123Z");
  ASSERT_EQ(parsed.error, DateTimeParse::Error::none);
  EXPECT_EQ(parsed.instant->utc, utc(2024, 3, 1, 7, 15, 0));
  EXPECT_EQ(parsed.instant->utc_offset, minutes{0});
}

TEST(FhirDateTime, RefusesDatesWithoutTimeOfDay) {
  for (const char* text : {"2024", "2024-03", "2024-03-01"}) {
    SCOPED_TRACE(text);
    const auto parsed = parse_fhir_date_time(text);
    EXPECT_EQ(parsed.error, DateTimeParse::Error::no_time_of_day);
    EXPECT_FALSE(parsed.instant);
  }
}

TEST(FhirDateTime, RefusesTimeWithoutZone) {
  EXPECT_EQ(parse_fhir_date_time("2024-03-01T08:15:00").error, DateTimeParse::Error::no_time_zone);
}

TEST(FhirDateTime, RefusesMalformedValues) {
  for (const char* text : {"", "2024-02-30T08:00:00Z", "2024-03-01T24:00:00Z", "2024-03-01 08:00:00Z",
                           "2024-03-01T08:00Z", "2024-03-01T08:00:00+1:00", "2024-03-01T08:00:00+15:00",
                           "2024-03-01T08:00:00Zjunk", "2024-3-01T08:00:00Z", "2024-03-01T08:00:00."}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_fhir_date_time(text).error, DateTimeParse::Error::malformed);
  }
}

TEST(FhirDateTime, FormatsInItsOwnOffset) {
  const FhirInstant instant{utc(2024, 3, 1, 7, 15, 0), minutes{60}};
  EXPECT_EQ(format_fhir_date_time(instant), "2024-03-01T08:15:00+01:00");
  EXPECT_EQ(format_fhir_date_time({utc(2024, 3, 1, 4, 0, 0), minutes{-330}}), "2024-02-29T22:30:00-05:30");
  EXPECT_EQ(format_fhir_date_time({utc(2024, 3, 1, 7, 15, 0), minutes{0}}), "2024-03-01T07:15:00Z");
}

TEST(FhirDate, ReadsCompleteDatesOnly) {
  EXPECT_EQ(parse_fhir_date("1979-05-17"), year_month_day(year{1979} / month{5} / day{17}));
  EXPECT_FALSE(parse_fhir_date("1979-05"));
  EXPECT_FALSE(parse_fhir_date("1979"));
  EXPECT_FALSE(parse_fhir_date("1979-02-30"));
}

struct AgeCase {
  const char* birth;
  sys_seconds at;
  int years;
};

TEST(Age, CountsCompletedYears) {
  const AgeCase cases[] = {
      {"1980-06-15", utc(2024, 6, 14, 23, 59, 59), 43}, {"1980-06-15", utc(2024, 6, 15, 0, 0, 0), 44},
      {"2000-02-29", utc(2023, 2, 28, 12, 0, 0), 22},  // common year: not yet 23 on 28 February
      {"2000-02-29", utc(2023, 3, 1, 0, 0, 0), 23},     {"2000-02-29", utc(2024, 2, 29, 0, 0, 0), 24},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.birth);
    EXPECT_EQ(age_in_years(*parse_fhir_date(c.birth), c.at), c.years);
  }
}

}  // namespace
}  // namespace gg::analytics
