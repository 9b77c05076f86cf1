#include "analytics/analysis.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using namespace std::chrono;
using testing::lab_result;
using testing::site_range;
using testing::test_knowledge;

const sys_seconds kAsOf = sys_days{year{2024} / month{3} / day{2}} + hours{12};

PatientFacts patient(Sex sex = Sex::female, const char* birth_date = "1979-05-17") {
  fhir::Patient resource;
  resource.id = "p1";
  resource.gender = sex == Sex::female ? "female" : "male";
  resource.birth_date = birth_date;
  return patient_facts(resource);
}

// A morning cortisol in ug/dL and a DHEA-S in umol/L the same morning, a glucose, and a cortisol in IU/L.
std::vector<fhir::Observation> morning_panel() {
  return {
      lab_result("cort", "2143-6", 14.5, "ug/dL", "2024-03-01T08:10:00+01:00"),
      lab_result("dheas", "14688-6", 3.3, "umol/L", "2024-03-01T08:12:00+01:00"),
      lab_result("glucose", "2345-7", 5.1, "mmol/L", "2024-03-01T08:12:00+01:00"),
      lab_result("bad-unit", "2143-6", 3.0, "[IU]/L", "2024-03-01T09:00:00+01:00"),
  };
}

TEST(Analysis, NormalisesPairsAndAssessesAPatientsResults) {
  const auto analysis = analyze(patient(), morning_panel(), test_knowledge(), kAsOf);
  ASSERT_EQ(analysis.measurements.size(), 2u);
  EXPECT_EQ(analysis.skipped, 1u);
  ASSERT_EQ(analysis.rejections.size(), 1u);
  EXPECT_EQ(analysis.rejections[0].reference, "Observation/bad-unit");
  EXPECT_EQ(analysis.rejections[0].issues[0].reason, RejectionReason::incompatible_unit);
  EXPECT_EQ(analysis.age_years, 44);

  ASSERT_EQ(analysis.gradients.size(), 1u);
  const auto& gradient = analysis.gradients[0];
  // 14.5 ug/dL = 400.04 nmol/L (362.46 g/mol); 3.3 umol/L = 3300 nmol/L.
  EXPECT_NEAR(gradient.value.value, (14.5 * 10 / 362.46 * 1000) / 3300, 1e-9);
  EXPECT_EQ(gradient.effective.text, "2024-03-01T08:12:00+01:00");

  ASSERT_EQ(analysis.findings.size(), 1u);
  EXPECT_FALSE(analysis.findings[0].level);  // no range ships: reported without a level
  EXPECT_NE(analysis.findings[0].rationale.find("0.121"), std::string::npos);
}

TEST(Analysis, AssessesAgainstTheRangeForThePatientsAgeAtAsOf) {
  const auto knowledge = test_knowledge({site_range(0.01, 0.05, SexCriterion::female, AgeBand{18, 45}),
                                         site_range(0.05, 0.2, SexCriterion::female, AgeBand{45, {}})});
  const auto before_birthday = analyze(patient(), morning_panel(), knowledge, kAsOf);
  ASSERT_EQ(before_birthday.findings.size(), 1u);
  EXPECT_EQ(before_birthday.findings[0].direction, Direction::above);
  EXPECT_EQ(before_birthday.findings[0].level, RiskLevel::high);

  const sys_seconds after_birthday = sys_days{year{2024} / month{5} / day{17}};
  const auto later = analyze(patient(), morning_panel(), knowledge, after_birthday);
  EXPECT_EQ(later.age_years, 45);
  EXPECT_EQ(later.findings[0].direction, Direction::within);
  EXPECT_EQ(later.findings[0].level, RiskLevel::low);
}

TEST(Analysis, LeavesAgeUnknownForPartialBirthDate) {
  const auto analysis = analyze(patient(Sex::female, "1979"), morning_panel(), test_knowledge(), kAsOf);
  EXPECT_FALSE(analysis.age_years);
}

TEST(Analysis, GivesTheSameResultForTheSameInputs) {
  const auto knowledge = test_knowledge({site_range(0.05, 0.1)});
  const auto first = analyze(patient(), morning_panel(), knowledge, kAsOf);
  const auto second = analyze(patient(), morning_panel(), knowledge, kAsOf);
  EXPECT_EQ(first.measurements, second.measurements);
  EXPECT_EQ(first.rejections, second.rejections);
  EXPECT_EQ(first.gradients, second.gradients);
  EXPECT_EQ(first.findings, second.findings);
}

TEST(Analysis, GivesTheSameGradientsInAnyInputOrder) {
  auto observations = morning_panel();
  observations.push_back(lab_result("cort-2", "14675-3", 380, "nmol/L", "2024-03-01T20:00:00+01:00"));
  observations.push_back(lab_result("dheas-2", "2191-5", 110, "ug/dL", "2024-03-01T07:00:00Z"));
  const auto by_id = [](const fhir::Observation& a, const fhir::Observation& b) { return a.id < b.id; };
  std::sort(observations.begin(), observations.end(), by_id);
  const auto knowledge = test_knowledge({site_range(0.05, 0.1)});
  const auto expected = analyze(patient(), observations, knowledge, kAsOf);
  ASSERT_EQ(expected.gradients.size(), 1u);
  while (std::next_permutation(observations.begin(), observations.end(), by_id)) {
    const auto analysis = analyze(patient(), observations, knowledge, kAsOf);
    ASSERT_EQ(analysis.gradients, expected.gradients);
    ASSERT_EQ(analysis.findings, expected.findings);
  }
}

TEST(Analysis, UsesTheLatestVersionOfAnObservation) {
  auto observations = morning_panel();
  auto corrected = lab_result("cort", "2143-6", 29.0, "ug/dL", "2024-03-01T08:10:00+01:00");
  corrected.meta.version_id = "10";  // numerically after "9", textually before it
  corrected.status = "corrected";
  auto old = lab_result("cort", "2143-6", 1.0, "ug/dL", "2024-03-01T08:10:00+01:00");
  old.meta.version_id = "9";
  observations.insert(observations.begin(), corrected);
  observations.push_back(old);
  const auto analysis = analyze(patient(), observations, test_knowledge(), kAsOf);
  EXPECT_EQ(analysis.superseded, 2u);
  ASSERT_EQ(analysis.gradients.size(), 1u);
  EXPECT_EQ(analysis.gradients[0].inputs[0].version_id, "10");
  EXPECT_EQ(analysis.gradients[0].inputs[0].status, ResultStatus::corrected);
}

TEST(Analysis, RetractedResultIsExcludedAndNotPaired) {
  auto observations = morning_panel();
  auto retracted = lab_result("cort", "2143-6", 14.5, "ug/dL", "2024-03-01T08:10:00+01:00");
  retracted.meta.version_id = "2";
  retracted.status = "entered-in-error";
  observations.push_back(retracted);
  const auto analysis = analyze(patient(), observations, test_knowledge(), kAsOf);
  ASSERT_EQ(analysis.excluded.size(), 1u);
  EXPECT_EQ(analysis.excluded[0].reference, "Observation/cort");
  EXPECT_EQ(analysis.excluded[0].version_id, "2");
  EXPECT_TRUE(analysis.gradients.empty());
  EXPECT_TRUE(analysis.findings.empty());
}

TEST(Analysis, RejectsHormoneResultsOfAnotherPatient) {
  auto observations = morning_panel();
  observations[1].subject.reference = "http://hapi.local/fhir/Patient/someone-else";
  const auto analysis = analyze(patient(), observations, test_knowledge(), kAsOf);
  ASSERT_EQ(analysis.rejections.size(), 2u);
  EXPECT_EQ(analysis.rejections[0].reference, "Observation/dheas");
  EXPECT_EQ(analysis.rejections[0].issues[0].reason, RejectionReason::subject_mismatch);
  EXPECT_TRUE(analysis.gradients.empty());
}

TEST(Analysis, AcceptsAbsoluteSubjectReferenceOfThePatient) {
  auto observations = morning_panel();
  for (auto& observation : observations) observation.subject.reference = "http://hapi.local/fhir/Patient/p1";
  const auto analysis = analyze(patient(), observations, test_knowledge(), kAsOf);
  EXPECT_EQ(analysis.gradients.size(), 1u);
}

TEST(PatientFacts, ReadsSexAndCompleteBirthDate) {
  fhir::Patient resource;
  resource.id = "7";
  resource.gender = "other";
  resource.birth_date = "1990-01-31";
  const auto facts = patient_facts(resource);
  EXPECT_EQ(facts.reference, "Patient/7");
  EXPECT_EQ(facts.sex, Sex::other);
  EXPECT_EQ(facts.birth_date, year_month_day(year{1990} / month{1} / day{31}));
}

}  // namespace
}  // namespace gg::analytics
