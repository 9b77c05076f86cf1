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
  m.reference = "Observation/" + id;
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

}  // namespace
}  // namespace gg::analytics
