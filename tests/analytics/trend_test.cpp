// Trends: the reference change value (RCV), the previous value a gradient is compared with, and the judgement.
//
// RCV = sqrt(2) * z * sqrt(CVa^2 + CVi^2): Fraser CG, Biological Variation: From Principles to Practice, AACC
// Press 2001, pp. 67-90, as quoted at http://biologicalvariation.com/RCV.html (z = 1.96: two-sided, 95 %). No
// published worked example with its numbers could be verified, so the expected values below were computed by hand
// from that formula (Python, full precision) with figures of config/terminology/biological-variation.yaml.
#include "analytics/trend.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "analytics/derived_rules.hpp"
#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using namespace std::chrono;

const sys_seconds kOrigin = sys_days{year{2024} / month{3} / day{1}} + hours{8};

Measurement result(std::string id, std::string analyte, double value, std::string unit, seconds offset,
                   Specimen specimen = Specimen::serum_plasma) {
  Measurement m;
  m.reference = "Observation/" + id;
  m.version_id = "1";
  m.subject = "Patient/p1";
  m.analyte_id = std::move(analyte);
  m.specimen = specimen;
  m.value = UcumValue{value, std::move(unit)};
  m.effective.instant = FhirInstant{kOrigin + offset, minutes{0}};
  m.effective.text = format_fhir_date_time(m.effective.instant);
  return m;
}

Measurement cortisol(std::string id, double nmol_l, seconds offset) {
  return result(std::move(id), "cortisol", nmol_l, "nmol/L", offset);
}
Measurement dheas(std::string id, double nmol_l, seconds offset) {
  return result(std::move(id), "dhea-s", nmol_l, "nmol/L", offset);
}

BiologicalVariation variation(std::string analyte, double cva, double cvi,
                              Specimen specimen = Specimen::serum_plasma) {
  BiologicalVariation entry;
  entry.analyte_id = std::move(analyte);
  entry.specimen = specimen;
  entry.cva_percent = cva;
  entry.cvi_percent = cvi;
  entry.cvi_source = "test";
  entry.cva_source = "test";
  return entry;
}

// Figures of the shipped biological-variation.yaml: cortisol CVi 18 % (Guldhaug et al.), DHEA-S CVi 20 % (Garde AH
// et al., Clin Chem 2000;46:551-9, corrected), each with the desirable CVa 0.5 x CVi.
const std::vector<BiologicalVariation> kVariation = {variation("cortisol", 9.0, 18),
                                                     variation("dhea-s", 10.0, 20)};

const RatioRule kRule = testing::cortisol_dheas_ratio();

Gradient value_of(double value, std::string when = "2024-03-01T08:00:00Z") {
  Gradient gradient;
  gradient.code = "test";
  gradient.value = UcumValue{value, "1"};
  gradient.effective.text = std::move(when);
  return gradient;
}

TEST(ReferenceChangeValue, OneAnalyteFollowsTheFormula) {
  // Albumin: CVa 2.9 %, CVi 3.5 % (Turk J Biochem 2021;46(2):197-203): 1.96 * sqrt(2) * sqrt(2.9^2 + 3.5^2).
  const std::vector<BiologicalVariation> albumin = {variation("albumin", 2.9, 3.5)};
  const auto rcv = reference_change_value_percent(albumin, 1.96);
  ASSERT_TRUE(rcv);
  EXPECT_NEAR(*rcv, 12.599004405110746, 1e-9);
  // z scales it linearly (2.58: two-sided 99 %, same source).
  EXPECT_NEAR(*reference_change_value_percent(albumin, 2.58), 12.599004405110746 * 2.58 / 1.96, 1e-9);
}

// A published worked example: Mercan H, Orhan B, Bercik-Inal B, Clin Lab 2022 (doi 10.7754/Clin.Lab.2022.220524),
// creatinine in 20 healthy adults: "CVA ... was 2.51%, CVI was 4.51% ... [enzymatic] 2.43%, 4.21% ... The average
// RCV calculated bilaterally in the 95% confidence interval for the Jaffe's and enzymatic methods were 14.26 and
// 13.43". The printed figures use sqrt(2) rounded to 1.41 (exact: 14.307 and 13.474), hence the 0.4 % tolerance.
TEST(ReferenceChangeValue, ReproducesAPublishedWorkedExample) {
  const std::vector<BiologicalVariation> jaffe = {variation("creatinine", 2.51, 4.51)};
  const std::vector<BiologicalVariation> enzymatic = {variation("creatinine", 2.43, 4.21)};
  EXPECT_NEAR(*reference_change_value_percent(jaffe, 1.96), 14.26, 14.26 * 0.004);
  EXPECT_NEAR(*reference_change_value_percent(enzymatic, 1.96), 13.43, 13.43 * 0.004);
  // With sqrt(2) rounded as in the paper the printed figures come out to their last digit.
  EXPECT_NEAR(*reference_change_value_percent(jaffe, 1.96) / std::sqrt(2.0) * 1.41, 14.26, 0.005);
  EXPECT_NEAR(*reference_change_value_percent(enzymatic, 1.96) / std::sqrt(2.0) * 1.41, 13.43, 0.005);
}

// A CVi measured in men only (estradiol, LH, FSH in the shipped file) does not judge a woman's or an unknown-sex
// patient's trend; mixed-cohort figures apply to everyone.
TEST(ReferenceChangeValue, SexSpecificFiguresFitOnlyThatSex) {
  auto men_only = variation("estradiol", 7.0, 14);
  men_only.sex = SexCriterion::male;
  const std::vector<BiologicalVariation> figures = {men_only, variation("testosterone", 8.0, 16)};
  const auto ids = [](const std::vector<BiologicalVariation>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.analyte_id);
    return out;
  };
  EXPECT_EQ(ids(applicable_variation(figures, Sex::male)),
            (std::vector<std::string>{"estradiol", "testosterone"}));
  EXPECT_EQ(ids(applicable_variation(figures, Sex::female)), (std::vector<std::string>{"testosterone"}));
  EXPECT_EQ(ids(applicable_variation(figures, Sex::unknown)), (std::vector<std::string>{"testosterone"}));
}

TEST(ReferenceChangeValue, RatioCombinesBothAnalytesInQuadrature) {
  // sqrt(2) * 1.96 * sqrt(9^2 + 18^2 + 10^2 + 20^2) = 83.386...
  const auto rcv = reference_change_value_percent(kVariation, 1.96);
  ASSERT_TRUE(rcv);
  EXPECT_NEAR(*rcv, 83.38642575383598, 1e-9);
  // Wider than either analyte's own RCV (cortisol alone: 55.78 %).
  EXPECT_GT(*rcv, *reference_change_value_percent(std::span(kVariation).first(1), 1.96));
}

TEST(ReferenceChangeValue, RefusesMissingOrNonPositiveFigures) {
  EXPECT_FALSE(reference_change_value_percent({}, 1.96));
  EXPECT_FALSE(reference_change_value_percent(kVariation, 0));
  const std::vector<BiologicalVariation> zero_cva = {variation("cortisol", 0, 18)};
  EXPECT_FALSE(reference_change_value_percent(zero_cva, 1.96));
}

TEST(JudgeChange, ChangeEqualToTheRcvIsNotSignificant) {
  // 4 -> 5 is exactly +25 % in binary floating point.
  const auto at = judge_change(value_of(5), value_of(4), 25.0);
  ASSERT_TRUE(at);
  EXPECT_DOUBLE_EQ(at->change_percent, 25.0);
  EXPECT_FALSE(at->significant);
  const auto beyond = judge_change(value_of(5), value_of(4), 24.999);
  ASSERT_TRUE(beyond);
  EXPECT_TRUE(beyond->significant);
  EXPECT_TRUE(beyond->rising());
}

TEST(JudgeChange, FallBeyondTheRcvIsSignificantDown) {
  const auto trend = judge_change(value_of(3), value_of(4, "2024-02-01T08:00:00Z"), 20.0);
  ASSERT_TRUE(trend);
  EXPECT_DOUBLE_EQ(trend->change_percent, -25.0);
  EXPECT_TRUE(trend->significant);
  EXPECT_FALSE(trend->rising());
  EXPECT_EQ(trend->previous_value, (UcumValue{4, "1"}));
  EXPECT_EQ(trend->previous_effective, "2024-02-01T08:00:00Z");
}

TEST(JudgeChange, WithoutRcvTheChangeIsReportedNotJudged) {
  const auto trend = judge_change(value_of(8), value_of(4), std::nullopt, "no data");
  ASSERT_TRUE(trend);
  EXPECT_DOUBLE_EQ(trend->change_percent, 100.0);
  EXPECT_FALSE(trend->rcv_percent);
  EXPECT_FALSE(trend->significant);
  EXPECT_EQ(trend->no_rcv_reason, "no data");
}

TEST(JudgeChange, PreviousValueZeroGivesNoTrend) {
  EXPECT_FALSE(judge_change(value_of(1), value_of(0), 10.0));
}

TEST(RatioTrend, ThreeDaysOfPairsCompareDayThreeWithDayTwo) {
  const std::vector<Measurement> ms = {
      cortisol("c1", 400, hours{0}),   dheas("d1", 4000, hours{1}),   // day 1: 0.1
      cortisol("c2", 500, hours{24}),  dheas("d2", 4000, hours{25}),  // day 2: 0.125
      cortisol("c3", 1000, hours{48}), dheas("d3", 4000, hours{49}),  // day 3: 0.25
  };
  const auto current = compute_ratio(kRule, ms);
  ASSERT_TRUE(current);
  const auto trend = ratio_trend(kRule, ms, *current, kVariation, TrendSettings{});
  ASSERT_TRUE(trend);
  EXPECT_DOUBLE_EQ(trend->previous_value.value, 0.125);
  ASSERT_EQ(trend->previous_inputs.size(), 2u);
  EXPECT_EQ(trend->previous_inputs[0].reference, "Observation/c2");
  EXPECT_EQ(trend->previous_inputs[1].reference, "Observation/d2");
  EXPECT_EQ(trend->previous_effective, ms[3].effective.text);
  EXPECT_DOUBLE_EQ(trend->change_percent, 100.0);
  ASSERT_TRUE(trend->rcv_percent);
  EXPECT_NEAR(*trend->rcv_percent, 83.38642575383598, 1e-9);
  EXPECT_TRUE(trend->significant);  // +100 % > 83.4 %
}

TEST(RatioTrend, OnePairHasNoTrend) {
  const std::vector<Measurement> ms = {cortisol("c", 400, hours{0}), dheas("d", 4000, hours{1})};
  const auto current = compute_ratio(kRule, ms);
  ASSERT_TRUE(current);
  EXPECT_FALSE(ratio_trend(kRule, ms, *current, kVariation, TrendSettings{}));
}

TEST(RatioTrend, PairEndingAtTheSameInstantIsNotAPreviousValue) {
  const std::vector<Measurement> ms = {cortisol("c1", 400, hours{0}), dheas("d1", 4000, hours{0}),
                                       cortisol("c2", 500, hours{0}), dheas("d2", 4000, hours{0})};
  const auto current = compute_ratio(kRule, ms);
  ASSERT_TRUE(current);
  EXPECT_FALSE(previous_ratio(kRule, ms, *current));
}

TEST(RatioTrend, InputWithoutVariationDataGivesNoRcv) {
  const std::vector<Measurement> ms = {cortisol("c1", 400, hours{0}), dheas("d1", 4000, hours{1}),
                                       cortisol("c2", 440, hours{24}), dheas("d2", 4000, hours{25})};
  const auto current = compute_ratio(kRule, ms);
  ASSERT_TRUE(current);
  const std::vector<BiologicalVariation> cortisol_only = {kVariation[0]};
  const auto trend = ratio_trend(kRule, ms, *current, cortisol_only, TrendSettings{});
  ASSERT_TRUE(trend);
  EXPECT_NEAR(trend->change_percent, 10.0, 1e-9);
  EXPECT_FALSE(trend->rcv_percent);
  EXPECT_FALSE(trend->significant);
  EXPECT_NE(trend->no_rcv_reason.find("dhea-s"), std::string::npos);
}

TEST(RatioTrend, SpecimenWithoutVariationDataGivesNoRcv) {
  // Cortisol:cortisone has no specimen in its rule: the pair's own type (saliva) is looked up, and there is no
  // saliva cortisone entry.
  RatioRule rule = kRule;
  rule.code = "cortisol-cortisone-ratio";
  rule.denominator = "cortisone";
  rule.specimen = std::nullopt;
  const std::vector<Measurement> ms = {
      result("c1", "cortisol", 10, "nmol/L", hours{0}, Specimen::saliva),
      result("e1", "cortisone", 40, "nmol/L", hours{0}, Specimen::saliva),
      result("c2", "cortisol", 12, "nmol/L", hours{24}, Specimen::saliva),
      result("e2", "cortisone", 40, "nmol/L", hours{24}, Specimen::saliva),
  };
  const std::vector<BiologicalVariation> serum = {variation("cortisol", 9, 18), variation("cortisone", 5.5, 11),
                                                  variation("cortisol", 15.4, 34.1, Specimen::saliva)};
  const auto current = compute_ratio(rule, ms);
  ASSERT_TRUE(current);
  const auto trend = ratio_trend(rule, ms, *current, serum, TrendSettings{});
  ASSERT_TRUE(trend);
  EXPECT_FALSE(trend->rcv_percent);
  EXPECT_NE(trend->no_rcv_reason.find("cortisone in saliva"), std::string::npos);
}

DerivedRule derived_rule(DerivedRule::Formula formula, std::string code) {
  DerivedRule rule;
  rule.formula = formula;
  rule.code = std::move(code);
  rule.display = rule.code;
  rule.window = hours{24};
  return rule;
}

TEST(DerivedTrend, FreeAndrogenIndexComparesWithTheOlderAnchorAndCombinesBothAnalytes) {
  const auto rule = derived_rule(DerivedRule::Formula::free_androgen_index, "free-androgen-index");
  const std::vector<Measurement> ms = {
      result("t1", "testosterone", 10, "nmol/L", hours{0}),
      result("s1", "shbg", 40, "nmol/L", hours{0}),
      result("t2", "testosterone", 15, "nmol/L", hours{72}),
      result("s2", "shbg", 40, "nmol/L", hours{72}),
  };
  const std::vector<BiologicalVariation> figures = {variation("testosterone", 8, 16), variation("shbg", 3.7, 7.4)};
  const auto current = compute_derived(rule, ms);
  ASSERT_TRUE(current);
  const auto trend = derived_trend(rule, ms, *current, figures, TrendSettings{});
  ASSERT_TRUE(trend);
  EXPECT_DOUBLE_EQ(trend->previous_value.value, 25.0);  // 100 * 10 / 40
  EXPECT_DOUBLE_EQ(trend->change_percent, 50.0);        // 25 -> 37.5
  ASSERT_TRUE(trend->rcv_percent);
  // sqrt(2) * 1.96 * sqrt(8^2 + 16^2 + 3.7^2 + 7.4^2) = 54.63...
  EXPECT_NEAR(*trend->rcv_percent, 54.63093482634175, 1e-9);
  EXPECT_FALSE(trend->significant);
}

TEST(DerivedTrend, PreviousValueSharesNoInputWithTheCurrentOne) {
  // Two testosterone results share the one SHBG: the older anchor's closest partner is the current value's
  // input, so there is no previous value.
  const auto rule = derived_rule(DerivedRule::Formula::free_androgen_index, "free-androgen-index");
  const std::vector<Measurement> ms = {
      result("t1", "testosterone", 10, "nmol/L", hours{0}),
      result("s", "shbg", 40, "nmol/L", hours{6}),
      result("t2", "testosterone", 12, "nmol/L", hours{12}),
  };
  const auto current = compute_derived(rule, ms);
  ASSERT_TRUE(current);
  EXPECT_EQ(testing::references(*current), testing::observations({"t2", "s"}));
  EXPECT_FALSE(previous_derived(rule, ms, *current));
}

TEST(DerivedTrend, CalculatedFreeTestosteroneReportsTheChangeWithoutRcv) {
  const auto rule =
      derived_rule(DerivedRule::Formula::free_testosterone_vermeulen, "free-testosterone-calculated");
  const std::vector<Measurement> ms = {
      result("t1", "testosterone", 10, "nmol/L", hours{0}),
      result("s1", "shbg", 40, "nmol/L", hours{0}),
      result("t2", "testosterone", 15, "nmol/L", hours{72}),
      result("s2", "shbg", 40, "nmol/L", hours{72}),
  };
  const std::vector<BiologicalVariation> figures = {variation("testosterone", 8, 16), variation("shbg", 3.7, 7.4),
                                                    variation("albumin", 2.9, 3.5)};
  const auto current = compute_derived(rule, ms);
  ASSERT_TRUE(current);
  const auto trend = derived_trend(rule, ms, *current, figures, TrendSettings{});
  ASSERT_TRUE(trend);
  EXPECT_GT(trend->change_percent, 0);
  EXPECT_FALSE(trend->rcv_percent);
  EXPECT_NE(trend->no_rcv_reason.find("non-linear"), std::string::npos);
}

TEST(DerivedTrend, HomaIrCombinesGlucoseAndInsulin) {
  const auto rule = derived_rule(DerivedRule::Formula::homa_ir, "homa-ir");
  auto glucose = [](std::string id, double mmol_l, seconds at) {
    auto m = result(std::move(id), "glucose", mmol_l, "mmol/L", at);
    m.timing = "fasting";
    return m;
  };
  const std::vector<Measurement> ms = {
      glucose("g1", 4.5, hours{0}), result("i1", "insulin", 5, "u[IU]/mL", hours{0}),       // 1.0
      glucose("g2", 4.5, hours{168}), result("i2", "insulin", 10, "u[IU]/mL", hours{168}),  // 2.0
  };
  const std::vector<BiologicalVariation> figures = {variation("glucose", 2.5, 5.0), variation("insulin", 13, 26)};
  const auto current = compute_derived(rule, ms);
  ASSERT_TRUE(current);
  const auto trend = derived_trend(rule, ms, *current, figures, TrendSettings{});
  ASSERT_TRUE(trend);
  EXPECT_NEAR(trend->change_percent, 100.0, 1e-9);
  ASSERT_TRUE(trend->rcv_percent);
  // sqrt(2) * 1.96 * sqrt(2.5^2 + 5^2 + 13^2 + 26^2) = 82.05...
  EXPECT_NEAR(*trend->rcv_percent, 82.05122790062316, 1e-9);
  EXPECT_TRUE(trend->significant);
}

}  // namespace
}  // namespace gg::analytics
