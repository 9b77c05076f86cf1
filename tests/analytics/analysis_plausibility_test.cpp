// The reliability review's implausible inputs (finding 3 and 9) through the whole analysis: each is a rejection
// with its reason and none reaches a gradient; and a gradient that is not a finite number is never kept.
#include <gtest/gtest.h>

#include <algorithm>

#include "analytics/analysis.hpp"
#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using namespace std::chrono;
using testing::lab_result;

const sys_seconds kAsOf = sys_days{year{2024} / month{3} / day{2}} + hours{12};

PatientFacts patient() {
  fhir::Patient resource;
  resource.id = "p1";
  resource.gender = "female";
  resource.birth_date = "1979-05-17";
  return patient_facts(resource);
}

// The shipped plausible ranges (config/terminology/analytes.yaml): cortisol up to 1750 nmol/L (Elecsys Cortisol II
// measuring range), DHEA-S 0.2-1000 ug/dL (Elecsys DHEA-S technical range).
Knowledge knowledge_with_ranges() {
  auto cortisol = testing::cortisol();
  cortisol.plausible_range = PlausibleRange{std::nullopt, 1750, "nmol/L", "Elecsys Cortisol II measuring range"};
  auto dhea_s = testing::dhea_s();
  dhea_s.plausible_range = PlausibleRange{0.2, 1000, "ug/dL", "Elecsys DHEA-S technical range"};
  auto knowledge = testing::test_knowledge();
  knowledge.catalogue = Catalogue({cortisol, dhea_s});
  return knowledge;
}

// A morning cortisol and DHEA-S pair as the review sent them (ug/dL, drawn two minutes apart).
std::vector<fhir::Observation> pair(double cortisol_ug_per_dl, double dhea_s_ug_per_dl) {
  return {lab_result("cort", "2143-6", cortisol_ug_per_dl, "ug/dL", "2024-03-01T08:10:00+01:00"),
          lab_result("dheas", "2191-5", dhea_s_ug_per_dl, "ug/dL", "2024-03-01T08:12:00+01:00")};
}

TEST(AnalysisPlausibility, CortisolOf1e308IsRejectedAndGivesNoRatio) {
  const auto analysis = analyze(patient(), pair(1e308, 180), knowledge_with_ranges(), kAsOf);
  ASSERT_EQ(analysis.rejections.size(), 1u);
  EXPECT_EQ(analysis.rejections[0].reference, "Observation/cort");
  EXPECT_EQ(analysis.rejections[0].issues.at(0).reason, RejectionReason::invalid_value);
  EXPECT_TRUE(analysis.gradients.empty());
  EXPECT_TRUE(analysis.findings.empty());
}

TEST(AnalysisPlausibility, CortisolOf1point2e19IsImplausibleAndGivesNoRatio) {
  // 12345678901234567890 ug/dL gave a ratio of 6.97e16 before (reliability review, A5b).
  const auto analysis = analyze(patient(), pair(12345678901234567890.0, 180), knowledge_with_ranges(), kAsOf);
  ASSERT_EQ(analysis.rejections.size(), 1u);
  EXPECT_EQ(analysis.rejections[0].reference, "Observation/cort");
  EXPECT_EQ(analysis.rejections[0].issues.at(0).reason, RejectionReason::implausible_value);
  EXPECT_TRUE(analysis.gradients.empty());
}

TEST(AnalysisPlausibility, DheasOfZeroIsRejectedNotSilentlyDropped) {
  // Before: no gradient and no rejection (reliability review, finding 9).
  const auto analysis = analyze(patient(), pair(14.2, 0), knowledge_with_ranges(), kAsOf);
  ASSERT_EQ(analysis.rejections.size(), 1u);
  EXPECT_EQ(analysis.rejections[0].reference, "Observation/dheas");
  EXPECT_EQ(analysis.rejections[0].issues.at(0).reason, RejectionReason::invalid_value);
  EXPECT_EQ(analysis.measurements.size(), 1u);
  EXPECT_TRUE(analysis.gradients.empty());
}

TEST(AnalysisPlausibility, ANonFiniteGradientIsARejectionNamingItsInputs) {
  // Without plausible ranges both inputs are finite and above zero, but 1e300 / 1e-300 overflows: the ratio is
  // reported as a rejection, never written.
  const std::vector<fhir::Observation> observations = {
      lab_result("cort", "14675-3", 1e300, "nmol/L", "2024-03-01T08:10:00+01:00"),
      lab_result("dheas", "14688-6", 1e-300, "nmol/L", "2024-03-01T08:12:00+01:00")};
  const auto analysis = analyze(patient(), observations, testing::test_knowledge(), kAsOf);
  EXPECT_EQ(analysis.measurements.size(), 2u);
  EXPECT_TRUE(analysis.gradients.empty());
  EXPECT_TRUE(analysis.findings.empty());
  ASSERT_EQ(analysis.rejections.size(), 1u);
  const auto& rejected = analysis.rejections[0];
  EXPECT_EQ(rejected.reference, "Observation/cort");
  ASSERT_EQ(rejected.issues.size(), 1u);
  EXPECT_EQ(rejected.issues[0].reason, RejectionReason::non_finite_gradient);
  EXPECT_EQ(to_string(rejected.issues[0].reason), "non-finite-gradient");
  EXPECT_NE(rejected.issues[0].message.find("cortisol-dheas-ratio"), std::string::npos);
  EXPECT_NE(rejected.issues[0].message.find("Observation/cort, Observation/dheas"), std::string::npos)
      << rejected.issues[0].message;
}

TEST(AnalysisPlausibility, APlausiblePairStillGivesItsRatio) {
  // 14.2 ug/dL cortisol = 391.8 nmol/L, 180 ug/dL DHEA-S = 4885 nmol/L (molar masses 362.46 and 368.49 g/mol).
  const auto analysis = analyze(patient(), pair(14.2, 180), knowledge_with_ranges(), kAsOf);
  EXPECT_TRUE(analysis.rejections.empty());
  ASSERT_EQ(analysis.gradients.size(), 1u);
  EXPECT_NEAR(analysis.gradients[0].value.value, (14.2e4 / 362.46) / (180e4 / 368.49), 1e-9);
}

}  // namespace
}  // namespace gg::analytics
