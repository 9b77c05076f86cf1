// Trends: the reference change limits, the previous value a gradient is compared with, and the judgement.
//
// Log-normal limits (analytics/trend.hpp; Fokkema MR et al., Clin Chem 2006;52:1602-1606, formula as the clinical
// review's M1 table computes it): sigma^2 = ln(1 + sum of every CVa^2 and CVi^2) (fractions), limits
// exp(+-z * sqrt(2) * sigma) - 1. The symmetric RCV = sqrt(2) * z * sqrt(sum CV^2) is Fraser CG, Biological
// Variation: From Principles to Practice, AACC Press 2001, pp. 67-90, as quoted at
// http://biologicalvariation.com/RCV.html (z = 1.96: two-sided, 95 %). Unless a test names a published figure,
// the expected values were computed by hand from these formulas (Python, full precision) with figures of
// config/terminology/biological-variation.yaml.
#include "analytics/trend.hpp"
#include "analytics/ratio.hpp"

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
  m.reference = "Observation/" + std::move(id);
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

TEST(ReferenceChangeLimits, OneAnalyteFollowsTheLogNormalFormula) {
  // Albumin: CVa 2.9 %, CVi 3.5 % (Turk J Biochem 2021;46(2):197-203):
  // sigma^2 = ln(1 + 0.029^2 + 0.035^2); limits exp(+-1.96 * sqrt(2) * sigma) - 1.
  const std::vector<BiologicalVariation> albumin = {variation("albumin", 2.9, 3.5)};
  const auto limits = reference_change_limits(albumin, 1.96);
  ASSERT_TRUE(limits);
  EXPECT_NEAR(limits->up_percent, 13.419714898491897, 1e-9);
  EXPECT_NEAR(limits->down_percent, -11.831906746108682, 1e-9);
  // z = 2.58: two-sided 99 % (Fraser 2001, same source).
  const auto wider = reference_change_limits(albumin, 2.58);
  ASSERT_TRUE(wider);
  EXPECT_NEAR(wider->up_percent, 18.028799806837583, 1e-9);
  EXPECT_NEAR(wider->down_percent, -15.274915814058076, 1e-9);
}

TEST(ReferenceChangeLimits, SymmetricRcvOfOneAnalyteFollowsFraser) {
  // 1.96 * sqrt(2) * sqrt(2.9^2 + 3.5^2), albumin as above; z scales it linearly.
  const std::vector<BiologicalVariation> albumin = {variation("albumin", 2.9, 3.5)};
  const auto rcv = symmetric_reference_change_value_percent(albumin, 1.96);
  ASSERT_TRUE(rcv);
  EXPECT_NEAR(*rcv, 12.599004405110746, 1e-9);
  EXPECT_NEAR(*symmetric_reference_change_value_percent(albumin, 2.58), 12.599004405110746 * 2.58 / 1.96, 1e-9);
}

// A published worked example of the symmetric formula (kept as a check of the helper that reproduces the review's
// symmetric column): Mercan H, Orhan B, Bercik-Inal B, Clin Lab 2022 (doi 10.7754/Clin.Lab.2022.220524),
// creatinine in 20 healthy adults: "CVA ... was 2.51%, CVI was 4.51% ... [enzymatic] 2.43%, 4.21% ... The average
// RCV calculated bilaterally in the 95% confidence interval for the Jaffe's and enzymatic methods were 14.26 and
// 13.43". The printed figures use sqrt(2) rounded to 1.41 (exact: 14.307 and 13.474), hence the 0.4 % tolerance.
TEST(ReferenceChangeLimits, SymmetricRcvReproducesAPublishedWorkedExample) {
  const std::vector<BiologicalVariation> jaffe = {variation("creatinine", 2.51, 4.51)};
  const std::vector<BiologicalVariation> enzymatic = {variation("creatinine", 2.43, 4.21)};
  EXPECT_NEAR(*symmetric_reference_change_value_percent(jaffe, 1.96), 14.26, 14.26 * 0.004);
  EXPECT_NEAR(*symmetric_reference_change_value_percent(enzymatic, 1.96), 13.43, 13.43 * 0.004);
  // With sqrt(2) rounded as in the paper the printed figures come out to their last digit.
  EXPECT_NEAR(*symmetric_reference_change_value_percent(jaffe, 1.96) / std::sqrt(2.0) * 1.41, 14.26, 0.005);
  EXPECT_NEAR(*symmetric_reference_change_value_percent(enzymatic, 1.96) / std::sqrt(2.0) * 1.41, 13.43, 0.005);
}

// The log-normal limits are reciprocal factors, (1 + up)(1 + down) = 1, as in a published pair of log-normal
// RCVs: "The up and down reference change values at the 95% confidence level for all measurements were 240.4% and
// -70.6%" (Within-person variation of the plasma concentration of B-type natriuretic peptide: safety range in
// stable patients with heart failure, Am Heart J, January 2009; abstract, log-normal approach).
TEST(ReferenceChangeLimits, UpAndDownAreReciprocalFactorsAsInAPublishedPair) {
  EXPECT_NEAR(100 * (1 / (1 + 2.404) - 1), -70.6, 0.05);  // the published pair obeys it to its printed digits
  for (const auto& inputs :
       {std::vector<BiologicalVariation>{variation("prolactin", 19.6, 39.2)},
        std::vector<BiologicalVariation>{variation("cortisol", 9, 18), variation("dhea-s", 10, 20)}}) {
    const auto limits = reference_change_limits(inputs, 1.96);
    ASSERT_TRUE(limits);
    EXPECT_NEAR((1 + limits->up_percent / 100) * (1 + limits->down_percent / 100), 1.0, 1e-12);
  }
}

// The review's M1 table (clinical-review.md, finding M1), with the CVi/CVa pairs of the shipped
// biological-variation.yaml that it names. Its symmetric column is the symmetric helper, to the printed digits.
// Its log-normal column is what reference_change_limits() gives, to the printed digits (and to full precision
// against Python).
struct M1Row {
  const char* name;
  std::vector<BiologicalVariation> inputs;
  double printed_symmetric;  // the review's "±" column
  double symmetric_step;     // its printed precision (0.1 or 1)
  double printed_up, printed_down;
  double up_down_step;
  double up, down;  // this code's limits (Python, full precision)
};

TEST(ReferenceChangeLimits, ReproducesTheReviewTable) {
  const std::vector<M1Row> rows = {
      {"FAI (T 16/8, SHBG 7.4/3.7)",
       {variation("testosterone", 8, 16), variation("shbg", 3.7, 7.4)},
       54.6,
       0.1,
       71.8,
       -41.8,
       0.1,
       71.79174890759231,
       -41.789986634462565},
      {"HOMA-IR (glucose 5/2.5, insulin 26/13)",
       {variation("glucose", 2.5, 5), variation("insulin", 13, 26)},
       82.1,
       0.1,
       123,
       -55,
       1,
       123.29951930548788,
       -55.21710019303997},
      {"cortisol:DHEA-S, women (18/9, 20/10)",
       {variation("cortisol", 9, 18), variation("dhea-s", 10, 20)},
       83.4,
       0.1,
       126,
       -56,
       1,
       126.11423075538961,
       -55.77456595017233},
      {"cortisol, saliva (34.1/15.4)",
       {variation("cortisol", 15.4, 34.1, Specimen::saliva)},
       103.7,
       0.1,
       173,
       -63,
       1,
       172.73828252197708,
       -63.33481347931343},
      {"prolactin (39.2/19.6)",
       {variation("prolactin", 19.6, 39.2)},
       121.5,
       0.1,
       220,
       -69,
       1,
       219.589562653713,
       -68.70986675232768},
      {"free T, women (55/27.5)",
       {variation("free-testosterone", 27.5, 55)},
       170,
       1,
       381,
       -79,
       1,
       380.5554821598692,
       -79.1907482668708},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto symmetric = symmetric_reference_change_value_percent(row.inputs, 1.96);
    ASSERT_TRUE(symmetric);
    EXPECT_NEAR(*symmetric, row.printed_symmetric, row.symmetric_step / 2);
    const auto limits = reference_change_limits(row.inputs, 1.96);
    ASSERT_TRUE(limits);
    EXPECT_NEAR(limits->up_percent, row.printed_up, row.up_down_step / 2);
    EXPECT_NEAR(limits->down_percent, row.printed_down, row.up_down_step / 2);
    EXPECT_NEAR(limits->up_percent, row.up, 1e-9);
    EXPECT_NEAR(limits->down_percent, row.down, 1e-9);
    // The review's point, with either transform: a significant rise must be larger, and a significant fall can
    // be smaller, than the symmetric RCV says.
    EXPECT_GT(limits->up_percent, *symmetric);
    EXPECT_GT(limits->down_percent, -*symmetric);
  }
}

// A CVi measured in men only (estradiol, LH, FSH in the shipped file) does not judge a woman's or an unknown-sex
// patient's trend; mixed-cohort figures apply to everyone.
TEST(ReferenceChangeLimits, SexSpecificFiguresFitOnlyThatSex) {
  auto men_only = variation("estradiol", 7.0, 14);
  men_only.sex = SexCriterion::male;
  const std::vector<BiologicalVariation> figures = {men_only, variation("testosterone", 8.0, 16)};
  const auto ids = [](const std::vector<BiologicalVariation>& entries) {
    std::vector<std::string> out;
    out.reserve(entries.size());
    for (const auto& e : entries) out.push_back(e.analyte_id);
    return out;
  };
  EXPECT_EQ(ids(applicable_variation(figures, Sex::male)),
            (std::vector<std::string>{"estradiol", "testosterone"}));
  EXPECT_EQ(ids(applicable_variation(figures, Sex::female)), (std::vector<std::string>{"testosterone"}));
  EXPECT_EQ(ids(applicable_variation(figures, Sex::unknown)), (std::vector<std::string>{"testosterone"}));
}

// What an analysis looks an analyte up in (PatientVariation, the whole list and the patient's sex) finds what a
// lookup in applicable_variation()'s copy finds: the first entry that fits, skipping those of the other sex.
TEST(ReferenceChangeLimits, PatientVariationFindsTheFirstFittingEntry) {
  auto men_only = variation("estradiol", 7.0, 14);
  men_only.sex = SexCriterion::male;
  auto women_only = variation("estradiol", 6.0, 20);
  women_only.sex = SexCriterion::female;
  const auto everyone = variation("estradiol", 5.0, 25);
  const std::vector<BiologicalVariation> figures = {men_only, women_only, everyone,
                                                    variation("testosterone", 8.0, 16)};
  for (const Sex sex : {Sex::male, Sex::female, Sex::unknown}) {
    const PatientVariation patient(figures, sex);
    const auto copied = applicable_variation(figures, sex);
    const auto* expected = find_biological_variation(copied, "estradiol", Specimen::serum_plasma);
    const auto* found = patient.find("estradiol", Specimen::serum_plasma);
    ASSERT_NE(found, nullptr);
    ASSERT_NE(expected, nullptr);
    EXPECT_EQ(*found, *expected);
    EXPECT_EQ(patient.find("estradiol", Specimen::saliva), nullptr);
  }
  EXPECT_EQ(PatientVariation(figures, Sex::male).find("estradiol", Specimen::serum_plasma)->cvi_percent, 14);
  EXPECT_EQ(PatientVariation(figures, Sex::female).find("estradiol", Specimen::serum_plasma)->cvi_percent, 20);
  EXPECT_EQ(PatientVariation(figures, Sex::unknown).find("estradiol", Specimen::serum_plasma)->cvi_percent, 25);
  // A list chosen already: every entry counts, whatever its sex.
  EXPECT_EQ(PatientVariation(figures).find("estradiol", Specimen::serum_plasma)->cvi_percent, 14);
}

TEST(ReferenceChangeLimits, RatioAddsTheVariancesOfBothAnalytes) {
  // sigma^2 = ln(1 + 0.09^2 + 0.18^2 + 0.10^2 + 0.20^2).
  const auto limits = reference_change_limits(kVariation, 1.96);
  ASSERT_TRUE(limits);
  EXPECT_NEAR(limits->up_percent, 126.11423075538961, 1e-9);
  EXPECT_NEAR(limits->down_percent, -55.77456595017233, 1e-9);
  // Wider than either analyte's own limits.
  const auto cortisol_alone = reference_change_limits(std::span(kVariation).first(1), 1.96);
  EXPECT_GT(limits->up_percent, cortisol_alone->up_percent);
  EXPECT_LT(limits->down_percent, cortisol_alone->down_percent);
  // The order of the inputs (numerator or denominator first) does not matter.
  const std::vector<BiologicalVariation> inverse = {kVariation[1], kVariation[0]};
  EXPECT_EQ(reference_change_limits(inverse, 1.96), limits);
}

TEST(ReferenceChangeLimits, RefuseMissingOrNonPositiveFigures) {
  EXPECT_FALSE(reference_change_limits({}, 1.96));
  EXPECT_FALSE(reference_change_limits(kVariation, 0));
  const std::vector<BiologicalVariation> zero_cva = {variation("cortisol", 0, 18)};
  EXPECT_FALSE(reference_change_limits(zero_cva, 1.96));
  const std::vector<BiologicalVariation> infinite_cvi = {variation("cortisol", 9, HUGE_VAL)};
  EXPECT_FALSE(reference_change_limits(infinite_cvi, 1.96));
  EXPECT_FALSE(symmetric_reference_change_value_percent({}, 1.96));
  EXPECT_FALSE(symmetric_reference_change_value_percent(zero_cva, 1.96));
}

// Limits chosen so that the changes below are exact in binary floating point: 4 -> 5 is +25 %, 4 -> 3 is -25 %.
constexpr ReferenceChangeLimits kLimits{25.0, -25.0};

TEST(JudgeChange, ChangeEqualToALimitIsNotSignificant) {
  const auto rise = judge_change(value_of(5), value_of(4), kLimits);
  ASSERT_TRUE(rise);
  EXPECT_DOUBLE_EQ(rise->change_percent, 25.0);
  EXPECT_FALSE(rise->significant);
  const auto fall = judge_change(value_of(3), value_of(4), kLimits);
  ASSERT_TRUE(fall);
  EXPECT_DOUBLE_EQ(fall->change_percent, -25.0);
  EXPECT_FALSE(fall->significant);
  const auto beyond = judge_change(value_of(5), value_of(4), ReferenceChangeLimits{24.999, -20});
  ASSERT_TRUE(beyond);
  EXPECT_TRUE(beyond->significant);
  EXPECT_TRUE(beyond->rising());
}

TEST(JudgeChange, RiseIsJudgedAgainstTheUpLimitAndFallAgainstTheDownLimit) {
  // Asymmetric limits, as for cortisol:DHEA-S (+126.1 % / -55.8 %): a +100 % rise is within them although it is
  // beyond the symmetric 83.4 %, and a -60 % fall is beyond them although the symmetric RCV calls it within.
  const ReferenceChangeLimits limits{126.11423075538961, -55.77456595017233};
  const auto rise = judge_change(value_of(8), value_of(4), limits);
  ASSERT_TRUE(rise);
  EXPECT_DOUBLE_EQ(rise->change_percent, 100.0);
  EXPECT_FALSE(rise->significant);
  EXPECT_EQ(rise->rcv_up_percent, limits.up_percent);
  EXPECT_EQ(rise->rcv_down_percent, limits.down_percent);
  const auto fall = judge_change(value_of(2), value_of(5, "2024-02-01T08:00:00Z"), limits);
  ASSERT_TRUE(fall);
  EXPECT_DOUBLE_EQ(fall->change_percent, -60.0);
  EXPECT_TRUE(fall->significant);
  EXPECT_FALSE(fall->rising());
  EXPECT_EQ(fall->previous_value, (UcumValue{5, "1"}));
  EXPECT_EQ(fall->previous_effective, "2024-02-01T08:00:00Z");
}

TEST(JudgeChange, WithoutLimitsTheChangeIsReportedNotJudged) {
  const auto trend = judge_change(value_of(8), value_of(4), std::nullopt, "no data");
  ASSERT_TRUE(trend);
  EXPECT_DOUBLE_EQ(trend->change_percent, 100.0);
  EXPECT_FALSE(trend->rcv_up_percent);
  EXPECT_FALSE(trend->rcv_down_percent);
  EXPECT_FALSE(trend->significant);
  EXPECT_EQ(trend->no_rcv_reason, "no data");
}

TEST(JudgeChange, PreviousValueZeroGivesNoTrend) {
  EXPECT_FALSE(judge_change(value_of(1), value_of(0), kLimits));
}

TEST(RatioTrend, ThreeDaysOfPairsCompareDayThreeWithDayTwo) {
  const std::vector<Measurement> ms = {
      cortisol("c1", 400, hours{0}),   dheas("d1", 4000, hours{1}),   // day 1: 0.1
      cortisol("c2", 500, hours{24}),  dheas("d2", 4000, hours{25}),  // day 2: 0.125
      cortisol("c3", 1200, hours{48}), dheas("d3", 4000, hours{49}),  // day 3: 0.3
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
  EXPECT_NEAR(trend->change_percent, 140.0, 1e-9);
  ASSERT_TRUE(trend->rcv_up_percent);
  ASSERT_TRUE(trend->rcv_down_percent);
  EXPECT_NEAR(*trend->rcv_up_percent, 126.11423075538961, 1e-9);
  EXPECT_NEAR(*trend->rcv_down_percent, -55.77456595017233, 1e-9);
  EXPECT_TRUE(trend->significant);  // +140 % > +126.1 %
}

TEST(RatioTrend, OnePairHasNoTrend) {
  const std::vector<Measurement> ms = {cortisol("c", 400, hours{0}), dheas("d", 4000, hours{1})};
  const auto current = compute_ratio(kRule, ms);
  ASSERT_TRUE(current);
  EXPECT_FALSE(ratio_trend(kRule, ms, *current, kVariation, TrendSettings{}));
}

// Issue 11, item 4: the history (the gateway's own earlier derived values) reaches back past the results fetched.
// The same figures as ThreeDaysOfPairsCompareDayThreeWithDayTwo, with day 2's value coming from the history.
TEST(RatioTrend, WithoutAPreviousPairTheLatestEarlierHistoryValueIsTheOneComparedWith) {
  const std::vector<Measurement> ms = {cortisol("c3", 1200, hours{48}), dheas("d3", 4000, hours{49})};
  const auto current = compute_ratio(kRule, ms);
  ASSERT_TRUE(current);
  Gradient older = value_of(0.5);
  older.code = current->code;
  older.effective.instant = FhirInstant{kOrigin - days{400}, minutes{0}};
  older.inputs.push_back(GradientInput{"Observation/ratio-older", "1", "", {}, {}, ResultStatus::final});
  Gradient day_two = older;
  day_two.value = UcumValue{0.125, "1"};
  day_two.effective.instant = FhirInstant{kOrigin + hours{25}, minutes{0}};
  day_two.effective.text = format_fhir_date_time(day_two.effective.instant);
  day_two.inputs[0].reference = "Observation/ratio-day-two";
  Gradient same_time = day_two;  // not before the current value: never a previous one
  same_time.effective.instant = current->effective.instant;
  Gradient other_code = day_two;
  other_code.code = "another-ratio";
  other_code.effective.instant = FhirInstant{kOrigin + hours{47}, minutes{0}};
  const std::vector<Gradient> history = {older, same_time, day_two, other_code};

  const auto* earlier = latest_before(history, *current);
  ASSERT_NE(earlier, nullptr);
  EXPECT_EQ(earlier->inputs[0].reference, "Observation/ratio-day-two");
  const auto trend = ratio_trend(kRule, ms, *current, kVariation, TrendSettings{}, earlier);
  ASSERT_TRUE(trend);
  EXPECT_DOUBLE_EQ(trend->previous_value.value, 0.125);
  EXPECT_EQ(trend->previous_effective, day_two.effective.text);
  ASSERT_EQ(trend->previous_inputs.size(), 1u);
  EXPECT_EQ(trend->previous_inputs[0].reference, "Observation/ratio-day-two");
  EXPECT_NEAR(trend->change_percent, 140.0, 1e-9);
  ASSERT_TRUE(trend->rcv_up_percent);
  EXPECT_NEAR(*trend->rcv_up_percent, 126.11423075538961, 1e-9);
  EXPECT_TRUE(trend->significant);
}

TEST(RatioTrend, APreviousPairInTheResultsWinsOverTheHistory) {
  const std::vector<Measurement> ms = {cortisol("c2", 500, hours{24}), dheas("d2", 4000, hours{25}),
                                       cortisol("c3", 1200, hours{48}), dheas("d3", 4000, hours{49})};
  const auto current = compute_ratio(kRule, ms);
  ASSERT_TRUE(current);
  Gradient older = value_of(0.5);
  older.code = current->code;
  older.effective.instant = FhirInstant{kOrigin - days{400}, minutes{0}};
  const std::vector<Gradient> history = {older};
  const auto trend =
      ratio_trend(kRule, ms, *current, kVariation, TrendSettings{}, latest_before(history, *current));
  ASSERT_TRUE(trend);
  EXPECT_DOUBLE_EQ(trend->previous_value.value, 0.125);
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
  EXPECT_FALSE(trend->rcv_up_percent);
  EXPECT_FALSE(trend->rcv_down_percent);
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
  EXPECT_FALSE(trend->rcv_up_percent);
  EXPECT_NE(trend->no_rcv_reason.find("cortisone in saliva"), std::string::npos);
}

// Review finding M2: serum cortisol:cortisone is about 5-10, salivary about 0.2-0.5 (salivary 11beta-HSD2), so
// under a rule without a specimen a serum pair followed by a saliva pair would be a ~95 % "change". A series
// never mixes specimens. (The values below only need to differ; they are not clinical figures.)
RatioRule cortisol_cortisone_any_specimen() {
  RatioRule rule = kRule;
  rule.code = "cortisol-cortisone-ratio";
  rule.denominator = "cortisone";
  rule.specimen = std::nullopt;
  return rule;
}

// As in the shipped biological-variation.yaml: serum cortisol 18/9 and cortisone 11/5.5 (Guldhaug et al.), saliva
// cortisol 34.1/15.4, and no saliva cortisone entry.
const std::vector<BiologicalVariation> kCortisolCortisone = {variation("cortisol", 9, 18),
                                                             variation("cortisone", 5.5, 11),
                                                             variation("cortisol", 15.4, 34.1, Specimen::saliva)};

TEST(RatioTrend, SerumPairThenSalivaPairGiveNoTrend) {
  const auto rule = cortisol_cortisone_any_specimen();
  const std::vector<Measurement> ms = {
      result("c1", "cortisol", 400, "nmol/L", hours{0}),
      result("e1", "cortisone", 60, "nmol/L", hours{0}),
      result("c2", "cortisol", 10, "nmol/L", hours{24}, Specimen::saliva),
      result("e2", "cortisone", 40, "nmol/L", hours{24}, Specimen::saliva),
  };
  const auto current = compute_ratio(rule, ms);
  ASSERT_TRUE(current);
  EXPECT_EQ(testing::references(*current), testing::observations({"c2", "e2"}));
  EXPECT_FALSE(previous_ratio(rule, ms, *current));
  EXPECT_FALSE(ratio_trend(rule, ms, *current, kCortisolCortisone, TrendSettings{}));
}

TEST(RatioTrend, PreviousValueIsTheLatestPairOfTheSameSpecimen) {
  // Saliva on day 1, serum on day 2, saliva on day 3: day 3 is compared with day 1, judged with saliva figures.
  const auto rule = cortisol_cortisone_any_specimen();
  const std::vector<Measurement> ms = {
      result("c1", "cortisol", 10, "nmol/L", hours{0}, Specimen::saliva),
      result("e1", "cortisone", 40, "nmol/L", hours{0}, Specimen::saliva),
      result("c2", "cortisol", 400, "nmol/L", hours{24}),
      result("e2", "cortisone", 60, "nmol/L", hours{24}),
      result("c3", "cortisol", 12, "nmol/L", hours{48}, Specimen::saliva),
      result("e3", "cortisone", 40, "nmol/L", hours{48}, Specimen::saliva),
  };
  const auto current = compute_ratio(rule, ms);
  ASSERT_TRUE(current);
  const auto trend = ratio_trend(rule, ms, *current, kCortisolCortisone, TrendSettings{});
  ASSERT_TRUE(trend);
  ASSERT_EQ(trend->previous_inputs.size(), 2u);
  EXPECT_EQ(trend->previous_inputs[0].reference, "Observation/c1");
  EXPECT_EQ(trend->previous_inputs[1].reference, "Observation/e1");
  EXPECT_NEAR(trend->change_percent, 20.0, 1e-9);
  // Judged, if at all, with saliva figures: there is no saliva cortisone entry, so it is not judged.
  EXPECT_FALSE(trend->rcv_up_percent);
  EXPECT_NE(trend->no_rcv_reason.find("cortisone in saliva"), std::string::npos);
}

// Review finding M1: the verdict must not depend on which analyte is the numerator. Cortisol:DHEA-S and
// DHEA-S:cortisol built as two rules over the same results, with rises and falls of cortisol just inside and just
// beyond the limits (+126.1 % / -55.8 % for the ratio; the inverse's change is 1 / (1 + change) - 1).
TEST(RatioTrend, ARatioAndItsInverseGiveTheSameVerdict) {
  RatioRule inverse = kRule;
  inverse.code = "dheas-cortisol-ratio";
  inverse.numerator = "dhea-s";
  inverse.denominator = "cortisol";
  const auto limits = reference_change_limits(kVariation, 1.96).value();
  for (const double change : {limits.up_percent * 1.001, limits.up_percent * 0.999, limits.down_percent * 1.001,
                              limits.down_percent * 0.999}) {
    SCOPED_TRACE(change);
    const std::vector<Measurement> ms = {cortisol("c1", 400, hours{0}), dheas("d1", 4000, hours{1}),
                                         cortisol("c2", 400 * (1 + change / 100), hours{24}),
                                         dheas("d2", 4000, hours{25})};
    const auto ratio = compute_ratio(kRule, ms);
    const auto inverted = compute_ratio(inverse, ms);
    ASSERT_TRUE(ratio);
    ASSERT_TRUE(inverted);
    const auto trend = ratio_trend(kRule, ms, *ratio, kVariation, TrendSettings{});
    const auto inverse_trend = ratio_trend(inverse, ms, *inverted, kVariation, TrendSettings{});
    ASSERT_TRUE(trend);
    ASSERT_TRUE(inverse_trend);
    EXPECT_NEAR(trend->change_percent, change, 1e-9);
    const bool beyond = change > 0 ? change > limits.up_percent : change < limits.down_percent;
    EXPECT_EQ(trend->significant, beyond);
    EXPECT_EQ(inverse_trend->significant, trend->significant);
    EXPECT_NE(inverse_trend->rising(), trend->rising());
  }
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
  ASSERT_TRUE(trend->rcv_up_percent);
  ASSERT_TRUE(trend->rcv_down_percent);
  // sigma^2 = ln(1 + 0.08^2 + 0.16^2 + 0.037^2 + 0.074^2) (the CVs of the review's M1 FAI
  // row).
  EXPECT_NEAR(*trend->rcv_up_percent, 71.79174890759231, 1e-9);
  EXPECT_NEAR(*trend->rcv_down_percent, -41.789986634462565, 1e-9);
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
  EXPECT_FALSE(trend->rcv_up_percent);
  EXPECT_FALSE(trend->rcv_down_percent);
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
      glucose("g2", 4.5, hours{168}), result("i2", "insulin", 12, "u[IU]/mL", hours{168}),  // 2.4
  };
  const std::vector<BiologicalVariation> figures = {variation("glucose", 2.5, 5.0), variation("insulin", 13, 26)};
  const auto current = compute_derived(rule, ms);
  ASSERT_TRUE(current);
  const auto trend = derived_trend(rule, ms, *current, figures, TrendSettings{});
  ASSERT_TRUE(trend);
  EXPECT_NEAR(trend->change_percent, 140.0, 1e-9);
  ASSERT_TRUE(trend->rcv_up_percent);
  // sigma^2 = ln(1 + 0.025^2 + 0.05^2 + 0.13^2 + 0.26^2) (the CVs of the review's M1
  // HOMA-IR row).
  EXPECT_NEAR(*trend->rcv_up_percent, 123.29951930548788, 1e-9);
  EXPECT_NEAR(*trend->rcv_down_percent, -55.21710019303997, 1e-9);
  EXPECT_TRUE(trend->significant);  // +140 % > +124.7 %
}

}  // namespace
}  // namespace gg::analytics
