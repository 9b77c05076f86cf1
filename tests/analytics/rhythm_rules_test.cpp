// compute_rhythm(): which samples form a series (local calendar day, waking, the awakening window, specimen,
// censoring, the cosinor's days/min_samples/min_span_hours) and what the resulting gradients carry. The arithmetic
// (OLS, Pruessner areas, cosinor fit) is rhythm.hpp's and tested in rhythm_test.cpp; here the expected numbers are
// worked by hand from the selection the rule must make.
#include "analytics/rhythm_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <vector>

#include "analytics/analysis.hpp"
#include "analytics/date_time.hpp"
#include "analytics/rhythm.hpp"
#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using testing::censored;
using testing::observations;
using testing::references;

// The shipped rules (config/rules/gradients.yaml, "rhythms"): saliva cortisol in nmol/L with the waking window
// 05:00-11:00 local time (a site setting); the cosinor needs 6 samples (review L13) spanning 12 h of clock time
// over the last 3 days.
RhythmRule rule(RhythmRule::Kind kind) {
  RhythmRule r;
  r.kind = kind;
  r.analyte = "cortisol";
  r.specimen = Specimen::saliva;
  r.unit = "nmol/L";
  r.waking_window = RhythmRule::WakingWindow{std::chrono::hours{5}, std::chrono::hours{11}};
  r.min_samples = 6;
  r.min_span_hours = 12;
  r.days = 3;
  return r;
}

const RhythmRule kSlope = rule(RhythmRule::Kind::diurnal_slope);
const RhythmRule kCar = rule(RhythmRule::Kind::awakening_response);
const RhythmRule kCosinor = rule(RhythmRule::Kind::cosinor);

// The cosinor with the arithmetic minimum of 4 samples, for tests about what else selects a series.
RhythmRule four_samples(RhythmRule r) {
  r.min_samples = 4;
  return r;
}

// The shipped serum cortisol rule: the cosinor only, codes "cortisol-serum-...", no waking window, the last 2
// local dates (a 24 h inpatient series past midnight is one series).
RhythmRule serum_cosinor() {
  RhythmRule r = rule(RhythmRule::Kind::cosinor);
  r.specimen = Specimen::serum_plasma;
  r.code_prefix = "cortisol-serum";
  r.waking_window.reset();
  r.days = 2;
  return r;
}

Catalogue catalogue() {
  return Catalogue({testing::cortisol()});
}

// A saliva cortisol result in nmol/L (the catalogue's canonical unit) drawn at `when` (a FHIR dateTime with zone).
Measurement sample(std::string id, double nmol_per_l, std::string when, Specimen specimen = Specimen::saliva) {
  Measurement m;
  m.reference = "Observation/" + id;
  m.version_id = "1";
  m.subject = "Patient/p1";
  m.analyte_id = "cortisol";
  m.loinc_code = specimen == Specimen::saliva ? "51844-9" : "14675-3";
  m.specimen = specimen;
  m.value = UcumValue{nmol_per_l, "nmol/L"};
  m.effective.instant = parse_fhir_date_time(when).instant.value();
  m.effective.text = std::move(when);
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// Diurnal slope

TEST(RhythmRulesSlope, LeavesOutTheAwakeningWindowAndFitsTheRest) {
  // Waking 07:00 (t = 0 h). 07:30 and 08:00 (+60 min exactly) are the awakening response: left out.
  // Kept: t = 0, 2, 4, 6 h with 20, 14, 11, 7 nmol/L. mean t = 3, mean y = 52 / 4 = 13,
  // Sxx = 9 + 1 + 1 + 9 = 20, Sxy = (-3)(7) + (-1)(1) + (1)(-2) + (3)(-6) = -42, slope = -42 / 20 = -2.1 nmol/L/h.
  // (Were 07:30 and 08:00 kept, their 30 and 28 would pull the slope elsewhere.)
  const std::vector<Measurement> ms = {
      sample("wake", 20, "2024-03-01T07:00:00+01:00"), sample("m30", 30, "2024-03-01T07:30:00+01:00"),
      sample("m60", 28, "2024-03-01T08:00:00+01:00"),  sample("h2", 14, "2024-03-01T09:00:00+01:00"),
      sample("h4", 11, "2024-03-01T11:00:00+01:00"),   sample("h6", 7, "2024-03-01T13:00:00+01:00"),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  const Gradient& g = gradients[0];
  EXPECT_EQ(g.code, "cortisol-diurnal-slope");
  EXPECT_EQ(g.subject, "Patient/p1");
  EXPECT_NEAR(g.value.value, -2.1, 1e-12);
  EXPECT_EQ(g.value.unit, "nmol/L/h");
  EXPECT_EQ(references(g), observations({"wake", "h2", "h4", "h6"}));
  ASSERT_TRUE(g.period);
  EXPECT_EQ(g.period->start, "2024-03-01T07:00:00+01:00");
  EXPECT_EQ(g.period->end, "2024-03-01T13:00:00+01:00");
  EXPECT_EQ(g.effective, ms[5].effective);
  EXPECT_FALSE(g.preliminary);
}

TEST(RhythmRulesSlope, KeepsTheSampleAtSixtyOneMinutes) {
  // Waking 07:00 = 20; 08:00 (+60 min) = 50 is left out; 08:01 (+61 min = 61/60 h) = 13.9 is kept.
  // Two points: slope = (13.9 - 20) / (61 / 60) = -6.1 x 60 / 61 = -6 nmol/L/h.
  const std::vector<Measurement> ms = {
      sample("wake", 20, "2024-03-01T07:00:00Z"),
      sample("m60", 50, "2024-03-01T08:00:00Z"),
      sample("m61", 13.9, "2024-03-01T08:01:00Z"),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -6.0, 1e-9);
  EXPECT_EQ(references(gradients[0]), observations({"wake", "m61"}));
}

TEST(RhythmRulesSlope, TakesTheMostRecentDayWithTwoDistinctTimes) {
  // 03-03: waking 07:00 and 07:30 only -> one kept point, no slope.
  // 03-02: two draws at 07:00 (both waking, t = 0) -> two points at one time, no slope.
  // 03-01: 07:00 = 20, 19:00 = 8 -> slope (8 - 20) / 12 = -1 nmol/L/h.
  const std::vector<Measurement> ms = {
      sample("d3a", 10, "2024-03-03T07:00:00+01:00"), sample("d3b", 15, "2024-03-03T07:30:00+01:00"),
      sample("d2a", 18, "2024-03-02T07:00:00+01:00"), sample("d2b", 19, "2024-03-02T07:00:00+01:00"),
      sample("d1a", 20, "2024-03-01T07:00:00+01:00"), sample("d1b", 8, "2024-03-01T19:00:00+01:00"),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -1.0, 1e-12);
  EXPECT_EQ(references(gradients[0]), observations({"d1a", "d1b"}));
}

TEST(RhythmRulesSlope, PrefersTheMostRecentDayWhenSeveralAllowIt) {
  // 1 March: (20 - 8) over 12 h -> -1 nmol/L/h. 2 March: 07:00 = 20, 17:00 = 0 -> -20 / 10 = -2 nmol/L/h.
  const std::vector<Measurement> ms = {
      sample("d1a", 20, "2024-03-01T07:00:00+01:00"),
      sample("d1b", 8, "2024-03-01T19:00:00+01:00"),
      sample("d2a", 20, "2024-03-02T07:00:00+01:00"),
      sample("d2b", 0, "2024-03-02T17:00:00+01:00"),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -2.0, 1e-12);
  EXPECT_EQ(references(gradients[0]), observations({"d2a", "d2b"}));
}

TEST(RhythmRulesSlope, NothingWhenNoDayHasTwoDistinctTimes) {
  const std::vector<Measurement> ms = {
      sample("a", 10, "2024-03-03T07:00:00+01:00"),
      sample("b", 15, "2024-03-03T07:45:00+01:00"),
      sample("c", 12, "2024-03-02T07:00:00+01:00"),
  };
  EXPECT_TRUE(compute_rhythm(kSlope, ms, catalogue()).empty());
  EXPECT_TRUE(compute_rhythm(kSlope, {}, catalogue()).empty());
}

TEST(RhythmRulesSlope, WakingWindowIsOnTheLocalClock) {
  // 2024-03-02T06:00:00+02:00 is 04:00Z: on its own clock it is inside the waking window, so it is 2 March's
  // waking sample; 2 March: 06:00 = 20, 18:00 = 8 -> slope -12 / 12 = -1 nmol/L/h. Were the window read on the UTC
  // clock, 04:00Z would be a late-night sample of 1 March and 2 March would have no waking sample.
  const std::vector<Measurement> ms = {
      sample("d1", 15, "2024-03-01T07:00:00+02:00"),
      sample("d1b", 5, "2024-03-01T19:00:00+02:00"),
      sample("wake", 20, "2024-03-02T06:00:00+02:00"),
      sample("eve", 8, "2024-03-02T18:00:00+02:00"),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -1.0, 1e-12);
  EXPECT_EQ(references(gradients[0]), observations({"wake", "eve"}));
  EXPECT_TRUE(gradients[0].notes.empty());
}

TEST(RhythmRulesSlope, LateNightSamplesAfterMidnightStayWithThePreviousDay) {
  // Review M7: a late-night sample after midnight must not become the next day's waking sample. 2 March 00:30 is
  // before the waking window (05:00), so it ends 1 March's series; 2 March's waking sample is 07:00.
  // 2 March: 07:00 = 18, 13:00 = 9 -> slope -9 / 6 = -1.5 nmol/L/h. (Were 00:30 = 3 its waking sample, the slope
  // would start near the nadir: t = 0, 6.5, 12.5 h with 3, 18, 9 gives a rising +237/469 = +0.51 nmol/L/h.)
  const std::vector<Measurement> ms = {
      sample("d1-07", 20, "2024-03-01T07:00:00+01:00"),  sample("d1-13", 10, "2024-03-01T13:00:00+01:00"),
      sample("d1-2330", 4, "2024-03-01T23:30:00+01:00"), sample("d2-0030", 3, "2024-03-02T00:30:00+01:00"),
      sample("d2-07", 18, "2024-03-02T07:00:00+01:00"),  sample("d2-13", 9, "2024-03-02T13:00:00+01:00"),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -1.5, 1e-12);
  EXPECT_EQ(references(gradients[0]), observations({"d2-07", "d2-13"}));
  EXPECT_TRUE(gradients[0].notes.empty());

  // Without 2 March's day samples, 1 March's series runs from 07:00 to 00:30 the next calendar day, t in hours
  // since waking: 0, 6, 16.5, 17.5 with 20, 10, 4, 3. Sum t = 40, mean 10; Sxx = 100 + 16 + 42.25 + 56.25 = 214.5;
  // Sxy = sum (t - 10) y = -200 - 40 + 26 + 22.5 = -191.5; slope = -191.5 / 214.5 = -383/429 nmol/L/h.
  const std::vector<Measurement> first_day(ms.begin(), ms.begin() + 4);
  const auto previous = compute_rhythm(kSlope, first_day, catalogue());
  ASSERT_EQ(previous.size(), 1u);
  EXPECT_NEAR(previous[0].value.value, -383.0 / 429.0, 1e-12);
  EXPECT_EQ(references(previous[0]), observations({"d1-07", "d1-13", "d1-2330", "d2-0030"}));
  ASSERT_TRUE(previous[0].period);
  EXPECT_EQ(previous[0].period->end, "2024-03-02T00:30:00+01:00");
}

TEST(RhythmRulesSlope, ADayWithoutAWakingSampleIsLeftOutWithANote) {
  // 2 March has no sample inside 05:00-11:00 (12:00 and 18:00): its first sample is not a waking sample, so the
  // day is left out rather than fitted from a shifted baseline. 1 March (07:00 = 20, 19:00 = 8) gives -1 nmol/L/h,
  // and a note says which day was left out and why: no silent fallback.
  const std::vector<Measurement> ms = {
      sample("d1a", 20, "2024-03-01T07:00:00+01:00"),
      sample("d1b", 8, "2024-03-01T19:00:00+01:00"),
      sample("d2a", 10, "2024-03-02T12:00:00+01:00"),
      sample("d2b", 5, "2024-03-02T18:00:00+01:00"),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -1.0, 1e-12);
  EXPECT_EQ(references(gradients[0]), observations({"d1a", "d1b"}));
  ASSERT_EQ(gradients[0].notes.size(), 1u);
  EXPECT_NE(gradients[0].notes[0].find("series of 2024-03-02 left out"), std::string::npos)
      << gradients[0].notes[0];
  EXPECT_NE(gradients[0].notes[0].find("waking window 05:00-11:00"), std::string::npos) << gradients[0].notes[0];

  // The incomplete day alone: no slope at all.
  const std::vector<Measurement> incomplete = {ms[2], ms[3]};
  EXPECT_TRUE(compute_rhythm(kSlope, incomplete, catalogue()).empty());
}

TEST(RhythmRulesSlope, NothingWithoutAWakingWindow) {
  // A slope is measured from waking; a rule without a window (a configuration error, knowledge.cpp) gives nothing.
  RhythmRule no_window = kSlope;
  no_window.waking_window.reset();
  const std::vector<Measurement> ms = {
      sample("a", 20, "2024-03-01T07:00:00+01:00"),
      sample("b", 8, "2024-03-01T19:00:00+01:00"),
  };
  EXPECT_EQ(compute_rhythm(kSlope, ms, catalogue()).size(), 1u);
  EXPECT_TRUE(compute_rhythm(no_window, ms, catalogue()).empty());
}

TEST(RhythmRulesSlope, DayIsTheLocalDateEvenWhenUtcIsTheNextDay) {
  // -05:00: 07:00, 15:00 and 23:00 local on 1 March; 23:00-05:00 is 2 March 04:00Z. On the local clock all three
  // are one day: t = 0, 8, 16 h, y = 20, 10, 2; mean t = 8, Sxx = 64 + 0 + 64 = 128,
  // Sxy = sum (t - 8) y = -8 x 20 + 0 + 8 x 2 = -144, slope = -144 / 128 = -1.125 nmol/L/h.
  // (By UTC date the 23:00 sample would be alone on 2 March and the slope would be (10 - 20) / 8 = -1.25.)
  const std::vector<Measurement> ms = {
      sample("a", 20, "2024-03-01T07:00:00-05:00"),
      sample("b", 10, "2024-03-01T15:00:00-05:00"),
      sample("c", 2, "2024-03-01T23:00:00-05:00"),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -1.125, 1e-12);
  EXPECT_EQ(references(gradients[0]), observations({"a", "b", "c"}));
}

TEST(RhythmRulesSlope, CensoredSamplesNeverEnter) {
  // A censored "<2" at 06:30 would otherwise be waking (and push 07:00 into the awakening window); a censored
  // ">100" at 19:00 would be a third point. Exact values: 07:00 = 20, 13:00 = 14 -> slope -6 / 6 = -1 nmol/L/h.
  const std::vector<Measurement> ms = {
      censored(sample("early", 2, "2024-03-01T06:30:00+01:00")),
      sample("wake", 20, "2024-03-01T07:00:00+01:00"),
      sample("noon", 14, "2024-03-01T13:00:00+01:00"),
      censored(sample("eve", 100, "2024-03-01T19:00:00+01:00"), ">"),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -1.0, 1e-12);
  EXPECT_EQ(references(gradients[0]), observations({"wake", "noon"}));
}

TEST(RhythmRulesSlope, SerumCortisolNeverEntersASalivaRule) {
  // Serum at 06:00 (would be waking) and 19:00 (would be a third point); saliva 07:00 = 20, 13:00 = 14 -> -1.
  const std::vector<Measurement> ms = {
      sample("serum-am", 400, "2024-03-01T06:00:00+01:00", Specimen::serum_plasma),
      sample("wake", 20, "2024-03-01T07:00:00+01:00"),
      sample("noon", 14, "2024-03-01T13:00:00+01:00"),
      sample("serum-pm", 100, "2024-03-01T19:00:00+01:00", Specimen::serum_plasma),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -1.0, 1e-12);
  EXPECT_EQ(references(gradients[0]), observations({"wake", "noon"}));

  // Serum only: nothing.
  const std::vector<Measurement> serum = {ms[0], ms[3]};
  EXPECT_TRUE(compute_rhythm(kSlope, serum, catalogue()).empty());
}

TEST(RhythmRulesSlope, InputsInTimeOrderWithValuesAndPreliminaryPropagates) {
  // Given newest first; one input preliminary. Kept: 07:00 = 20, 12:00 = 15, 22:00 = 2: t = 0, 5, 15, mean t 20/3,
  // Sxx = 400/9 + 25/9 + 625/9 = 1050/9, Sxy = sum (t - 20/3) y = (-400 - 75 + 50) / 3 = -425/3,
  // slope = (-425/3) x (9/1050) = -1275/1050 = -17/14 nmol/L/h.
  std::vector<Measurement> ms = {
      sample("c", 2, "2024-03-01T22:00:00+01:00"),
      sample("b", 15, "2024-03-01T12:00:00+01:00"),
      sample("a", 20, "2024-03-01T07:00:00+01:00"),
  };
  ms[1].status = ResultStatus::preliminary;
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  const Gradient& g = gradients[0];
  EXPECT_NEAR(g.value.value, -17.0 / 14.0, 1e-12);
  EXPECT_EQ(references(g), observations({"a", "b", "c"}));
  ASSERT_EQ(g.inputs.size(), 3u);
  EXPECT_EQ(g.inputs[0].value, (UcumValue{20, "nmol/L"}));
  EXPECT_EQ(g.inputs[1].status, ResultStatus::preliminary);
  EXPECT_EQ(g.inputs[2].effective, ms[0].effective);
  EXPECT_EQ(g.inputs[0].analyte_id, "cortisol");
  EXPECT_TRUE(g.preliminary);
  ASSERT_TRUE(g.period);
  EXPECT_EQ(g.period->start, "2024-03-01T07:00:00+01:00");
  EXPECT_EQ(g.period->end, "2024-03-01T22:00:00+01:00");
  EXPECT_EQ(g.effective.text, "2024-03-01T22:00:00+01:00");
}

// ---------------------------------------------------------------------------------------------------------------
// Awakening response

TEST(RhythmRulesAwakening, AreasFromWakingToSixtyMinutesInclusive) {
  // Kept: 0, 15, 30, 60 min with 10, 16, 20, 14 nmol/L. 08:01 (+61 min) and 12:00 are left out.
  // AUCg (Pruessner formula 2) = (10 + 16)/2 x 15 + (16 + 20)/2 x 15 + (20 + 14)/2 x 30 = 195 + 270 + 510 = 975.
  // AUCi (formula 3) = AUCg - m1 x total time = 975 - 10 x 60 = 375. (With 08:01 = 40 kept, AUCg would be
  // 975 + (14 + 40)/2 x 1 = 1002.)
  const std::vector<Measurement> ms = {
      sample("late", 5, "2024-03-01T12:00:00+01:00"), sample("m61", 40, "2024-03-01T08:01:00+01:00"),
      sample("m60", 14, "2024-03-01T08:00:00+01:00"), sample("m30", 20, "2024-03-01T07:30:00+01:00"),
      sample("m15", 16, "2024-03-01T07:15:00+01:00"), sample("wake", 10, "2024-03-01T07:00:00+01:00"),
  };
  const auto gradients = compute_rhythm(kCar, ms, catalogue());
  ASSERT_EQ(gradients.size(), 2u);
  const Gradient& g = gradients[0];
  const Gradient& i = gradients[1];
  EXPECT_EQ(g.code, "cortisol-car-aucg");
  EXPECT_EQ(i.code, "cortisol-car-auci");
  EXPECT_NEAR(g.value.value, 975.0, 1e-9);
  EXPECT_NEAR(i.value.value, 375.0, 1e-9);
  EXPECT_EQ(g.value.unit, "nmol.min/L");
  EXPECT_EQ(i.value.unit, "nmol.min/L");
  const auto used = observations({"wake", "m15", "m30", "m60"});
  EXPECT_EQ(references(g), used);
  EXPECT_EQ(references(i), used);
  ASSERT_TRUE(g.period);
  EXPECT_EQ(g.period->start, "2024-03-01T07:00:00+01:00");
  EXPECT_EQ(g.period->end, "2024-03-01T08:00:00+01:00");
  EXPECT_EQ(i.period, g.period);
  EXPECT_EQ(g.effective.text, "2024-03-01T08:00:00+01:00");
}

TEST(RhythmRulesAwakening, OnlyTheWakingSampleGivesNothing) {
  // +61 min is outside the window: the day has only its waking sample.
  const std::vector<Measurement> ms = {
      sample("wake", 10, "2024-03-01T07:00:00+01:00"),
      sample("m61", 18, "2024-03-01T08:01:00+01:00"),
      sample("pm", 4, "2024-03-01T20:00:00+01:00"),
  };
  EXPECT_TRUE(compute_rhythm(kCar, ms, catalogue()).empty());
}

TEST(RhythmRulesAwakening, MostRecentLocalDayWithAResponseAndSalivaExactOnly) {
  // 03-02: waking alone in its window (the +30 sample is censored, the +15 sample is serum) -> nothing that day.
  // 03-01: 0 and 30 min with 12 and 18: AUCg = (12 + 18)/2 x 30 = 450, AUCi = 450 - 12 x 30 = 90.
  std::vector<Measurement> ms = {
      sample("d2w", 9, "2024-03-02T06:00:00+01:00"),
      sample("d2s", 300, "2024-03-02T06:15:00+01:00", Specimen::serum_plasma),
      censored(sample("d2c", 1, "2024-03-02T06:30:00+01:00")),
      sample("d1w", 12, "2024-03-01T06:00:00+01:00"),
      sample("d1b", 18, "2024-03-01T06:30:00+01:00"),
  };
  ms[4].status = ResultStatus::preliminary;
  const auto gradients = compute_rhythm(kCar, ms, catalogue());
  ASSERT_EQ(gradients.size(), 2u);
  EXPECT_NEAR(gradients[0].value.value, 450.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 90.0, 1e-9);
  EXPECT_EQ(references(gradients[0]), observations({"d1w", "d1b"}));
  EXPECT_TRUE(gradients[0].preliminary);
  EXPECT_TRUE(gradients[1].preliminary);
}

TEST(RhythmRulesAwakening, PrefersTheMostRecentDayWhenSeveralAllowIt) {
  // 1 March: 0 and 30 min, 12 and 18 -> AUCg 450. 2 March: 0 and 30 min, 10 and 30 -> AUCg = (10 + 30)/2 x 30 =
  // 600, AUCi = 600 - 10 x 30 = 300.
  const std::vector<Measurement> ms = {
      sample("d1w", 12, "2024-03-01T06:00:00+01:00"),
      sample("d1b", 18, "2024-03-01T06:30:00+01:00"),
      sample("d2w", 10, "2024-03-02T06:00:00+01:00"),
      sample("d2b", 30, "2024-03-02T06:30:00+01:00"),
  };
  const auto gradients = compute_rhythm(kCar, ms, catalogue());
  ASSERT_EQ(gradients.size(), 2u);
  EXPECT_NEAR(gradients[0].value.value, 600.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 300.0, 1e-9);
  EXPECT_EQ(references(gradients[1]), observations({"d2w", "d2b"}));
}

TEST(RhythmRulesAwakening, ALateNightSampleIsNotTheNextDaysWaking) {
  // Review M7: 2 March 00:30 (late night, before the 05:00 window) belongs to 1 March's series. 2 March's waking
  // sample is 07:00 = 10, +30 min = 20: AUCg = (10 + 20)/2 x 30 = 450, AUCi = 450 - 10 x 30 = 150. (Taken as
  // waking, 00:30 would have had no sample within 60 min and the value would have come, silently, from 1 March.)
  const std::vector<Measurement> ms = {
      sample("d1w", 12, "2024-03-01T06:00:00+01:00"), sample("d1b", 18, "2024-03-01T06:30:00+01:00"),
      sample("late", 3, "2024-03-02T00:30:00+01:00"), sample("d2w", 10, "2024-03-02T07:00:00+01:00"),
      sample("d2b", 20, "2024-03-02T07:30:00+01:00"),
  };
  const auto gradients = compute_rhythm(kCar, ms, catalogue());
  ASSERT_EQ(gradients.size(), 2u);
  EXPECT_NEAR(gradients[0].value.value, 450.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 150.0, 1e-9);
  EXPECT_EQ(references(gradients[0]), observations({"d2w", "d2b"}));
  EXPECT_TRUE(gradients[0].notes.empty());
}

TEST(RhythmRulesAwakening, ADayWithoutAWakingSampleGivesNoResponseAndANote) {
  // 2 March: 11:30 and 12:00, both after the window: no waking sample, so no awakening response from a baseline
  // that is not waking. 1 March (06:00 = 12, 06:30 = 18: AUCg 450, AUCi 90) is reported with a note on 2 March.
  const std::vector<Measurement> ms = {
      sample("d1w", 12, "2024-03-01T06:00:00+01:00"),
      sample("d1b", 18, "2024-03-01T06:30:00+01:00"),
      sample("d2a", 15, "2024-03-02T11:30:00+01:00"),
      sample("d2b", 12, "2024-03-02T12:00:00+01:00"),
  };
  const auto gradients = compute_rhythm(kCar, ms, catalogue());
  ASSERT_EQ(gradients.size(), 2u);
  EXPECT_NEAR(gradients[0].value.value, 450.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 90.0, 1e-9);
  for (const auto& g : gradients) {
    ASSERT_EQ(g.notes.size(), 1u);
    EXPECT_NE(g.notes[0].find("series of 2024-03-02 left out"), std::string::npos) << g.notes[0];
  }
  const std::vector<Measurement> incomplete = {ms[2], ms[3]};
  EXPECT_TRUE(compute_rhythm(kCar, incomplete, catalogue()).empty());
}

TEST(RhythmRulesAwakening, WakingIsTheFirstSampleInsideTheWindow) {
  // 04:40 is before the window (a sample of the previous day's series), so waking is 05:10 = 8, and +30 min = 14:
  // AUCg = (8 + 14)/2 x 30 = 330, AUCi = 330 - 8 x 30 = 90.
  const std::vector<Measurement> ms = {
      sample("early", 5, "2024-03-02T04:40:00+01:00"),
      sample("wake", 8, "2024-03-02T05:10:00+01:00"),
      sample("m30", 14, "2024-03-02T05:40:00+01:00"),
  };
  const auto gradients = compute_rhythm(kCar, ms, catalogue());
  ASSERT_EQ(gradients.size(), 2u);
  EXPECT_NEAR(gradients[0].value.value, 330.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 90.0, 1e-9);
  EXPECT_EQ(references(gradients[0]), observations({"wake", "m30"}));
}

// ---------------------------------------------------------------------------------------------------------------
// Cosinor

// The exact rhythm 10 + 6 cos(2 pi (t - 8) / 24): MESOR 10, amplitude 6, peak at 08:00 local clock time.
double rhythm_at(double clock_hours) {
  return 10 + 6 * std::cos(2 * std::numbers::pi * (clock_hours - 8) / 24);
}

// "2024-03-0<day>T<hh>:00:00+02:00" with the exact rhythm's value at that clock time.
Measurement on_rhythm(std::string id, int day, int hour, std::string offset = "+02:00") {
  char when[40];
  std::snprintf(when, sizeof when, "2024-03-%02dT%02d:00:00%s", day, hour, offset.c_str());
  return sample(std::move(id), rhythm_at(hour), when);
}

void expect_components(const Gradient& g) {
  ASSERT_EQ(g.components.size(), 2u) << g.code;
  EXPECT_EQ(g.components[0].code, "cortisol-cosinor-residual-standard-error");
  EXPECT_EQ(g.components[0].value.unit, "nmol/L");
  EXPECT_EQ(g.components[1].code, "cortisol-cosinor-p-value");
  EXPECT_EQ(g.components[1].value.unit, "1");
}

TEST(RhythmRulesCosinor, RecoversAnExactRhythm) {
  // 06, 08, 10, 14, 18, 22 h local (+02:00, so UTC clock times differ by 2 h). Given newest first.
  const std::vector<Measurement> ms = {
      on_rhythm("h22", 1, 22), on_rhythm("h18", 1, 18), on_rhythm("h14", 1, 14),
      on_rhythm("h10", 1, 10), on_rhythm("h08", 1, 8),  on_rhythm("h06", 1, 6),
  };
  const auto gradients = compute_rhythm(kCosinor, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  const Gradient& mesor = gradients[0];
  const Gradient& amplitude = gradients[1];
  const Gradient& acrophase = gradients[2];
  EXPECT_EQ(mesor.code, "cortisol-cosinor-mesor");
  EXPECT_EQ(amplitude.code, "cortisol-cosinor-amplitude");
  EXPECT_EQ(acrophase.code, "cortisol-cosinor-acrophase");
  EXPECT_NEAR(mesor.value.value, 10.0, 1e-9);
  EXPECT_NEAR(amplitude.value.value, 6.0, 1e-9);
  EXPECT_NEAR(acrophase.value.value, 8.0, 1e-9);  // local clock, not 06:00Z
  EXPECT_EQ(mesor.value.unit, "nmol/L");
  EXPECT_EQ(amplitude.value.unit, "nmol/L");
  EXPECT_EQ(acrophase.value.unit, "h");
  for (const Gradient* g : {&mesor, &amplitude, &acrophase}) {
    expect_components(*g);
    EXPECT_EQ(g->components, mesor.components);
    EXPECT_EQ(references(*g), observations({"h06", "h08", "h10", "h14", "h18", "h22"}));
    ASSERT_TRUE(g->period);
    EXPECT_EQ(g->period->start, "2024-03-01T06:00:00+02:00");
    EXPECT_EQ(g->period->end, "2024-03-01T22:00:00+02:00");
    EXPECT_EQ(g->effective.text, "2024-03-01T22:00:00+02:00");
  }
  // A perfect fit: no residual, p-value 0 (rhythm.hpp's contract for RSS zero to rounding).
  EXPECT_NEAR(mesor.components[0].value.value, 0.0, 1e-9);
  EXPECT_NEAR(mesor.components[1].value.value, 0.0, 1e-9);
}

TEST(RhythmRulesCosinor, ComponentsAreTheFitOfTheSelectedSamples) {
  // Noisy values: the components must be those of fit_cosinor on exactly these (local clock hours, value) points.
  const std::vector<TimedValue> points = {{6, 14}, {9, 17}, {12, 13}, {15, 9}, {19, 8}, {23, 5}};
  std::vector<Measurement> ms;
  for (const auto& p : points) {
    char when[40];
    std::snprintf(when, sizeof when, "2024-03-01T%02d:00:00-03:00", static_cast<int>(p.hours));
    ms.push_back(sample("h" + std::to_string(static_cast<int>(p.hours)), p.value, when));
  }
  const auto expected = fit_cosinor(points, 24.0);
  ASSERT_TRUE(expected);
  ASSERT_GT(expected->residual_standard_error, 0.1);  // the check below is not a trivial 0 == 0
  const auto gradients = compute_rhythm(kCosinor, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_NEAR(gradients[0].value.value, expected->mesor, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, expected->amplitude, 1e-9);
  EXPECT_NEAR(gradients[2].value.value, expected->acrophase_hours, 1e-9);
  for (const auto& g : gradients) {
    expect_components(g);
    EXPECT_NEAR(g.components[0].value.value, expected->residual_standard_error, 1e-9);
    EXPECT_NEAR(g.components[1].value.value, expected->p_value, 1e-9);
  }
}

TEST(RhythmRulesCosinor, EnforcesMinSamples) {
  // Five exact samples spanning 16 h: too few for the shipped 6 (review L13: 4 samples leave the F test 1 residual
  // degree of freedom), enough for a rule asking the arithmetic minimum 4; the sixth makes the shipped rule fit.
  std::vector<Measurement> ms = {
      on_rhythm("a", 1, 6),  on_rhythm("b", 1, 10), on_rhythm("c", 1, 14),
      on_rhythm("d", 1, 18), on_rhythm("e", 1, 22),
  };
  EXPECT_TRUE(compute_rhythm(kCosinor, ms, catalogue()).empty());
  EXPECT_EQ(compute_rhythm(four_samples(kCosinor), ms, catalogue()).size(), 3u);
  ms.push_back(on_rhythm("f", 1, 12));
  const auto gradients = compute_rhythm(kCosinor, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_EQ(gradients[0].inputs.size(), 6u);
}

TEST(RhythmRulesCosinor, LeavesOutTheAwakeningResponseSamples) {
  // Waking 06:00; 06:30 and 07:00 (+30, +60 min) carry an awakening burst far off the circadian curve (+8 nmol/L).
  // They are left out (review L13), and the six others are the exact rhythm 10 + 6 cos(2 pi (t - 8) / 24). 07:01
  // (+61 min) is outside the awakening response and on the curve, so it stays.
  std::vector<Measurement> ms = {
      on_rhythm("h06", 1, 6),
      sample("m30", rhythm_at(6.5) + 8, "2024-03-01T06:30:00+02:00"),
      sample("m60", rhythm_at(7) + 8, "2024-03-01T07:00:00+02:00"),
      sample("m61", rhythm_at(7 + 1.0 / 60), "2024-03-01T07:01:00+02:00"),
      on_rhythm("h12", 1, 12),
      on_rhythm("h16", 1, 16),
      on_rhythm("h20", 1, 20),
      on_rhythm("h23", 1, 23),
  };
  const auto gradients = compute_rhythm(kCosinor, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_NEAR(gradients[0].value.value, 10.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 6.0, 1e-9);
  EXPECT_NEAR(gradients[2].value.value, 8.0, 1e-9);
  EXPECT_EQ(references(gradients[0]), observations({"h06", "m61", "h12", "h16", "h20", "h23"}));

  // Without the window (as for serum) the burst stays in and the fit is no longer the curve.
  RhythmRule no_window = kCosinor;
  no_window.waking_window.reset();
  const auto biased = compute_rhythm(no_window, ms, catalogue());
  ASSERT_EQ(biased.size(), 3u);
  EXPECT_EQ(biased[0].inputs.size(), 8u);
  EXPECT_GT(std::abs(biased[0].value.value - 10.0), 0.1);
}

TEST(RhythmRulesCosinor, CountsSamplesAfterTheAwakeningResponseIsLeftOut) {
  // Six samples, two of them the awakening response (+20 and +45 min after the 07:00 waking): four remain, fewer
  // than the shipped 6.
  const std::vector<Measurement> ms = {
      on_rhythm("h07", 1, 7),
      sample("m20", 18, "2024-03-01T07:20:00+02:00"),
      sample("m45", 16, "2024-03-01T07:45:00+02:00"),
      on_rhythm("h12", 1, 12),
      on_rhythm("h17", 1, 17),
      on_rhythm("h22", 1, 22),
  };
  EXPECT_TRUE(compute_rhythm(kCosinor, ms, catalogue()).empty());
  EXPECT_EQ(compute_rhythm(four_samples(kCosinor), ms, catalogue())[0].inputs.size(), 4u);
}

TEST(RhythmRulesCosinor, EnforcesMinSpanOnTheClockNotElapsedTime) {
  // Day 1 08:00 and 12:00, day 2 10:00 and 14:00: 30 h elapsed, but the clock times span 08:00-14:00 = 6 h.
  const std::vector<Measurement> ms = {
      on_rhythm("a", 1, 8),
      on_rhythm("b", 1, 12),
      on_rhythm("c", 2, 10),
      on_rhythm("d", 2, 14),
  };
  const RhythmRule four = four_samples(kCosinor);
  EXPECT_TRUE(compute_rhythm(four, ms, catalogue()).empty());  // shipped: 12 h
  RhythmRule six = four;
  six.min_span_hours = 6;  // inclusive: exactly 6 h is enough
  const auto gradients = compute_rhythm(six, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_NEAR(gradients[0].value.value, 10.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 6.0, 1e-9);
  EXPECT_NEAR(gradients[2].value.value, 8.0, 1e-9);
  RhythmRule more = four;
  more.min_span_hours = 6.01;
  EXPECT_TRUE(compute_rhythm(more, ms, catalogue()).empty());
}

TEST(RhythmRulesCosinor, CombinesTwoDays) {
  // Three samples a day: neither day alone reaches 4 samples; together they give the exact rhythm.
  const std::vector<Measurement> ms = {
      on_rhythm("d2-22", 2, 22), on_rhythm("d1-06", 1, 6),  on_rhythm("d2-08", 2, 8),
      on_rhythm("d1-10", 1, 10), on_rhythm("d2-18", 2, 18), on_rhythm("d1-14", 1, 14),
  };
  const auto gradients = compute_rhythm(kCosinor, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_NEAR(gradients[0].value.value, 10.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 6.0, 1e-9);
  EXPECT_NEAR(gradients[2].value.value, 8.0, 1e-9);
  EXPECT_EQ(references(gradients[0]), observations({"d1-06", "d1-10", "d1-14", "d2-08", "d2-18", "d2-22"}));
  ASSERT_TRUE(gradients[0].period);
  EXPECT_EQ(gradients[0].period->start, "2024-03-01T06:00:00+02:00");
  EXPECT_EQ(gradients[0].period->end, "2024-03-02T22:00:00+02:00");
}

TEST(RhythmRulesCosinor, LeavesOutDaysBeforeTheWindow) {
  // Latest sample on 5 March, days 3: 3, 4 and 5 March are in; 1 and 2 March (far-off values) are left out.
  // Censored and serum samples inside the window are left out too. Only then is the fit the exact rhythm.
  const std::vector<Measurement> ms = {
      sample("old1", 90, "2024-03-01T12:00:00+02:00"),
      sample("old2", 1, "2024-03-01T20:00:00+02:00"),
      sample("old3", 70, "2024-03-02T23:00:00+02:00"),
      on_rhythm("d3-06", 3, 6),
      on_rhythm("d3-14", 3, 14),
      on_rhythm("d4-10", 4, 10),
      censored(sample("cens", 50, "2024-03-04T16:00:00+02:00")),
      sample("serum", 400, "2024-03-04T17:00:00+02:00", Specimen::serum_plasma),
      on_rhythm("d4-18", 4, 18),
      on_rhythm("d5-08", 5, 8),
      on_rhythm("d5-22", 5, 22),
  };
  const auto gradients = compute_rhythm(kCosinor, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_NEAR(gradients[0].value.value, 10.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 6.0, 1e-9);
  EXPECT_NEAR(gradients[2].value.value, 8.0, 1e-9);
  EXPECT_EQ(references(gradients[0]), observations({"d3-06", "d3-14", "d4-10", "d4-18", "d5-08", "d5-22"}));
  ASSERT_TRUE(gradients[0].period);
  EXPECT_EQ(gradients[0].period->start, "2024-03-03T06:00:00+02:00");

  RhythmRule one_day = kCosinor;
  one_day.days = 1;  // 5 March alone: two samples, too few
  EXPECT_TRUE(compute_rhythm(one_day, ms, catalogue()).empty());
}

TEST(RhythmRulesCosinor, DayWindowUsesLocalDates) {
  // Without a waking window (the serum rule) a day is the local date. 2024-03-04T00:30:00+02:00 is 3 March 22:30Z.
  // With days 1 the series is the local 4 March only: 00:30 is on it, so the latest day is 4 March and the 3 March
  // samples are out -> too few samples. With days 2 all five enter (3 March 06, 10, 14, 18 on the rhythm; 4 March
  // 00:30 on the rhythm too).
  std::vector<Measurement> ms = {
      on_rhythm("a", 3, 6),
      on_rhythm("b", 3, 10),
      on_rhythm("c", 3, 14),
      on_rhythm("d", 3, 18),
      sample("e", rhythm_at(0.5), "2024-03-04T00:30:00+02:00"),
  };
  RhythmRule one_day = four_samples(kCosinor);
  one_day.waking_window.reset();
  one_day.days = 1;
  EXPECT_TRUE(compute_rhythm(one_day, ms, catalogue()).empty());
  RhythmRule two_days = one_day;
  two_days.days = 2;
  const auto gradients = compute_rhythm(two_days, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_EQ(gradients[0].inputs.size(), 5u);
  EXPECT_NEAR(gradients[2].value.value, 8.0, 1e-9);

  // With the waking window the 00:30 sample is a late-night sample of 3 March's series: days 1 then takes all
  // five.
  RhythmRule waking_day = four_samples(kCosinor);
  waking_day.days = 1;
  const auto with_window = compute_rhythm(waking_day, ms, catalogue());
  ASSERT_EQ(with_window.size(), 3u);
  EXPECT_EQ(with_window[0].inputs.size(), 5u);
}

// ---------------------------------------------------------------------------------------------------------------
// Waking stated in the data (review M7): a component of a site-set code (no standard LOINC code for "time of
// awakening" was found, config/rules/gradients.yaml), valueTime or valueDateTime.

// A placeholder site code, as in the example commented out in config/rules/gradients.yaml.
const fhir::Coding kWakingCode{"http://hospital.example.org/fhir/CodeSystem/saliva-collection", "",
                               "time-of-awakening", ""};

RhythmRule stating(RhythmRule r) {
  r.waking_time_codes = {{kWakingCode.system, kWakingCode.code}};
  return r;
}

// The sample with a component stating the waking: a clock time ("09:40:00") or a dateTime (with a "T").
Measurement states_waking(Measurement m, std::string value, fhir::Coding code = kWakingCode) {
  const bool date_time = value.find('T') != std::string::npos;
  m.time_components.push_back({{std::move(code)}, date_time ? value : "", date_time ? "" : value});
  return m;
}

// A noisy day: a 07:00 sample (inside the 05:00-11:00 window, drawn before the patient got up) and the waking
// stated as 09:40 on the 09:40 sample.
std::vector<Measurement> noisy_day(fhir::Coding code = kWakingCode) {
  return {sample("night", 9, "2024-03-01T07:00:00+01:00"),
          states_waking(sample("wake", 12, "2024-03-01T09:40:00+01:00"), "09:40:00", std::move(code)),
          sample("m30", 20, "2024-03-01T10:10:00+01:00"),
          sample("m45", 18, "2024-03-01T10:25:00+01:00"),
          sample("h4", 10, "2024-03-01T13:40:00+01:00"),
          sample("h10", 4, "2024-03-01T19:40:00+01:00")};
}

TEST(RhythmRulesStatedWaking, AStatedWakingLaterThanTheFirstInWindowSampleMovesTheSlopeBaseline) {
  // Waking stated 09:40: the 07:00 sample is before it (the previous day's series), 10:10 and 10:25 are the
  // awakening response. Kept: t = 0, 4, 10 h (hours since 09:40) with 12, 10, 4 nmol/L.
  // Sxx = 116 - 14^2/3 = 152/3, Sxy = 80 - 14 x 26/3 = -124/3, slope = -124/152 = -31/38 nmol/L/h.
  const auto ms = noisy_day();
  const auto gradients = compute_rhythm(stating(kSlope), ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -31.0 / 38.0, 1e-12);
  EXPECT_EQ(references(gradients[0]), observations({"wake", "h4", "h10"}));
  ASSERT_TRUE(gradients[0].period);
  EXPECT_EQ(gradients[0].period->start, "2024-03-01T09:40:00+01:00");
  EXPECT_TRUE(gradients[0].notes.empty());
}

TEST(RhythmRulesStatedWaking, AComponentOfAnotherCodeIsIgnored) {
  // The same day with the waking stated under a code the rule does not name (the site's code in another system):
  // the window decides, and the 07:00 sample is the waking sample.
  const auto ms = noisy_day(fhir::Coding{"http://other.example.org/codes", "", kWakingCode.code, ""});
  const auto with_codes = compute_rhythm(stating(kSlope), ms, catalogue());
  const auto window_only = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(with_codes.size(), 1u);
  ASSERT_EQ(window_only.size(), 1u);
  EXPECT_EQ(with_codes[0].value, window_only[0].value);
  EXPECT_EQ(references(with_codes[0]), observations({"night", "wake", "m30", "m45", "h4", "h10"}));
}

// A night-shift day: waking stated by valueDateTime at 14:00, samples to 06:00 the next morning.
std::vector<Measurement> night_shift() {
  return {states_waking(sample("w", 8, "2024-03-01T14:00:00+01:00"), "2024-03-01T14:00:00+01:00"),
          sample("m30", 14, "2024-03-01T14:30:00+01:00"),
          sample("m45", 12, "2024-03-01T14:45:00+01:00"),
          sample("h4", 7, "2024-03-01T18:00:00+01:00"),
          sample("h8", 5, "2024-03-01T22:00:00+01:00"),
          sample("h12", 3, "2024-03-02T02:00:00+01:00"),
          sample("h16", 2, "2024-03-02T06:00:00+01:00")};
}

TEST(RhythmRulesStatedWaking, ANightShiftWakingByDateTimeFormsADayFromIt) {
  // The window 05:00-11:00 alone finds no waking on 1 March and only 06:00 on 2 March: no slope, no response.
  const auto ms = night_shift();
  EXPECT_TRUE(compute_rhythm(kSlope, ms, catalogue()).empty());
  EXPECT_TRUE(compute_rhythm(kCar, ms, catalogue()).empty());
  // Stated 14:00: one series to 06:00 (inside 24 h). Slope over t = 0, 4, 8, 12, 16 h with 8, 7, 5, 3, 2:
  // Sxx = 480 - 40^2/5 = 160, Sxy = 136 - 40 x 25/5 = -64, slope = -0.4 nmol/L/h. The 06:00 sample is not a
  // next day's waking sample.
  const auto slope = compute_rhythm(stating(kSlope), ms, catalogue());
  ASSERT_EQ(slope.size(), 1u);
  EXPECT_NEAR(slope[0].value.value, -0.4, 1e-12);
  EXPECT_EQ(references(slope[0]), observations({"w", "h4", "h8", "h12", "h16"}));
  // Awakening response from 14:00 = 8, +30 = 14, +45 = 12: AUCg = (8 + 14)/2 x 30 + (14 + 12)/2 x 15 = 525,
  // AUCi = 525 - 8 x 45 = 165.
  const auto car = compute_rhythm(stating(kCar), ms, catalogue());
  ASSERT_EQ(car.size(), 2u);
  EXPECT_NEAR(car[0].value.value, 525.0, 1e-9);
  EXPECT_NEAR(car[1].value.value, 165.0, 1e-9);
  EXPECT_EQ(references(car[0]), observations({"w", "m30", "m45"}));
}

TEST(RhythmRulesStatedWaking, TheCosinorLeavesOutTheAwakeningSamplesCountedFromTheStatedWaking) {
  // The window alone keeps all 7 samples (its only waking sample, 06:00, has none after it within 60 min); from
  // the stated 14:00 the +30 and +45 min samples are left out and the waking sample kept.
  const auto ms = night_shift();
  const auto window_only = compute_rhythm(four_samples(kCosinor), ms, catalogue());
  ASSERT_EQ(window_only.size(), 3u);
  EXPECT_EQ(window_only[0].inputs.size(), 7u);
  const auto stated = compute_rhythm(stating(four_samples(kCosinor)), ms, catalogue());
  ASSERT_EQ(stated.size(), 3u);
  EXPECT_EQ(references(stated[0]), observations({"w", "h4", "h8", "h12", "h16"}));
}

TEST(RhythmRulesStatedWaking, AValueTimeLaterThanTheSampleClockIsTheDayBefore) {
  // 23:50 stated on the 00:20 sample of 2 March is 1 March 23:50. Its series: 23:52 (2 min after, the waking
  // sample) = 6, 00:20 (+30 min) = 10, 00:35 (+45 min) = 9; minutes since 23:50: 2, 30, 45.
  // AUCg = (6 + 10)/2 x 28 + (10 + 9)/2 x 15 = 366.5, AUCi = 366.5 - 6 x 43 = 108.5. Read as 2 March 23:50, the
  // waking would follow every sample, and the window (no sample inside 05:00-11:00) would give nothing.
  const std::vector<Measurement> ms = {
      sample("w", 6, "2024-03-01T23:52:00+01:00"),
      states_waking(sample("m30", 10, "2024-03-02T00:20:00+01:00"), "23:50:00"),
      sample("m45", 9, "2024-03-02T00:35:00+01:00"),
  };
  const auto gradients = compute_rhythm(stating(kCar), ms, catalogue());
  ASSERT_EQ(gradients.size(), 2u);
  EXPECT_NEAR(gradients[0].value.value, 366.5, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 108.5, 1e-9);
  EXPECT_EQ(references(gradients[0]), observations({"w", "m30", "m45"}));
}

TEST(RhythmRulesStatedWaking, AFirstSampleTwentyMinutesAfterTheStatedWakingGivesNoResponseAndANote) {
  // 2 March: waking stated 07:00, first sample 07:20. The awakening response needs the first sample within 5 min
  // of waking (kMaxWakingSampleDelay: Stalder T et al., Psychoneuroendocrinology 2016;63:414-432, the CAR expert
  // consensus, asks for it on awakening; Smyth N et al., Psychoneuroendocrinology 2013;38:1476-1483: delays of
  // 5-15 min overestimated the CAR), so 2 March gives none, and says why. 1 March (no waking stated; window
  // waking 07:00 = 10, 07:30 = 16, 07:45 = 14): AUCg = 13 x 30 + 15 x 15 = 615, AUCi = 615 - 10 x 45 = 165.
  const std::vector<Measurement> ms = {
      sample("d1w", 10, "2024-03-01T07:00:00+01:00"),
      sample("d1b", 16, "2024-03-01T07:30:00+01:00"),
      sample("d1c", 14, "2024-03-01T07:45:00+01:00"),
      states_waking(sample("d2a", 15, "2024-03-02T07:20:00+01:00"), "07:00:00"),
      sample("d2b", 17, "2024-03-02T07:50:00+01:00"),
      sample("d2c", 14, "2024-03-02T08:05:00+01:00"),
  };
  const auto gradients = compute_rhythm(stating(kCar), ms, catalogue());
  ASSERT_EQ(gradients.size(), 2u);
  EXPECT_NEAR(gradients[0].value.value, 615.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 165.0, 1e-9);
  EXPECT_EQ(references(gradients[0]), observations({"d1w", "d1b", "d1c"}));
  ASSERT_EQ(gradients[0].notes.size(), 1u);
  const std::string& note = gradients[0].notes[0];
  EXPECT_NE(note.find("series of 2024-03-02 left out: its first sample was drawn 20 min after the stated waking "
                      "at 07:00 (local time), and the awakening response needs one within 5 min of waking"),
            std::string::npos)
      << note;
  EXPECT_NE(note.find("Stalder"), std::string::npos) << note;
}

// ---------------------------------------------------------------------------------------------------------------
// Serum cortisol day curve

// The single-component cosinor solved independently of rhythm.cpp: the normal equations of Cornelissen G,
// Cosinor-based rhythmometry, Theor Biol Med Model 2014;11:16 (section "Single-component cosinor", uncentred form)
//   sum y      = M n      + beta sum x   + gamma sum z
//   sum y x    = M sum x  + beta sum x^2 + gamma sum x z
//   sum y z    = M sum z  + beta sum x z + gamma sum z^2,   x = cos(2 pi t / 24), z = sin(2 pi t / 24),
// by Cramer's rule; amplitude sqrt(beta^2 + gamma^2), acrophase phi = atan2(-gamma, beta) (a negative angle), as a
// clock time -phi / (2 pi) x 24 h.
struct Cosinor {
  double mesor, amplitude, acrophase_hours;
};

Cosinor cornelissen(const std::vector<TimedValue>& points) {
  double n = 0, sx = 0, sz = 0, sxx = 0, szz = 0, sxz = 0, sy = 0, syx = 0, syz = 0;
  for (const auto& p : points) {
    const double x = std::cos(2 * std::numbers::pi * p.hours / 24);
    const double z = std::sin(2 * std::numbers::pi * p.hours / 24);
    n += 1, sx += x, sz += z, sxx += x * x, szz += z * z, sxz += x * z;
    sy += p.value, syx += p.value * x, syz += p.value * z;
  }
  const auto det = [](double a, double b, double c, double d, double e, double f, double g, double h, double i) {
    return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  };
  const double d = det(n, sx, sz, sx, sxx, sxz, sz, sxz, szz);
  const double m = det(sy, sx, sz, syx, sxx, sxz, syz, sxz, szz) / d;
  const double beta = det(n, sy, sz, sx, syx, sxz, sz, syz, szz) / d;
  const double gamma = det(n, sx, sy, sx, sxx, syx, sz, sxz, syz) / d;
  const double phi = std::atan2(-gamma, beta);
  double clock = -phi / (2 * std::numbers::pi) * 24;
  if (clock < 0) clock += 24;
  return {m, std::hypot(beta, gamma), clock};
}

TEST(RhythmRulesSerum, ADayCurveGivesTheSerumCosinorCodesAndTheCornelissenFit) {
  // Six serum cortisol draws over 24 h from 08:00 to 04:00 the next calendar day (local +01:00), a diurnal shape
  // (illustrative values: highest in the morning, lowest around midnight, rising again before waking). The shipped
  // serum rule takes both local dates (days 2), needs no waking window and writes cortisol-serum-* codes.
  const std::vector<Measurement> ms = {
      sample("s08", 450, "2026-11-20T08:00:00+01:00", Specimen::serum_plasma),
      sample("s12", 310, "2026-11-20T12:00:00+01:00", Specimen::serum_plasma),
      sample("s16", 220, "2026-11-20T16:00:00+01:00", Specimen::serum_plasma),
      sample("s20", 140, "2026-11-20T20:00:00+01:00", Specimen::serum_plasma),
      sample("s00", 45, "2026-11-21T00:00:00+01:00", Specimen::serum_plasma),
      sample("s04", 160, "2026-11-21T04:00:00+01:00", Specimen::serum_plasma),
  };
  const RhythmRule rule = serum_cosinor();
  const auto gradients = compute_rhythm(rule, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_EQ(gradients[0].code, "cortisol-serum-cosinor-mesor");
  EXPECT_EQ(gradients[1].code, "cortisol-serum-cosinor-amplitude");
  EXPECT_EQ(gradients[2].code, "cortisol-serum-cosinor-acrophase");
  EXPECT_EQ(rhythm_codes(rule),
            (std::vector<std::string>{gradients[0].code, gradients[1].code, gradients[2].code}));
  EXPECT_EQ(gradients[0].display, "Cortisol (serum-plasma) 24 h cosinor MESOR");
  EXPECT_EQ(gradients[0].components[0].code, "cortisol-serum-cosinor-residual-standard-error");
  EXPECT_EQ(gradients[0].components[1].code, "cortisol-serum-cosinor-p-value");

  const Cosinor expected = cornelissen({{8, 450}, {12, 310}, {16, 220}, {20, 140}, {0, 45}, {4, 160}});
  // Equally spaced over one whole cycle the normal equations are diagonal: M is the mean, 1325 / 6.
  EXPECT_NEAR(expected.mesor, 1325.0 / 6.0, 1e-9);
  EXPECT_NEAR(gradients[0].value.value, expected.mesor, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, expected.amplitude, 1e-9);
  EXPECT_NEAR(gradients[2].value.value, expected.acrophase_hours, 1e-9);
  EXPECT_GT(gradients[2].value.value, 6.0);  // a morning peak
  EXPECT_LT(gradients[2].value.value, 12.0);
  EXPECT_EQ(references(gradients[0]), observations({"s08", "s12", "s16", "s20", "s00", "s04"}));

  // The saliva rules never see these draws, and the serum rule never sees saliva.
  EXPECT_TRUE(compute_rhythm(kCosinor, ms, catalogue()).empty());
  EXPECT_TRUE(compute_rhythm(kSlope, ms, catalogue()).empty());
}

TEST(RhythmRulesSerum, ADoseCurveUnderHydrocortisoneHasSerumCodes) {
  // A serum day curve under hydrocortisone 07:30 and 12:00 (timings as dosing.hpp gives them, oral peak window
  // 0.33-2 h after a dose: hydrocortisone SmPC 5.2 as in config/terminology/medications.yaml): the peak is the
  // highest draw in a peak window, the trough the draw longest after its dose.
  const std::vector<Measurement> ms = {
      sample("s07", 60, "2026-11-20T07:00:00+01:00", Specimen::serum_plasma),
      sample("s0830", 700, "2026-11-20T08:30:00+01:00", Specimen::serum_plasma),
      sample("s1130", 250, "2026-11-20T11:30:00+01:00", Specimen::serum_plasma),
      sample("s13", 520, "2026-11-20T13:00:00+01:00", Specimen::serum_plasma),
      sample("s18", 150, "2026-11-20T18:00:00+01:00", Specimen::serum_plasma),
      sample("s22", 70, "2026-11-20T22:00:00+01:00", Specimen::serum_plasma),
  };
  const auto timing = [](std::string id, double hours, DosePhase phase) {
    DoseTiming t;
    t.measurement = "Observation/" + id;
    t.medication_id = "hydrocortisone";
    t.medication_display = "Hydrocortisone";
    t.exposure = "MedicationStatement/hc";
    t.route = Route::oral;
    t.hours_since_dose = hours;
    t.phase = phase;
    return t;
  };
  const std::vector<DoseTiming> timings = {
      timing("s07", 19, DosePhase::after_peak),  timing("s0830", 1, DosePhase::expected_peak),
      timing("s1130", 4, DosePhase::after_peak), timing("s13", 1, DosePhase::expected_peak),
      timing("s18", 6, DosePhase::after_peak),   timing("s22", 10, DosePhase::after_peak),
  };
  const RhythmRule rule = serum_cosinor();
  const auto gradients = compute_dose_curve(rule, ms, timings, catalogue());
  ASSERT_EQ(gradients.size(), 2u);
  EXPECT_EQ(gradients[0].code, "cortisol-serum-dose-peak");
  EXPECT_EQ(gradients[1].code, "cortisol-serum-dose-trough");
  EXPECT_EQ(dose_curve_codes(rule), (std::vector<std::string>{gradients[0].code, gradients[1].code}));
  EXPECT_DOUBLE_EQ(gradients[0].value.value, 700);
  EXPECT_EQ(references(gradients[0]), observations({"s0830"}));
  EXPECT_DOUBLE_EQ(gradients[1].value.value, 60);  // 07:00, before the day's first dose, 19 h after the last
  EXPECT_EQ(references(gradients[1]), observations({"s07"}));
  EXPECT_TRUE(gradients[0].dose_curve);

  // The saliva rule's dose curve keeps the contract codes and finds no saliva here.
  EXPECT_EQ(dose_curve_codes(kCosinor), (std::vector<std::string>{"cortisol-dose-peak", "cortisol-dose-trough"}));
  EXPECT_TRUE(compute_dose_curve(kCosinor, ms, timings, catalogue()).empty());
}

TEST(RhythmRulesSerum, OneOrAFewDrawsAreNotADoseCurve) {
  // A dose curve is a day's series: 4 timed samples spanning 12 h (issue 8, item 4). One serum cortisol 1 h after
  // hydrocortisone (peak 0.33-2 h: hydrocortisone SmPC 5.2) is not a "peak" of a curve, and three draws over
  // 15 h, or four over 11 h, are not a day curve either.
  const auto timing = [](std::string id, double hours, DosePhase phase) {
    DoseTiming t;
    t.measurement = "Observation/" + id;
    t.medication_id = "hydrocortisone";
    t.medication_display = "Hydrocortisone";
    t.exposure = "MedicationStatement/hc";
    t.route = Route::oral;
    t.hours_since_dose = hours;
    t.phase = phase;
    return t;
  };
  const RhythmRule rule = serum_cosinor();
  const std::vector<Measurement> one = {sample("s0830", 700, "2026-11-20T08:30:00+01:00", Specimen::serum_plasma)};
  EXPECT_TRUE(compute_dose_curve(rule, one, std::vector{timing("s0830", 1, DosePhase::expected_peak)}, catalogue())
                  .empty());
  const std::vector<Measurement> three = {
      sample("s07", 60, "2026-11-20T07:00:00+01:00", Specimen::serum_plasma),
      sample("s0830", 700, "2026-11-20T08:30:00+01:00", Specimen::serum_plasma),
      sample("s22", 70, "2026-11-20T22:00:00+01:00", Specimen::serum_plasma)};
  const std::vector<DoseTiming> three_timed = {timing("s07", 19, DosePhase::after_peak),
                                               timing("s0830", 1, DosePhase::expected_peak),
                                               timing("s22", 10, DosePhase::after_peak)};
  EXPECT_TRUE(compute_dose_curve(rule, three, three_timed, catalogue()).empty());
  const std::vector<Measurement> short_day = {
      sample("s07", 60, "2026-11-20T07:00:00+01:00", Specimen::serum_plasma),
      sample("s0830", 700, "2026-11-20T08:30:00+01:00", Specimen::serum_plasma),
      sample("s13", 520, "2026-11-20T13:00:00+01:00", Specimen::serum_plasma),
      sample("s1730", 150, "2026-11-20T17:30:00+01:00", Specimen::serum_plasma)};
  const std::vector<DoseTiming> short_timed = {
      timing("s07", 19, DosePhase::after_peak), timing("s0830", 1, DosePhase::expected_peak),
      timing("s13", 1, DosePhase::expected_peak), timing("s1730", 5.5, DosePhase::after_peak)};
  EXPECT_TRUE(compute_dose_curve(rule, short_day, short_timed, catalogue()).empty());
}

TEST(RhythmRulesSerum, SerumAndSalivaUnderReplacementEachGetTheirOwnDoseCurve) {
  // Through analyze(): one patient, a saliva and a serum series on the same day under hydrocortisone 07:30 and
  // 12:00 (oral, peak 0.33-2 h: hydrocortisone SmPC 5.2, as in config/terminology/medications.yaml). Each series
  // is evaluated once, with its own codes; no rhythm is reported for either.
  Knowledge knowledge;
  knowledge.catalogue = catalogue();
  Medication hydrocortisone;
  hydrocortisone.id = "hydrocortisone";
  hydrocortisone.display = "Hydrocortisone";
  hydrocortisone.affects = {"cortisol"};
  hydrocortisone.glucocorticoid = true;
  hydrocortisone.codes = {{"http://www.whocc.no/atc", "H02AB09"}};
  hydrocortisone.names = {"hydrocortisone"};
  hydrocortisone.routes = {{Route::oral, 0.33, 2.0, "SmPC 5.2", 24, "SmPC 4.2", {}, {}, std::nullopt}};
  knowledge.medications.medications = {hydrocortisone};
  knowledge.rules.rhythms = {kSlope, kCosinor, serum_cosinor()};

  fhir::MedicationUse use;
  use.resource_type = "MedicationStatement";
  use.id = "hc";
  use.status = "active";
  use.medication_codeable_concept = fhir::CodeableConcept{{{"http://www.whocc.no/atc", "", "H02AB09", ""}}, ""};
  use.subject.reference = "Patient/p1";
  use.effective_period = fhir::Period{"2026-11-01", ""};
  fhir::Dosage dosage;
  dosage.route = fhir::CodeableConcept{{{"http://snomed.info/sct", "", "26643006", "Oral route"}}, ""};
  dosage.timing = fhir::Timing{{}, fhir::TimingRepeat{}, std::nullopt};
  dosage.timing->repeat->time_of_day = {"07:30:00", "12:00:00"};
  use.dosage = {dosage};
  const std::vector<fhir::MedicationUse> medications{use};

  std::vector<fhir::Observation> observations;
  const auto add = [&](std::string id, const char* loinc, double nmol_per_l, std::string when) {
    observations.push_back(testing::lab_result(std::move(id), loinc, nmol_per_l, "nmol/L", std::move(when)));
  };
  add("sal07", "51844-9", 4, "2026-11-20T07:00:00+01:00");
  add("sal0830", "51844-9", 30, "2026-11-20T08:30:00+01:00");
  add("sal22", "51844-9", 3, "2026-11-20T22:00:00+01:00");
  add("sal15", "51844-9", 8, "2026-11-20T15:00:00+01:00");
  add("ser07", "14675-3", 60, "2026-11-20T07:00:00+01:00");
  add("ser0830", "14675-3", 700, "2026-11-20T08:30:00+01:00");
  add("ser18", "14675-3", 150, "2026-11-20T18:00:00+01:00");
  add("ser22", "14675-3", 90, "2026-11-20T22:00:00+01:00");

  PatientFacts patient;
  patient.reference = "Patient/p1";
  const auto as_of = parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc;
  const auto analysis = analyze(patient, observations, medications, knowledge, as_of);
  std::vector<std::string> codes;
  for (const auto& g : analysis.gradients) codes.push_back(g.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"cortisol-dose-peak", "cortisol-dose-trough",
                                             "cortisol-serum-dose-peak", "cortisol-serum-dose-trough"}));
  EXPECT_DOUBLE_EQ(analysis.gradients[0].value.value, 30);   // saliva 08:30, 1 h after 07:30
  EXPECT_DOUBLE_EQ(analysis.gradients[1].value.value, 4);    // saliva 07:00, 19 h after the 12:00 dose
  EXPECT_DOUBLE_EQ(analysis.gradients[2].value.value, 700);  // serum 08:30
  EXPECT_DOUBLE_EQ(analysis.gradients[3].value.value, 60);   // serum 07:00
  ASSERT_EQ(analysis.notes.size(), 2u);
  EXPECT_EQ(analysis.notes[0].rfind("Cortisol (saliva)", 0), 0u) << analysis.notes[0];
  EXPECT_EQ(analysis.notes[1].rfind("Cortisol (serum-plasma)", 0), 0u) << analysis.notes[1];
}

}  // namespace
}  // namespace gg::analytics

namespace gg::analytics {
namespace {

// The clock span is measured around midnight: 20:00, 23:00, 01:00 and 03:00 cover 7 h of the clock, not 22 h.
TEST(RhythmRulesClockSpan, SamplesAroundMidnightSpanOnlyTheHoursTheyCover) {
  RhythmRule rule;
  rule.kind = RhythmRule::Kind::cosinor;
  rule.min_samples = 4;
  rule.min_span_hours = 12;
  std::vector<Measurement> series;
  const char* times[] = {"2026-03-01T20:00:00+01:00", "2026-03-01T23:00:00+01:00", "2026-03-02T01:00:00+01:00",
                         "2026-03-02T03:00:00+01:00"};
  int i = 0;
  for (const char* when : times) {
    Measurement m;
    m.reference = "Observation/m" + std::to_string(i);
    m.subject = "Patient/p1";
    m.analyte_id = "cortisol";
    m.specimen = Specimen::saliva;
    m.value = {5.0 + i++, "nmol/L"};
    m.effective = EffectiveTime{*parse_fhir_date_time(when).instant, when, TimeSource::effective_date_time};
    series.push_back(m);
  }
  EXPECT_TRUE(compute_rhythm(rule, series, Catalogue{}).empty());
  rule.min_span_hours = 7;
  EXPECT_EQ(compute_rhythm(rule, series, Catalogue{}).size(), 3u);
}

}  // namespace
}  // namespace gg::analytics
