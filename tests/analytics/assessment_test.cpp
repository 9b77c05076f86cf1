#include "analytics/assessment.hpp"

#include <gtest/gtest.h>

#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using testing::site_range;

const Catalogue& catalogue() {
  static const Catalogue kCatalogue({testing::cortisol(), testing::dhea_s()});
  return kCatalogue;
}

Gradient ratio_of(double value) {
  Gradient gradient;
  gradient.code = "cortisol-dheas-ratio";
  gradient.display = "Cortisol:DHEA-S molar ratio";
  gradient.value = UcumValue{value, "1"};
  GradientInput cortisol;
  cortisol.analyte_id = "cortisol";
  cortisol.value = UcumValue{400, "nmol/L"};
  GradientInput dheas;
  dheas.analyte_id = "dhea-s";
  dheas.value = UcumValue{400 / value, "nmol/L"};
  gradient.inputs = {cortisol, dheas};
  return gradient;
}

AssessmentRules rules_with(std::vector<TargetRange> ranges) {
  AssessmentRules rules;
  rules.target_ranges = std::move(ranges);
  return rules;
}

TEST(Assessment, ReportsValueWithoutLevelWhenNoRangeIsConfigured) {
  const auto finding = assess(ratio_of(0.121), AssessmentRules{}, Sex::female, 45, catalogue());
  EXPECT_EQ(finding.gradient_code, "cortisol-dheas-ratio");
  EXPECT_EQ(finding.value, (UcumValue{0.121, "1"}));
  EXPECT_FALSE(finding.range);
  EXPECT_FALSE(finding.level);
  EXPECT_FALSE(finding.direction);
  EXPECT_EQ(
      finding.rationale,
      "Cortisol:DHEA-S molar ratio 0.121 (Cortisol 400 nmol/L, DHEA-S 3306 nmol/L) is reported without a risk "
      "level: no target range with a citable source is configured for this patient.");
}

TEST(Assessment, RationaleStatesTheValuesUnitUnlessItIsARatio) {
  Gradient slope = ratio_of(0.121);
  slope.display = "Cortisol (saliva) diurnal slope";
  slope.value = UcumValue{-0.665, "nmol/L/h"};
  const auto finding = assess(slope, AssessmentRules{}, Sex::female, 45, catalogue());
  EXPECT_EQ(finding.rationale.rfind("Cortisol (saliva) diurnal slope -0.665 nmol/L/h (", 0), 0u)
      << finding.rationale;
}

TEST(Assessment, NamesTheNumbersAndSourceInTheRationale) {
  const auto finding = assess(ratio_of(0.15), rules_with({site_range(0.05, 0.1)}), Sex::male, 50, catalogue());
  EXPECT_EQ(finding.rationale,
            "Cortisol:DHEA-S molar ratio 0.15 (Cortisol 400 nmol/L, DHEA-S 2667 nmol/L) is above the configured "
            "target 0.05\u20130.1 (source: Test site protocol T-1).");
}

struct LevelCase {
  double value;
  Direction direction;
  RiskLevel level;
};

TEST(Assessment, GradesLevelByDistanceFromNearestBound) {
  // Range 0.1-0.2 with the default threshold 0.5: beyond 0.3 (0.2 + 50 % of 0.2) is high, beyond 0.05 (0.1 - 50 %
  // of 0.1) is high. The cases stay clear of the exact thresholds, where binary fractions decide.
  const LevelCase cases[] = {
      {0.1, Direction::within, RiskLevel::low},        {0.2, Direction::within, RiskLevel::low},
      {0.15, Direction::within, RiskLevel::low},       {0.21, Direction::above, RiskLevel::moderate},
      {0.2999, Direction::above, RiskLevel::moderate}, {0.301, Direction::above, RiskLevel::high},
      {1.5, Direction::above, RiskLevel::high},        {0.09, Direction::below, RiskLevel::moderate},
      {0.0501, Direction::below, RiskLevel::moderate}, {0.049, Direction::below, RiskLevel::high},
      {0.01, Direction::below, RiskLevel::high},
  };
  const auto rules = rules_with({site_range(0.1, 0.2)});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    const auto finding = assess(ratio_of(c.value), rules, Sex::female, 30, catalogue());
    EXPECT_EQ(finding.direction, c.direction);
    EXPECT_EQ(finding.level, c.level);
  }
}

TEST(Assessment, RangeThresholdOverridesTheDefault) {
  TargetRange strict = site_range(0.1, 0.2);
  strict.level_thresholds = LevelThresholds{0.1};
  const auto finding = assess(ratio_of(0.23), rules_with({strict}), Sex::female, 30, catalogue());
  EXPECT_EQ(finding.level, RiskLevel::high);
  AssessmentRules lenient = rules_with({site_range(0.1, 0.2)});
  lenient.level_thresholds = LevelThresholds{1.0};
  EXPECT_EQ(assess(ratio_of(0.35), lenient, Sex::female, 30, catalogue()).level, RiskLevel::moderate);
}

TEST(Assessment, GradesOneSidedRange) {
  TargetRange upper_only = site_range(0, 0);
  upper_only.low.reset();
  upper_only.high = 0.2;
  const auto rules = rules_with({upper_only});
  const auto within = assess(ratio_of(0.01), rules, Sex::female, 30, catalogue());
  EXPECT_EQ(within.direction, Direction::within);
  EXPECT_NE(within.rationale.find("target \u2264 0.2"), std::string::npos);
  EXPECT_EQ(assess(ratio_of(0.25), rules, Sex::female, 30, catalogue()).level, RiskLevel::moderate);
}

TEST(TargetRangeSelection, PrefersSexSpecificRange) {
  const std::vector<TargetRange> ranges = {site_range(0.1, 0.2), site_range(0.2, 0.3, SexCriterion::female),
                                           site_range(0.3, 0.4, SexCriterion::male)};
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::female, 40), &ranges[1]);
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::male, 40), &ranges[2]);
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::other, 40), &ranges[0]);
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::unknown, 40), &ranges[0]);
}

TEST(TargetRangeSelection, ChoosesAgeBandHalfOpen) {
  const std::vector<TargetRange> ranges = {site_range(0.1, 0.2, SexCriterion::any, AgeBand{18, 50}),
                                           site_range(0.2, 0.4, SexCriterion::any, AgeBand{50, std::nullopt})};
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::male, 18), &ranges[0]);
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::male, 49), &ranges[0]);
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::male, 50), &ranges[1]);
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::male, 90), &ranges[1]);
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::male, 17), nullptr);
}

TEST(TargetRangeSelection, UsesOnlyAllAgesRangeWhenAgeIsUnknown) {
  const std::vector<TargetRange> ranges = {site_range(0.1, 0.2, SexCriterion::any, AgeBand{18, 50}),
                                           site_range(0.3, 0.4)};
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::female, std::nullopt), &ranges[1]);
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::female, 30), &ranges[0]);
}

TEST(TargetRangeSelection, PrefersSexOverAgeSpecificity) {
  const std::vector<TargetRange> ranges = {site_range(0.1, 0.2, SexCriterion::any, AgeBand{18, 50}),
                                           site_range(0.3, 0.4, SexCriterion::female)};
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::female, 30), &ranges[1]);
}

TEST(TargetRangeSelection, IgnoresRangesOfOtherGradients) {
  TargetRange other = site_range(0.1, 0.2);
  other.gradient_code = "lh-fsh-ratio";
  const std::vector<TargetRange> ranges = {other};
  EXPECT_EQ(select_target_range(ranges, "cortisol-dheas-ratio", Sex::female, 30), nullptr);
}

}  // namespace
}  // namespace gg::analytics

namespace gg::analytics {
namespace {

// A bound from a censored input is placed against a range only when all values it allows lie outside it.
TEST(Assessment, ABoundIsPlacedOnlyWhenItLiesWhollyOutsideTheRange) {
  AssessmentRules rules;
  rules.target_ranges = {testing::site_range(0.02, 0.05)};
  Gradient below = ratio_of(0.01);
  below.comparator = "<";
  const auto placed = assess(below, rules, Sex::female, 45, catalogue());
  ASSERT_TRUE(placed.level);
  EXPECT_EQ(placed.direction, Direction::below);
  EXPECT_NE(placed.rationale.find("< 0.01"), std::string::npos) << placed.rationale;
  EXPECT_NE(placed.rationale.find("even at its bound"), std::string::npos) << placed.rationale;

  Gradient open = ratio_of(0.03);
  open.comparator = "<";  // anywhere below 0.03: below or within the range
  const auto unplaced = assess(open, rules, Sex::female, 45, catalogue());
  EXPECT_FALSE(unplaced.level);
  EXPECT_FALSE(unplaced.direction);
  EXPECT_NE(unplaced.rationale.find("cannot be placed"), std::string::npos) << unplaced.rationale;

  Gradient above = ratio_of(0.05);
  above.comparator = ">";  // strictly above the inclusive high bound
  EXPECT_EQ(assess(above, rules, Sex::female, 45, catalogue()).direction, Direction::above);
  above.comparator = ">=";  // may equal 0.05, which is within
  EXPECT_FALSE(assess(above, rules, Sex::female, 45, catalogue()).level);
}

}  // namespace
}  // namespace gg::analytics
