#include "analytics/ratio.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using namespace std::chrono;

// Measurements are built directly (normalisation has its own tests): times in hours from a fixed origin.
const sys_seconds kOrigin = sys_days{year{2024} / month{3} / day{1}} + hours{8};

Measurement result(std::string id, std::string analyte, double nmol_per_l, seconds offset,
                   Specimen specimen = Specimen::serum_plasma) {
  Measurement m;
  m.reference = "Observation/" + std::move(id);
  m.version_id = "1";
  m.subject = "Patient/p1";
  m.analyte_id = std::move(analyte);
  m.loinc_code = m.analyte_id == "cortisol" ? "14675-3" : "14688-6";
  m.specimen = specimen;
  m.value = UcumValue{nmol_per_l, "nmol/L"};
  m.effective.instant = FhirInstant{kOrigin + offset, minutes{0}};
  m.effective.text = format_fhir_date_time(m.effective.instant);
  return m;
}

Measurement cortisol(std::string id, double nmol_per_l, seconds offset) {
  return result(std::move(id), "cortisol", nmol_per_l, offset);
}

Measurement dheas(std::string id, double nmol_per_l, seconds offset) {
  return result(std::move(id), "dhea-s", nmol_per_l, offset);
}

std::vector<std::string> input_references(const Gradient& gradient) {
  std::vector<std::string> references;
  for (const auto& input : gradient.inputs) references.push_back(input.reference);
  return references;
}

const RatioRule kRule = testing::cortisol_dheas_ratio();

TEST(Ratio, DividesNanomolarNumeratorByDenominator) {
  const std::vector<Measurement> ms = {cortisol("c", 400, hours{0}), dheas("d", 4000, hours{1})};
  const auto gradient = compute_ratio(kRule, ms);
  ASSERT_TRUE(gradient);
  EXPECT_EQ(gradient->code, "cortisol-dheas-ratio");
  EXPECT_DOUBLE_EQ(gradient->value.value, 0.1);
  EXPECT_EQ(gradient->value.unit, "1");
  EXPECT_EQ(input_references(*gradient), (std::vector<std::string>{"Observation/c", "Observation/d"}));
  EXPECT_EQ(gradient->subject, "Patient/p1");
}

TEST(Ratio, RescalesInputsToTheRuleUnit) {
  Measurement d = dheas("d", 3.3, hours{1});
  d.value.unit = "umol/L";
  const std::vector<Measurement> ms = {cortisol("c", 330, hours{0}), d};
  const auto gradient = compute_ratio(kRule, ms);
  ASSERT_TRUE(gradient);
  EXPECT_NEAR(gradient->value.value, 0.1, 1e-12);
  EXPECT_NEAR(gradient->inputs[1].value.value, 3300, 1e-9);
  EXPECT_EQ(gradient->inputs[1].value.unit, "nmol/L");
}

TEST(Ratio, PairsClosestDrawWithinWindow) {
  const std::vector<Measurement> ms = {dheas("early", 4000, hours{-3}), cortisol("c", 400, hours{0}),
                                       dheas("near", 5000, hours{1})};
  const auto gradient = compute_ratio(kRule, ms);
  ASSERT_TRUE(gradient);
  EXPECT_EQ(gradient->inputs[1].reference, "Observation/near");
}

TEST(Ratio, ClosestPairWinsOverMoreRecentFartherDraw) {
  // One DHEA-S between two cortisols: it pairs with the closer one, the farther cortisol has no partner left.
  const std::vector<Measurement> ms = {cortisol("close", 400, hours{-2}), dheas("d", 4000, hours{0}),
                                       cortisol("far", 500, hours{5})};
  const auto pairs = pair_measurements(kRule, ms);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(ms[pairs[0].numerator].reference, "Observation/close");
  EXPECT_EQ(pairs[0].interval, hours{2});
}

TEST(Ratio, PairsDrawsExactlyTwentyFourHoursApart) {
  const std::vector<Measurement> ms = {cortisol("c", 400, hours{0}), dheas("d", 4000, hours{24})};
  EXPECT_TRUE(compute_ratio(kRule, ms));
}

TEST(Ratio, DoesNotPairDrawsTwentyFourHoursAndOneSecondApart) {
  const std::vector<Measurement> ms = {cortisol("c", 400, hours{0}), dheas("d", 4000, hours{24} + seconds{1})};
  EXPECT_FALSE(compute_ratio(kRule, ms));
  const std::vector<Measurement> reversed = {cortisol("c", 400, hours{24} + seconds{1}),
                                             dheas("d", 4000, hours{0})};
  EXPECT_FALSE(compute_ratio(kRule, reversed));
}

TEST(Ratio, ComparesInstantsNotLocalClockTimes) {
  // 08:00+02:00 and 06:30Z are 30 minutes apart, not 90.
  Measurement c = cortisol("c", 400, hours{0});
  c.effective.instant = *parse_fhir_date_time("2024-03-01T08:00:00+02:00").instant;
  Measurement d = dheas("d", 4000, hours{0});
  d.effective.instant = *parse_fhir_date_time("2024-03-01T06:30:00Z").instant;
  const std::vector<Measurement> ms = {c, d};
  const auto pairs = pair_measurements(kRule, ms);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].interval, minutes{30});
}

TEST(Ratio, DoesNotPairDifferentSpecimens) {
  const std::vector<Measurement> ms = {result("c", "cortisol", 10, hours{0}, Specimen::saliva),
                                       dheas("d", 4000, hours{1})};
  EXPECT_FALSE(compute_ratio(kRule, ms));
}

TEST(Ratio, RuleWithoutSpecimenStillRequiresMatchingSpecimens) {
  RatioRule rule = kRule;
  rule.specimen.reset();
  const std::vector<Measurement> mixed = {result("c", "cortisol", 10, hours{0}, Specimen::saliva),
                                          dheas("d", 4000, hours{1})};
  EXPECT_FALSE(compute_ratio(rule, mixed));
  const std::vector<Measurement> saliva = {result("c", "cortisol", 10, hours{0}, Specimen::saliva),
                                           result("d", "dhea-s", 5, hours{1}, Specimen::saliva)};
  EXPECT_TRUE(compute_ratio(rule, saliva));
}

// A censored result is never an exact number: with it a ratio is a bound, or nothing when the bounds leave it
// open. Cortisol 400 over DHEA-S < 400 nmol/L: the ratio exceeds 400 / 400 = 1.
TEST(Ratio, CensoredInputGivesABoundNeverAnExactRatio) {
  Measurement censored_dheas = dheas("d", 400, hours{1});
  censored_dheas.comparator = "<";
  const auto above = compute_ratio(kRule, std::vector<Measurement>{cortisol("c", 400, hours{0}), censored_dheas});
  ASSERT_TRUE(above);
  EXPECT_EQ(above->comparator, ">");
  EXPECT_DOUBLE_EQ(above->value.value, 1.0);

  Measurement censored_cortisol = cortisol("c", 1600, hours{0});
  censored_cortisol.comparator = ">";
  const auto high = compute_ratio(kRule, std::vector<Measurement>{censored_cortisol, dheas("d", 4000, hours{1})});
  ASSERT_TRUE(high);
  EXPECT_EQ(high->comparator, ">");
  EXPECT_DOUBLE_EQ(high->value.value, 0.4);

  Measurement at_most = cortisol("c", 100, hours{0});
  at_most.comparator = "<=";
  const auto low = compute_ratio(kRule, std::vector<Measurement>{at_most, dheas("d", 4000, hours{1})});
  ASSERT_TRUE(low);
  EXPECT_EQ(low->comparator, "<=");
  EXPECT_DOUBLE_EQ(low->value.value, 0.025);

  // Both bounded from above: the ratio could be anything.
  Measurement below = cortisol("c", 100, hours{0});
  below.comparator = "<";
  EXPECT_FALSE(compute_ratio(kRule, std::vector<Measurement>{below, censored_dheas}));
}

TEST(Ratio, BoundCombinesTheInputsComparators) {
  EXPECT_EQ(ratio_comparator("", ""), "");
  EXPECT_EQ(ratio_comparator("<", ""), "<");
  EXPECT_EQ(ratio_comparator("<=", ""), "<=");
  EXPECT_EQ(ratio_comparator("<=", ">="), "<=");
  EXPECT_EQ(ratio_comparator("<", ">="), "<");
  EXPECT_EQ(ratio_comparator("", ">"), "<");
  EXPECT_EQ(ratio_comparator(">", ""), ">");
  EXPECT_EQ(ratio_comparator(">=", "<="), ">=");
  EXPECT_EQ(ratio_comparator("", "<="), ">=");
  EXPECT_FALSE(ratio_comparator("<", "<"));
  EXPECT_FALSE(ratio_comparator(">", ">="));
}

// An exact pair more recent than the bounded one is reported as the value.
TEST(Ratio, ALaterExactPairWinsOverAnEarlierBound) {
  Measurement censored = dheas("censored", 400, hours{0});
  censored.comparator = "<";
  const std::vector<Measurement> ms = {cortisol("c1", 400, hours{0}), censored, cortisol("c2", 500, hours{30}),
                                       dheas("exact", 4000, hours{30})};
  const auto gradient = compute_ratio(kRule, ms);
  ASSERT_TRUE(gradient);
  EXPECT_TRUE(gradient->comparator.empty());
  EXPECT_DOUBLE_EQ(gradient->value.value, 0.125);
}

TEST(Ratio, PairsExactValueWhenCensoredOneIsCloser) {
  Measurement censored = dheas("censored", 400, minutes{10});
  censored.comparator = "<";
  const std::vector<Measurement> ms = {cortisol("c", 400, hours{0}), censored, dheas("exact", 4000, hours{3})};
  const auto gradient = compute_ratio(kRule, ms);
  ASSERT_TRUE(gradient);
  EXPECT_EQ(gradient->inputs[1].reference, "Observation/exact");
}

TEST(Ratio, GivesNoGradientWithoutPartner) {
  EXPECT_FALSE(compute_ratio(kRule, std::vector<Measurement>{cortisol("c", 400, hours{0})}));
  EXPECT_FALSE(compute_ratio(kRule, std::vector<Measurement>{dheas("d", 4000, hours{0})}));
  EXPECT_FALSE(compute_ratio(kRule, std::vector<Measurement>{}));
}

TEST(Ratio, IgnoresZeroDenominator) {
  EXPECT_FALSE(
      compute_ratio(kRule, std::vector<Measurement>{cortisol("c", 400, hours{0}), dheas("d", 0, hours{1})}));
}

TEST(Ratio, DoesNotPairAcrossPatients) {
  Measurement d = dheas("d", 4000, hours{1});
  d.subject = "Patient/other";
  EXPECT_FALSE(compute_ratio(kRule, std::vector<Measurement>{cortisol("c", 400, hours{0}), d}));
}

TEST(Ratio, ReportsTheMostRecentPairOfSeveralDays) {
  const std::vector<Measurement> ms = {cortisol("c-day1", 400, hours{0}),  dheas("d-day1", 4000, hours{1}),
                                       cortisol("c-day3", 500, hours{48}), dheas("d-day3", 4000, hours{49}),
                                       cortisol("c-day2", 450, hours{24}), dheas("d-day2", 4000, hours{25})};
  const auto pairs = pair_measurements(kRule, ms);
  ASSERT_EQ(pairs.size(), 3u);  // one per day, oldest first
  EXPECT_EQ(ms[pairs[0].numerator].reference, "Observation/c-day1");
  EXPECT_EQ(ms[pairs[2].numerator].reference, "Observation/c-day3");
  const auto gradient = compute_ratio(kRule, ms);
  ASSERT_TRUE(gradient);
  EXPECT_EQ(input_references(*gradient), (std::vector<std::string>{"Observation/c-day3", "Observation/d-day3"}));
  EXPECT_DOUBLE_EQ(gradient->value.value, 0.125);
}

TEST(Ratio, TakesTheLaterInputsTimeAsWritten) {
  Measurement c = cortisol("c", 400, hours{0});
  Measurement d = dheas("d", 4000, hours{0});
  d.effective.instant = *parse_fhir_date_time("2024-03-01T11:00:00+02:00").instant;
  d.effective.text = "2024-03-01T11:00:00+02:00";
  const auto gradient = compute_ratio(kRule, std::vector<Measurement>{c, d});
  ASSERT_TRUE(gradient);
  EXPECT_EQ(gradient->effective.text, "2024-03-01T11:00:00+02:00");
  EXPECT_EQ(gradient->effective.instant.utc_offset, minutes{120});
}

TEST(Ratio, MarksGradientPreliminaryWhenAnInputIs) {
  Measurement c = cortisol("c", 400, hours{0});
  c.status = ResultStatus::preliminary;
  const auto gradient = compute_ratio(kRule, std::vector<Measurement>{c, dheas("d", 4000, hours{1})});
  ASSERT_TRUE(gradient);
  EXPECT_TRUE(gradient->preliminary);
  EXPECT_EQ(gradient->inputs[0].status, ResultStatus::preliminary);
}

TEST(Ratio, GivesTheSamePairsInAnyInputOrder) {
  std::vector<Measurement> ms = {cortisol("c1", 400, hours{0}), dheas("d1", 4000, hours{2}),
                                 dheas("d2", 4100, hours{-2}),  cortisol("c2", 420, hours{4}),
                                 dheas("d3", 3900, hours{6}),   cortisol("c3", 380, hours{26})};
  std::sort(ms.begin(), ms.end(),
            [](const Measurement& a, const Measurement& b) { return a.reference < b.reference; });
  const auto expected = compute_ratio(kRule, ms);
  ASSERT_TRUE(expected);
  int permutations = 0;
  while (std::next_permutation(ms.begin(), ms.end(), [](const Measurement& a, const Measurement& b) {
    return a.reference < b.reference;
  })) {
    ASSERT_EQ(compute_ratio(kRule, ms), expected);
    ++permutations;
  }
  EXPECT_EQ(permutations, 719);
}

// ---------------------------------------------------------------------------------------------------------------
// Cortisol:DHEA-S from a morning cortisol (issue 8 item 5, clinical review M3). The studies behind the ratio used
// morning samples: Phillips AC et al., Eur J Endocrinol 2010;163:285-292, "morning fasted cortisol and DHEAS".
// The rule below mirrors config/rules/gradients.yaml (LOINC AM code or local clock 07:00-10:00, the issue's
// default window) but keeps a 24 h pairing window, so that these tests show the time-of-day rule and not the
// window.

RatioRule morning_rule() {
  RatioRule rule = kRule;
  rule.numerator_timings = {"am"};
  rule.numerator_clock = ClockWindow{hours{7}, hours{10}};
  return rule;
}

// A draw at the time written, in the offset written.
EffectiveTime at_clock(std::string_view date_time) {
  EffectiveTime effective;
  effective.instant = *parse_fhir_date_time(date_time).instant;
  effective.text = std::string(date_time);
  return effective;
}

Measurement cortisol_at(std::string id, std::string_view date_time, std::string timing = "") {
  Measurement m = cortisol(std::move(id), 400, hours{0});
  m.effective = at_clock(date_time);
  m.timing = std::move(timing);
  return m;
}

Measurement dheas_at(std::string id, std::string_view date_time) {
  Measurement m = dheas(std::move(id), 4000, hours{0});
  m.effective = at_clock(date_time);
  return m;
}

TEST(MorningRatio, MidnightCortisolNeverPairsWithAMorningDheas) {
  const std::vector<Measurement> ms = {cortisol_at("midnight", "2024-03-01T00:00:00+01:00"),
                                       dheas_at("d", "2024-03-01T08:00:00+01:00")};
  EXPECT_TRUE(compute_ratio(kRule, ms));  // without the time-of-day rule the 24 h window would pair them
  EXPECT_FALSE(compute_ratio(morning_rule(), ms));
}

// LOINC 9812-9 / 14678-7 "--PM trough specimen" (analytes.yaml timing pm): the code decides, whatever the clock.
TEST(MorningRatio, PmTroughCodeNeverFormsTheRatioEvenAtAMorningClockTime) {
  const std::vector<Measurement> ms = {cortisol_at("pm", "2024-03-01T08:30:00+01:00", "pm"),
                                       dheas_at("d", "2024-03-01T08:30:00+01:00")};
  EXPECT_FALSE(compute_ratio(morning_rule(), ms));
}

// LOINC 9813-7 / 14679-5 "--AM peak specimen" (timing am): the lab labelled the specimen a morning one.
TEST(MorningRatio, AmPeakCodeFormsTheRatio) {
  const std::vector<Measurement> ms = {cortisol_at("am", "2024-03-01T10:30:00+01:00", "am"),
                                       dheas_at("d", "2024-03-01T10:30:00+01:00")};
  const auto gradient = compute_ratio(morning_rule(), ms);
  ASSERT_TRUE(gradient);
  EXPECT_EQ(gradient->inputs[0].reference, "Observation/am");
}

TEST(MorningRatio, ClockWindowIncludesBothEndsAndNothingBeyond) {
  const auto pairs = [](std::string_view cortisol_time) {
    const std::vector<Measurement> ms = {cortisol_at("c", cortisol_time), dheas_at("d", "2024-03-01T09:00:00Z")};
    return compute_ratio(morning_rule(), ms).has_value();
  };
  EXPECT_TRUE(pairs("2024-03-01T07:00:00Z"));
  EXPECT_TRUE(pairs("2024-03-01T10:00:00Z"));
  EXPECT_FALSE(pairs("2024-03-01T06:59:59Z"));
  EXPECT_FALSE(pairs("2024-03-01T10:00:01Z"));
}

// The clock is the one the result was written with: 08:00+02:00 is a morning draw although it is 06:00 UTC.
TEST(MorningRatio, ReadsTheClockInTheResultsOwnOffset) {
  const std::vector<Measurement> local = {cortisol_at("c", "2024-03-01T08:00:00+02:00"),
                                          dheas_at("d", "2024-03-01T08:00:00+02:00")};
  EXPECT_TRUE(compute_ratio(morning_rule(), local));
  const std::vector<Measurement> utc = {cortisol_at("c", "2024-03-01T06:00:00Z"),
                                        dheas_at("d", "2024-03-01T06:00:00Z")};
  EXPECT_FALSE(compute_ratio(morning_rule(), utc));
}

// Observation.issued is when the report was released, not when the blood was drawn.
TEST(MorningRatio, ReportIssuedTimeIsNotADrawTime) {
  Measurement c = cortisol_at("c", "2024-03-01T08:00:00+01:00");
  c.effective.source = TimeSource::issued;
  EXPECT_FALSE(
      compute_ratio(morning_rule(), std::vector<Measurement>{c, dheas_at("d", "2024-03-01T08:00:00+01:00")}));
}

// The DHEA-S's own time of day is not restricted: its partner's is.
TEST(MorningRatio, OnlyTheNumeratorsTimeOfDayIsRestricted) {
  const std::vector<Measurement> ms = {cortisol_at("c", "2024-03-01T09:30:00+01:00"),
                                       dheas_at("d", "2024-03-01T11:00:00+01:00")};
  EXPECT_TRUE(compute_ratio(morning_rule(), ms));
}

// A cortisol outside the window is not a candidate at all, so it does not take the DHEA-S from a morning one that
// is farther away in time.
TEST(MorningRatio, AnEarlyCortisolOutsideTheWindowLeavesTheDheasToAMorningOne) {
  const std::vector<Measurement> ms = {cortisol_at("early", "2024-03-01T06:30:00+01:00"),
                                       dheas_at("d", "2024-03-01T08:00:00+01:00"),
                                       cortisol_at("morning", "2024-03-01T10:00:00+01:00")};
  const auto gradient = compute_ratio(morning_rule(), ms);
  ASSERT_TRUE(gradient);
  EXPECT_EQ(gradient->inputs[0].reference, "Observation/morning");
}

TEST(MorningRatio, PreviousValueIsAlsoFromAMorningCortisol) {
  const std::vector<Measurement> ms = {
      cortisol_at("evening", "2024-03-01T21:00:00+01:00"), dheas_at("d1", "2024-03-01T21:00:00+01:00"),
      cortisol_at("c2", "2024-03-02T08:00:00+01:00"), dheas_at("d2", "2024-03-02T08:00:00+01:00")};
  const auto current = compute_ratio(morning_rule(), ms);
  ASSERT_TRUE(current);
  EXPECT_EQ(current->inputs[0].reference, "Observation/c2");
  EXPECT_FALSE(previous_ratio(morning_rule(), ms, *current));
}

TEST(ClockWindow, WrapsPastMidnightWhenFromIsLaterThanTo) {
  const ClockWindow late_night{hours{23}, hours{1}};
  EXPECT_TRUE(late_night.contains(hours{23}));
  EXPECT_TRUE(late_night.contains(hours{23} + minutes{59}));
  EXPECT_TRUE(late_night.contains(seconds{0}));
  EXPECT_TRUE(late_night.contains(hours{1}));
  EXPECT_FALSE(late_night.contains(hours{1} + seconds{1}));
  EXPECT_FALSE(late_night.contains(hours{22} + minutes{59}));
  EXPECT_FALSE(late_night.contains(hours{12}));
}

// ---------------------------------------------------------------------------------------------------------------
// Cortisol:cortisone, serum and saliva as separate gradients (clinical review M2: serum ~5-10, saliva ~0.2-0.5,
// as the review states). The saliva rule mirrors config/rules/gradients.yaml: late-night cortisol (23:00-01:00,
// LOINC's "PM trough specimen" definition) with the PM-trough saliva cortisone 71893-2, within 1 h.

RatioRule serum_cortisone_rule() {
  RatioRule rule;
  rule.code = "cortisol-cortisone-ratio";
  rule.display = "Cortisol:cortisone molar ratio (serum/plasma)";
  rule.numerator = "cortisol";
  rule.denominator = "cortisone";
  rule.window = hours{24};
  rule.specimen = Specimen::serum_plasma;
  return rule;
}

RatioRule saliva_cortisone_rule() {
  RatioRule rule = serum_cortisone_rule();
  rule.code = "cortisol-cortisone-ratio-saliva";
  rule.display = "Cortisol:cortisone molar ratio (saliva, late night)";
  rule.window = hours{1};
  rule.specimen = Specimen::saliva;
  rule.numerator_clock = ClockWindow{hours{23}, hours{1}};
  return rule;
}

Measurement timed(std::string id, std::string analyte, double nmol_per_l, Specimen specimen,
                  std::string_view date_time, std::string timing = "") {
  Measurement m = result(std::move(id), std::move(analyte), nmol_per_l, hours{0}, specimen);
  m.effective = at_clock(date_time);
  m.timing = std::move(timing);
  return m;
}

TEST(CortisolCortisoneRatio, SerumAndSalivaPairsGiveTheirOwnGradients) {
  const std::vector<Measurement> ms = {
      timed("serum-f", "cortisol", 400, Specimen::serum_plasma, "2024-03-01T08:00:00+01:00"),
      timed("serum-e", "cortisone", 50, Specimen::serum_plasma, "2024-03-01T08:00:00+01:00"),
      timed("saliva-f", "cortisol", 1.5, Specimen::saliva, "2024-03-02T23:00:00+01:00"),
      timed("saliva-e", "cortisone", 5, Specimen::saliva, "2024-03-02T23:00:00+01:00", "pm")};
  const auto serum = compute_ratio(serum_cortisone_rule(), ms);
  ASSERT_TRUE(serum);
  EXPECT_EQ(input_references(*serum), (std::vector<std::string>{"Observation/serum-f", "Observation/serum-e"}));
  EXPECT_DOUBLE_EQ(serum->value.value, 8.0);
  const auto saliva = compute_ratio(saliva_cortisone_rule(), ms);
  ASSERT_TRUE(saliva);
  EXPECT_EQ(saliva->code, "cortisol-cortisone-ratio-saliva");
  EXPECT_EQ(input_references(*saliva), (std::vector<std::string>{"Observation/saliva-f", "Observation/saliva-e"}));
  EXPECT_DOUBLE_EQ(saliva->value.value, 0.3);
  // The serum series has no saliva value before it, however recent the saliva pair (a trend never mixes them).
  EXPECT_FALSE(previous_ratio(serum_cortisone_rule(), ms, *serum));
}

TEST(CortisolCortisoneRatio, SalivaPairsOnlyTheLateNightCortisolWithTheLateNightCortisone) {
  std::vector<Measurement> ms = {
      timed("waking", "cortisol", 15, Specimen::saliva, "2024-03-01T07:00:00+01:00"),
      timed("noon-coded", "cortisol", 8, Specimen::saliva, "2024-03-01T23:15:00+01:00", "noon"),
      timed("cortisone", "cortisone", 5, Specimen::saliva, "2024-03-01T23:50:00+01:00", "pm")};
  RatioRule whole_day = saliva_cortisone_rule();
  whole_day.window = hours{24};
  EXPECT_FALSE(compute_ratio(whole_day, ms));  // neither a waking cortisol nor one whose code says noon
  ms.push_back(timed("late", "cortisol", 1.5, Specimen::saliva, "2024-03-02T00:15:00+01:00"));
  const auto gradient = compute_ratio(saliva_cortisone_rule(), ms);
  ASSERT_TRUE(gradient);
  EXPECT_EQ(gradient->inputs[0].reference, "Observation/late");
}

TEST(CortisolCortisoneRatio, SalivaPairNeedsOneCollectionNotTwo) {
  const std::vector<Measurement> ms = {
      timed("late", "cortisol", 1.5, Specimen::saliva, "2024-03-01T23:00:00+01:00"),
      timed("next-night", "cortisone", 5, Specimen::saliva, "2024-03-02T23:00:00+01:00", "pm")};
  EXPECT_FALSE(compute_ratio(saliva_cortisone_rule(), ms));
}

}  // namespace
}  // namespace gg::analytics
