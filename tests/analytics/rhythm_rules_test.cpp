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

#include "analytics/date_time.hpp"
#include "analytics/rhythm.hpp"
#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using testing::censored;
using testing::observations;
using testing::references;

// The shipped rules (config/rules/gradients.yaml, "rhythms"): saliva cortisol in nmol/L; the cosinor needs 4
// samples spanning 12 h of clock time over the last 3 days.
RhythmRule rule(RhythmRule::Kind kind) {
  RhythmRule r;
  r.kind = kind;
  r.analyte = "cortisol";
  r.specimen = Specimen::saliva;
  r.unit = "nmol/L";
  r.min_samples = 4;
  r.min_span_hours = 12;
  r.days = 3;
  return r;
}

const RhythmRule kSlope = rule(RhythmRule::Kind::diurnal_slope);
const RhythmRule kCar = rule(RhythmRule::Kind::awakening_response);
const RhythmRule kCosinor = rule(RhythmRule::Kind::cosinor);

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

TEST(RhythmRulesSlope, DayIsTheLocalDateEvenWhenUtcIsThePreviousDay) {
  // 2024-03-02T00:30:00+02:00 is 2024-03-01T22:30Z: on its own clock it is 2 March, alone on that day, so no slope
  // there; 1 March (07:00 = 20, 19:00 = 8, both +02:00) gives -1 nmol/L/h. Were days taken in UTC, the 00:30
  // sample would join 1 March (t = 17.5 h) and the slope would use three samples.
  const std::vector<Measurement> ms = {
      sample("a", 20, "2024-03-01T07:00:00+02:00"),
      sample("b", 8, "2024-03-01T19:00:00+02:00"),
      sample("late", 3, "2024-03-02T00:30:00+02:00"),
  };
  const auto gradients = compute_rhythm(kSlope, ms, catalogue());
  ASSERT_EQ(gradients.size(), 1u);
  EXPECT_NEAR(gradients[0].value.value, -1.0, 1e-12);
  EXPECT_EQ(references(gradients[0]), observations({"a", "b"}));
  ASSERT_TRUE(gradients[0].period);
  EXPECT_EQ(gradients[0].period->end, "2024-03-01T19:00:00+02:00");
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
  // Five exact samples spanning 16 h: enough for the shipped 4, not for a rule asking 6; the sixth makes it.
  std::vector<Measurement> ms = {
      on_rhythm("a", 1, 6),  on_rhythm("b", 1, 10), on_rhythm("c", 1, 14),
      on_rhythm("d", 1, 18), on_rhythm("e", 1, 22),
  };
  RhythmRule six = kCosinor;
  six.min_samples = 6;
  EXPECT_EQ(compute_rhythm(kCosinor, ms, catalogue()).size(), 3u);
  EXPECT_TRUE(compute_rhythm(six, ms, catalogue()).empty());
  ms.push_back(on_rhythm("f", 1, 8));
  const auto gradients = compute_rhythm(six, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_EQ(gradients[0].inputs.size(), 6u);
}

TEST(RhythmRulesCosinor, EnforcesMinSpanOnTheClockNotElapsedTime) {
  // Day 1 08:00 and 12:00, day 2 10:00 and 14:00: 30 h elapsed, but the clock times span 08:00-14:00 = 6 h.
  const std::vector<Measurement> ms = {
      on_rhythm("a", 1, 8),
      on_rhythm("b", 1, 12),
      on_rhythm("c", 2, 10),
      on_rhythm("d", 2, 14),
  };
  EXPECT_TRUE(compute_rhythm(kCosinor, ms, catalogue()).empty());  // shipped: 12 h
  RhythmRule six = kCosinor;
  six.min_span_hours = 6;  // inclusive: exactly 6 h is enough
  const auto gradients = compute_rhythm(six, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_NEAR(gradients[0].value.value, 10.0, 1e-9);
  EXPECT_NEAR(gradients[1].value.value, 6.0, 1e-9);
  EXPECT_NEAR(gradients[2].value.value, 8.0, 1e-9);
  RhythmRule more = kCosinor;
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
  // 2024-03-04T00:30:00+02:00 is 3 March 22:30Z. With days 1 the series is the local 4 March only:
  // 00:30 is on it, so the latest day is 4 March and the 3 March samples are out -> too few samples.
  // With days 2 all five enter (3 March 06, 10, 14, 18 on the rhythm; 4 March 00:30 on the rhythm too).
  std::vector<Measurement> ms = {
      on_rhythm("a", 3, 6),
      on_rhythm("b", 3, 10),
      on_rhythm("c", 3, 14),
      on_rhythm("d", 3, 18),
      sample("e", rhythm_at(0.5), "2024-03-04T00:30:00+02:00"),
  };
  RhythmRule one_day = kCosinor;
  one_day.days = 1;
  EXPECT_TRUE(compute_rhythm(one_day, ms, catalogue()).empty());
  RhythmRule two_days = kCosinor;
  two_days.days = 2;
  const auto gradients = compute_rhythm(two_days, ms, catalogue());
  ASSERT_EQ(gradients.size(), 3u);
  EXPECT_EQ(gradients[0].inputs.size(), 5u);
  EXPECT_NEAR(gradients[2].value.value, 8.0, 1e-9);
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
