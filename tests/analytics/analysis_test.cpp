#include "analytics/analysis.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "test_knowledge.hpp"
#include "test_medications.hpp"

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

// ---- Dose timing in the analysis: sampling windows, timing proposals, medications that invalidate a result
// ------

namespace gg::analytics {
namespace {

// SHBG, molar only (LOINC 13967-5, nmol/L), as in config/terminology/analytes.yaml.
Analyte shbg() {
  return Analyte{"shbg",
                 "SHBG",
                 "nmol/L",
                 std::nullopt,
                 std::nullopt,
                 {},
                 {testing::loinc_code("13967-5", "Sex hormone binding globulin [Moles/volume] in Serum or Plasma",
                                      LoincProperty::substance_concentration)},
                 {"nmol/L"}};
}

// The shipped derived rules (config/rules/gradients.yaml): Vermeulen free testosterone with albumin 43 g/L when
// none is measured, FAI, HOMA-IR with insulin within 1 h of the fasting glucose.
DerivedRule derived_rule(DerivedRule::Formula formula, std::string code, std::chrono::hours window) {
  DerivedRule rule;
  rule.formula = formula;
  rule.code = std::move(code);
  rule.display = rule.code;
  rule.window = window;
  rule.default_albumin_g_l = 43;
  return rule;
}

TargetRange range(std::string gradient, SexCriterion sex, AgeBand age, std::optional<double> low,
                  std::optional<double> high, std::string source) {
  TargetRange r;
  r.gradient_code = std::move(gradient);
  r.sex = sex;
  r.age = age;
  r.low = low;
  r.high = high;
  r.source = std::move(source);
  return r;
}

Knowledge dosing_knowledge() {
  auto knowledge = test_knowledge(
      {site_range(0.01, 0.05),
       // Ho CK et al., Ann Clin Biochem 2006;43:389-397: Vermeulen free T 245-785 pmol/L, men 20-45 y.
       range("free-testosterone-calculated", SexCriterion::male, AgeBand{20, 46}, 245, 785, "Ho 2006"),
       // Gayoso-Diz P et al., BMC Endocr Disord 2013;13:47: HOMA-IR 90th percentile 3.46, adults 20-92 y.
       range("homa-ir", SexCriterion::any, AgeBand{20, {}}, std::nullopt, 3.46, "Gayoso-Diz 2013")});
  knowledge.catalogue = Catalogue({testing::cortisol(), testing::dhea_s(), testing::testosterone(), shbg(),
                                   testing::glucose(), testing::insulin()});
  knowledge.rules.derived = {
      derived_rule(DerivedRule::Formula::free_testosterone_vermeulen, "free-testosterone-calculated",
                   std::chrono::hours{24}),
      derived_rule(DerivedRule::Formula::free_androgen_index, "free-androgen-index", std::chrono::hours{24}),
      derived_rule(DerivedRule::Formula::homa_ir, "homa-ir", std::chrono::hours{1})};
  knowledge.medications = testing::medications();
  return knowledge;
}

PatientFacts man_of_35() {
  PatientFacts facts;
  facts.reference = "Patient/p1";
  facts.sex = Sex::male;
  facts.birth_date = std::chrono::year{1989} / 1 / 15;
  return facts;
}

// Total testosterone 35 nmol/L (14913-8) and SHBG 30 nmol/L (13967-5) drawn together: with albumin 43 g/L the
// Vermeulen free testosterone is 890 pmol/L (derived.hpp), above Ho 2006's 785 pmol/L.
std::vector<fhir::Observation> testosterone_panel(const char* when) {
  return {lab_result("t", "14913-8", 35, "nmol/L", when), lab_result("shbg", "13967-5", 30, "nmol/L", when)};
}

const Gradient* gradient_of(const Analysis& analysis, std::string_view code, const Finding** finding = nullptr) {
  for (std::size_t i = 0; i < analysis.gradients.size(); ++i) {
    if (analysis.gradients[i].code != code) continue;
    if (finding != nullptr) *finding = &analysis.findings[i];
    return &analysis.gradients[i];
  }
  return nullptr;
}

bool any_note_has(const Gradient& gradient, std::string_view text) {
  return std::any_of(gradient.notes.begin(), gradient.notes.end(),
                     [&](const std::string& note) { return note.find(text) != std::string::npos; });
}

// Clinical review H1; Bhasin S et al., J Clin Endocrinol Metab 2018;103:1715-1744: a gel user's monitoring sample
// belongs 2-8 h after application. Drawn 4 h after, the free testosterone is assessed (Ho 2006 range) and no
// repeat is proposed; drawn 10 h after, it is not assessed and the repeat proposed is the gel's window.
TEST(AnalysisDoseTiming, ADrawInsideTheGelWindowIsAssessedOneOutsideItProposesTheWindow) {
  const auto knowledge = dosing_knowledge();
  const std::vector<fhir::MedicationUse> gel{
      testing::statement("gel", "Testosterone 1.62 % topical gel", "topical", "2024-03-01T07:00:00+01:00")};
  const auto inside = analyze(man_of_35(), testosterone_panel("2024-03-01T11:00:00+01:00"), gel, knowledge, kAsOf);
  const Finding* finding = nullptr;
  const auto* free_t = gradient_of(inside, "free-testosterone-calculated", &finding);
  ASSERT_NE(free_t, nullptr);
  EXPECT_NEAR(free_t->value.value, 890.5, 0.5);
  ASSERT_TRUE(finding->level) << finding->rationale;
  EXPECT_EQ(finding->direction, Direction::above);
  EXPECT_TRUE(any_note_has(*free_t, "inside its recommended sampling window (2-8 h after applying the gel"));
  EXPECT_TRUE(inside.timing_proposals.empty());

  const auto outside =
      analyze(man_of_35(), testosterone_panel("2024-03-01T17:00:00+01:00"), gel, knowledge, kAsOf);
  gradient_of(outside, "free-testosterone-calculated", &finding);
  EXPECT_FALSE(finding->level);
  EXPECT_NE(finding->rationale.find("outside the recommended sampling time (2-8 h after applying the gel)"),
            std::string::npos)
      << finding->rationale;
  ASSERT_EQ(outside.timing_proposals.size(), 1u);  // one per result and medication: free T and FAI share it
  const auto& proposal = outside.timing_proposals[0];
  EXPECT_EQ(proposal.title, "Repeat the Testosterone result 2-8 h after applying the gel");
  EXPECT_EQ(proposal.measurement, "Observation/t");
  EXPECT_EQ(proposal.exposure, "MedicationStatement/gel");
  EXPECT_EQ(outside.gradients[proposal.gradient].code, "free-testosterone-calculated");
  EXPECT_NE(proposal.reason.find("outside its recommended sampling window of 2.0-8.0 h after the dose"),
            std::string::npos)
      << proposal.reason;
  EXPECT_NE(proposal.description.find("Source: Bhasin 2018"), std::string::npos) << proposal.description;
}

// Nankin HR, Fertil Steril 1987;47:1004-1009: after a cypionate injection testosterone peaks on days 2-5; Bhasin
// 2010 (table 8): measure midway between injections. Day 3 of the catalogue's 14-day interval is neither: not
// assessed, and the repeat proposed is mid-interval, with its window (+/- 15 %, a site setting) spelled out.
TEST(AnalysisDoseTiming, AnInjectionPeakDrawProposesAMidIntervalRepeatNotATrough) {
  const std::vector<fhir::MedicationUse> injection{testing::administration(
      "inj", "Testosterone cypionate 200 mg/mL injection", "IM", "2024-02-27T09:00:00+01:00")};
  const auto analysis =
      analyze(man_of_35(), testosterone_panel("2024-03-01T09:00:00+01:00"), injection, dosing_knowledge(), kAsOf);
  const Finding* finding = nullptr;
  const auto* free_t = gradient_of(analysis, "free-testosterone-calculated", &finding);
  ASSERT_NE(free_t, nullptr);
  EXPECT_FALSE(finding->level);
  EXPECT_NE(finding->rationale.find("in the expected peak 72 h after a Testosterone dose"), std::string::npos)
      << finding->rationale;
  ASSERT_EQ(analysis.timing_proposals.size(), 1u);
  const auto& proposal = analysis.timing_proposals[0];
  EXPECT_EQ(proposal.title,
            "Repeat the Testosterone result midway between two injections (118-218 h after the dose)");
  EXPECT_EQ(proposal.title.find("trough"), std::string::npos);
  EXPECT_NE(proposal.description.find("dosing interval of 336 h"), std::string::npos) << proposal.description;
  EXPECT_NE(proposal.description.find("site setting"), std::string::npos) << proposal.description;
}

// Pre-dose for a medication whose sample belongs before the next dose: hydrocortisone (SmPC 5.2 peak 0.33-2 h).
TEST(AnalysisDoseTiming, APeakDrawOnAPreDoseMedicationProposesItsPreDoseRepeat) {
  auto use = testing::statement("hc", "Hydrocortisone 10 mg tablets", "oral", "2024-03-01T07:00:00+01:00");
  const std::vector<fhir::MedicationUse> medication{use};
  const auto analysis = analyze(patient(), morning_panel(), medication, dosing_knowledge(), kAsOf);
  ASSERT_EQ(analysis.findings.size(), 1u);
  EXPECT_FALSE(analysis.findings[0].level);  // 08:10, 1.2 h after the dose: in its peak
  ASSERT_EQ(analysis.timing_proposals.size(), 1u);
  EXPECT_EQ(analysis.timing_proposals[0].title,
            "Repeat the Cortisol result before the next hydrocortisone dose (pre-dose)");
  EXPECT_NE(analysis.timing_proposals[0].reason.find("in its expected peak (SmPC 5.2)"), std::string::npos);
}

// Clinical review M8: HOMA-IR is invalid under exogenous insulin. Fasting glucose 5.2 mmol/L and insulin
// 18 uIU/mL give 4.16 (Matthews 1985), above Gayoso-Diz's 3.46: a level without insulin treatment, none with it,
// and the rationale says why. No timing proposal: no time after a dose would make it valid.
TEST(AnalysisDoseTiming, HomaIrOfAnInsulinTreatedPatientHasNoLevelAndSaysWhy) {
  const std::vector<fhir::Observation> fasting{
      lab_result("g", "1558-6", 5.2, "mmol/L", "2024-03-01T08:00:00+01:00"),
      lab_result("i", "20448-7", 18, "u[IU]/mL", "2024-03-01T08:05:00+01:00")};
  const auto knowledge = dosing_knowledge();
  const auto untreated = analyze(man_of_35(), fasting, knowledge, kAsOf);
  const Finding* finding = nullptr;
  ASSERT_NE(gradient_of(untreated, "homa-ir", &finding), nullptr);
  EXPECT_TRUE(finding->level);

  const std::vector<fhir::MedicationUse> insulin{testing::statement("ins", "Insulin glargine 100 units/mL pen")};
  const auto treated = analyze(man_of_35(), fasting, insulin, knowledge, kAsOf);
  const auto* homa = gradient_of(treated, "homa-ir", &finding);
  ASSERT_NE(homa, nullptr);
  EXPECT_NEAR(homa->value.value, 5.2 * 18 / 22.5, 1e-9);
  EXPECT_FALSE(finding->level);
  EXPECT_NE(finding->rationale.find("Not assessed against a target: the patient is treated with insulin."),
            std::string::npos)
      << finding->rationale;
  EXPECT_TRUE(any_note_has(*homa, "was drawn on Insulin (MedicationStatement/ins)"));
  EXPECT_TRUE(treated.timing_proposals.empty());
}

// Clinical review M9: prednisolone suppresses endogenous cortisol and some immunoassays read it as cortisol. A
// cortisol ratio drawn on it is marked "interpret with care" without a level, and a cortisol series on it is
// evaluated neither as an endogenous rhythm nor as a hydrocortisone dose curve.
TEST(AnalysisDoseTiming, CortisolOnPrednisoloneIsNotAssessedAndItsSeriesIsNeitherRhythmNorDoseCurve) {
  auto knowledge = dosing_knowledge();
  const std::vector<fhir::MedicationUse> prednisolone{testing::statement("pred", "Prednisolone 5 mg tablets")};
  const auto ratio = analyze(patient(), morning_panel(), prednisolone, knowledge, kAsOf);
  ASSERT_EQ(ratio.findings.size(), 1u);
  EXPECT_FALSE(ratio.findings[0].level);
  EXPECT_NE(ratio.findings[0].rationale.find("interpret with care: glucocorticoid other than hydrocortisone"),
            std::string::npos)
      << ratio.findings[0].rationale;
  EXPECT_TRUE(ratio.timing_proposals.empty());

  knowledge.rules.ratios.clear();
  RhythmRule slope;
  slope.kind = RhythmRule::Kind::diurnal_slope;
  slope.waking_window = RhythmRule::WakingWindow{};  // 05:00-11:00, the shipped site setting
  RhythmRule cosinor;
  cosinor.kind = RhythmRule::Kind::cosinor;
  cosinor.min_samples = 5;
  knowledge.rules.rhythms = {slope, cosinor};
  // Saliva cortisol (51844-9, nmol/L) over one day: an endogenous slope and cosinor without the medication.
  const std::vector<fhir::Observation> series{
      lab_result("s1", "51844-9", 20, "nmol/L", "2024-03-01T07:00:00+01:00"),
      lab_result("s2", "51844-9", 12, "nmol/L", "2024-03-01T11:00:00+01:00"),
      lab_result("s3", "51844-9", 7, "nmol/L", "2024-03-01T15:00:00+01:00"),
      lab_result("s4", "51844-9", 4, "nmol/L", "2024-03-01T19:00:00+01:00"),
      lab_result("s5", "51844-9", 2, "nmol/L", "2024-03-01T23:00:00+01:00")};
  EXPECT_FALSE(analyze(patient(), series, knowledge, kAsOf).gradients.empty());
  const auto on_prednisolone = analyze(patient(), series, prednisolone, knowledge, kAsOf);
  EXPECT_TRUE(on_prednisolone.gradients.empty());
  ASSERT_EQ(on_prednisolone.notes.size(), 1u);
  EXPECT_NE(on_prednisolone.notes[0].find("neither as a dose curve nor as an endogenous rhythm"),
            std::string::npos)
      << on_prednisolone.notes[0];
}

}  // namespace
}  // namespace gg::analytics

namespace gg::analytics {
namespace {

// Measurements given back (recycle_measurements) are normalised into by the next analysis on the thread: it is the
// analysis a fresh one gives, whatever they held (more results, another patient's, a rejected or mismatched one
// left half written in a place).
TEST(Analysis, RecycledMeasurementsGiveTheSameAnalysis) {
  auto other = morning_panel();
  other.push_back(lab_result("cort2", "2143-6", 11.0, "ug/dL", "2024-03-01T10:10:00+01:00"));
  other.push_back(lab_result("dheas2", "14688-6", 2.9, "umol/L", "2024-03-01T10:12:00+01:00"));
  other[1].subject.reference = "Patient/someone-else";  // a mismatch: its place is used again
  auto panel = morning_panel();
  panel[0].id = "cortisol-with-a-much-longer-id-than-the-last-patients";
  const auto fresh = analyze(patient(), panel, test_knowledge(), kAsOf);
  for (int round = 0; round < 3; ++round) {
    auto before = analyze(patient(Sex::male), round == 1 ? panel : other, test_knowledge(), kAsOf);
    recycle_measurements(std::move(before.measurements));
    const auto again = analyze(patient(), panel, test_knowledge(), kAsOf);
    EXPECT_EQ(again.measurements, fresh.measurements);
    EXPECT_EQ(again.rejections, fresh.rejections);
    EXPECT_EQ(again.gradients, fresh.gradients);
    EXPECT_EQ(again.findings, fresh.findings);
    EXPECT_EQ(again.skipped, fresh.skipped);
  }
}

}  // namespace
}  // namespace gg::analytics
