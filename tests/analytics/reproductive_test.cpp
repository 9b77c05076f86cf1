#include "analytics/reproductive.hpp"

#include <gtest/gtest.h>

#include "analytics/analysis.hpp"
#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using namespace std::chrono;

constexpr const char* kSnomed = "http://snomed.info/sct";

// The shipped config/terminology/reproductive-status.yaml, in code.
ReproductiveCodes codes() {
  ReproductiveCodes c;
  c.menopausal_status_questions = {{kSnomed, "161712005"}};
  c.menopausal_status_answers = {{MenopausalStatus::premenopausal, {kSnomed, "309606002"}},
                                 {MenopausalStatus::postmenopausal, {kSnomed, "307429007"}},
                                 {MenopausalStatus::postmenopausal, {kSnomed, "76498008"}}};
  c.last_menstrual_period = {{"http://loinc.org", "8665-2"}};
  return c;
}

fhir::Observation status_statement(std::string id, std::string answer, std::string when,
                                   std::string subject = "Patient/p1") {
  fhir::Observation o;
  o.id = std::move(id);
  o.status = "final";
  o.code.coding = {{kSnomed, "", "161712005", ""}};
  o.subject.reference = std::move(subject);
  o.effective_date_time = std::move(when);
  o.value_codeable_concept = fhir::CodeableConcept{{{kSnomed, "", std::move(answer), ""}}, ""};
  return o;
}

fhir::Observation last_period(std::string id, std::string first_day, std::string when) {
  fhir::Observation o;
  o.id = std::move(id);
  o.status = "final";
  o.code.coding = {{"http://loinc.org", "", "8665-2", ""}};
  o.subject.reference = "Patient/p1";
  o.effective_date_time = std::move(when);
  o.value_date_time = std::move(first_day);
  return o;
}

EffectiveTime at(const char* when) {
  return EffectiveTime{*parse_fhir_date_time(when).instant, when, {}};
}

TEST(Reproductive, TheLatestStatementOfEachFactWins) {
  const std::vector<fhir::Observation> records{
      status_statement("old", "309606002", "2020-01-10T09:00:00Z"),
      status_statement("new", "76498008", "2025-06-01T09:00:00Z"),
      status_statement("other-patient", "309606002", "2026-01-01T09:00:00Z", "Patient/p2"),
      last_period("lmp", "2026-11-02", "2026-11-20T09:00:00+01:00")};
  auto unusable = status_statement("wrong", "309606002", "2026-02-01T09:00:00Z");
  unusable.status = "entered-in-error";
  auto records_with_error = records;
  records_with_error.push_back(unusable);
  const auto facts = reproductive_facts(records_with_error, codes(), "Patient/p1");
  EXPECT_EQ(facts.menopausal_status, MenopausalStatus::postmenopausal);
  EXPECT_EQ(facts.menopausal_status_source, "Observation/new");
  EXPECT_EQ(facts.last_menstrual_period, year{2026} / 11 / 2);
  EXPECT_EQ(facts.last_menstrual_period_source, "Observation/lmp");
}

TEST(Reproductive, AnUnknownAnswerStatesNothing) {
  const std::vector<fhir::Observation> records{status_statement("s", "123456", "2025-06-01T09:00:00Z")};
  EXPECT_FALSE(reproductive_facts(records, codes(), "Patient/p1").menopausal_status);
}

TEST(Reproductive, CycleDayCountsTheFirstDayAsDayOneOnTheDrawsLocalDate) {
  ReproductiveFacts facts;
  facts.last_menstrual_period = year{2026} / 11 / 2;
  EXPECT_EQ(cycle_day(facts, at("2026-11-02T08:00:00+01:00")), 1);
  EXPECT_EQ(cycle_day(facts, at("2026-11-22T08:00:00+01:00")), 21);
  // 23:30 on the 21st in UTC is already the 22nd in Auckland (+13:00): the local date counts.
  EXPECT_EQ(cycle_day(facts, at("2026-11-22T00:30:00+13:00")), 21);
  EXPECT_FALSE(cycle_day(facts, at("2026-11-01T08:00:00+01:00")));  // before the period
  EXPECT_FALSE(cycle_day(ReproductiveFacts{}, at("2026-11-22T08:00:00+01:00")));
}

// ---- Ranges that depend on it ---------------------------------------------------------------------------------

TargetRange range(std::optional<MenopausalStatus> status, std::optional<CycleDays> days, double high) {
  TargetRange r = testing::site_range(0.0, high, SexCriterion::female);
  r.menopausal_status = status;
  r.cycle_days = days;
  return r;
}

TEST(Reproductive, TheMostSpecificApplicableRangeIsSelected) {
  const std::vector<TargetRange> ranges{range(std::nullopt, std::nullopt, 1),
                                        range(MenopausalStatus::postmenopausal, std::nullopt, 2),
                                        range(std::nullopt, CycleDays{19, 23}, 3)};
  const auto high_of = [&](ReproductiveContext context) {
    const auto* selected = select_target_range(ranges, "cortisol-dheas-ratio", Sex::female, std::nullopt, context);
    return selected != nullptr ? *selected->high : -1.0;
  };
  EXPECT_EQ(high_of({}), 1);  // nothing stated: only the range without criteria
  EXPECT_EQ(high_of({MenopausalStatus::postmenopausal, std::nullopt}), 2);
  EXPECT_EQ(high_of({MenopausalStatus::premenopausal, 21}), 3);
  EXPECT_EQ(high_of({MenopausalStatus::premenopausal, 5}), 1);  // outside days 19-23
  EXPECT_EQ(high_of({std::nullopt, 23}), 3);                    // inclusive
}

TEST(Reproductive, ValidationWantsFemaleRangesAndOrderedDaysAndSeparatesCriteria) {
  auto knowledge = testing::test_knowledge({range(std::nullopt, CycleDays{19, 23}, 3),
                                            range(MenopausalStatus::postmenopausal, std::nullopt, 2),
                                            range(std::nullopt, std::nullopt, 1)});
  EXPECT_TRUE(validate_knowledge(knowledge).empty());  // different criteria never overlap
  auto male = range(MenopausalStatus::postmenopausal, std::nullopt, 2);
  male.sex = SexCriterion::any;
  knowledge.assessment.target_ranges = {male, range(std::nullopt, CycleDays{23, 19}, 3),
                                        range(std::nullopt, CycleDays{20, 25}, 3),
                                        range(std::nullopt, CycleDays{25, 28}, 3)};
  std::vector<std::string> paths;
  for (const auto& problem : validate_knowledge(knowledge)) paths.push_back(problem.path);
  // [0] is not for women; [1] runs backwards; [3] (days 25-28) shares day 25 with [2] (days 20-25).
  EXPECT_EQ(paths, (std::vector<std::string>{"target_ranges[0].sex", "target_ranges[1].cycle_days",
                                             "target_ranges[3].cycle_days"}))
      << ::testing::PrintToString(paths);
}

TEST(Reproductive, AnalysisAssessesWithTheCycleDayAndCitesTheLastPeriod) {
  auto luteal = range(std::nullopt, CycleDays{19, 23}, 0.05);
  const auto knowledge = [&] {
    auto k = testing::test_knowledge({luteal});
    k.reproductive = codes();
    return k;
  }();
  PatientFacts patient;
  patient.reference = "Patient/p1";
  patient.sex = Sex::female;
  const auto panel = [](const char* when) {
    return std::vector<fhir::Observation>{testing::lab_result("cort", "2143-6", 14.5, "ug/dL", when),
                                          testing::lab_result("dheas", "14688-6", 3.3, "umol/L", when),
                                          last_period("lmp", "2026-11-02", "2026-11-02T09:00:00+01:00")};
  };
  const auto as_of = sys_days{year{2026} / 11 / 30};
  const auto day21 = analyze(patient, panel("2026-11-22T08:00:00+01:00"), knowledge, as_of);
  ASSERT_EQ(day21.findings.size(), 1u);
  EXPECT_TRUE(day21.findings[0].level);
  EXPECT_NE(day21.findings[0].rationale.find("for cycle days 19\u201323"), std::string::npos)
      << day21.findings[0].rationale;
  EXPECT_EQ(day21.context_basis, (std::vector<std::string>{"Observation/lmp"}));
  EXPECT_EQ(day21.skipped, 1u);  // the LMP statement is context, not a hormone result

  const auto day5 = analyze(patient, panel("2026-11-06T08:00:00+01:00"), knowledge, as_of);
  EXPECT_FALSE(day5.findings[0].level);
  EXPECT_TRUE(day5.context_basis.empty());
}

}  // namespace
}  // namespace gg::analytics
