#include "analytics/dosing.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "analytics/analysis.hpp"
#include "test_knowledge.hpp"
#include "test_medications.hpp"

namespace gg::analytics {
namespace {

using namespace std::chrono;
using testing::lab_result;

using testing::kAtc;
using testing::medications;
using testing::route;

// Hydrocortisone by mouth at the given local clock times, every day from 1 March 2024.
fhir::MedicationUse hydrocortisone_statement(std::vector<std::string> times, std::string status = "active") {
  fhir::MedicationUse use;
  use.resource_type = "MedicationStatement";
  use.id = "hc";
  use.status = std::move(status);
  use.medication_codeable_concept = fhir::CodeableConcept{{{kAtc, "", "H02AB09", "hydrocortisone"}}, ""};
  use.subject.reference = "Patient/p1";
  use.effective_period = fhir::Period{"2024-03-01", ""};
  fhir::Dosage dosage;
  dosage.route = route("26643006", "Oral route");
  dosage.timing = fhir::Timing{{}, fhir::TimingRepeat{}, std::nullopt};
  dosage.timing->repeat->time_of_day = std::move(times);
  use.dosage = {dosage};
  return use;
}

fhir::MedicationUse testosterone_injection(std::string when) {
  fhir::MedicationUse use;
  use.resource_type = "MedicationAdministration";
  use.id = "inj";
  use.status = "completed";
  use.medication_codeable_concept = fhir::CodeableConcept{{}, "Testosterone cypionate 200 mg/mL injection"};
  use.subject.reference = "Patient/p1";
  use.effective_date_time = std::move(when);
  fhir::Dosage dosage;
  dosage.route = fhir::CodeableConcept{{}, "IM"};
  use.dosage = {dosage};
  return use;
}

Measurement cortisol_at(std::string when, std::string id = "c1") {
  Measurement m;
  m.reference = "Observation/" + id;
  m.subject = "Patient/p1";
  m.analyte_id = "cortisol";
  m.value = {400, "nmol/L"};
  m.effective.instant = *parse_fhir_date_time(when).instant;
  m.effective.text = std::move(when);
  return m;
}

TEST(Dosing, ReadsRoutesFromSnomedCodesAndText) {
  EXPECT_EQ(route_of(route("26643006", "")), Route::oral);
  EXPECT_EQ(route_of(route("78421000", "")), Route::intramuscular);
  EXPECT_EQ(route_of(route("45890007", "")), Route::transdermal);
  EXPECT_EQ(route_of(fhir::CodeableConcept{{}, "by mouth"}), Route::oral);
  EXPECT_EQ(route_of(fhir::CodeableConcept{{}, "IM injection"}), Route::intramuscular);
  EXPECT_EQ(route_of(fhir::CodeableConcept{{}, "applied to the skin"}), Route::topical);
  EXPECT_EQ(route_of(fhir::CodeableConcept{{}, "as directed"}), Route::unknown);
}

TEST(Dosing, RecognisesMedicationsByCodeByNameAndThroughAContainedMedication) {
  const auto catalogue = medications();
  const auto by_code = read_medication_use(hydrocortisone_statement({"07:00:00"}), catalogue);
  ASSERT_TRUE(by_code);
  EXPECT_EQ(by_code->medication_id, "hydrocortisone");
  EXPECT_EQ(by_code->route, Route::oral);
  EXPECT_EQ(by_code->daily_times, (std::vector<minutes>{minutes(420)}));

  const auto by_name = read_medication_use(testosterone_injection("2024-03-01T09:00:00Z"), catalogue);
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->medication_id, "testosterone");
  EXPECT_EQ(by_name->route, Route::intramuscular);
  ASSERT_EQ(by_name->doses.size(), 1u);

  auto contained = hydrocortisone_statement({"07:00:00"});
  contained.medication_codeable_concept.reset();
  contained.medication_reference = fhir::Reference{"#m", ""};
  contained.contained_medications = {{"m", fhir::CodeableConcept{{}, "Hydrocortisone 10 mg tablets"}}};
  EXPECT_TRUE(read_medication_use(contained, catalogue));
  contained.medication_reference = fhir::Reference{"Medication/elsewhere", ""};
  EXPECT_FALSE(read_medication_use(contained, catalogue));  // not followed: its code is unknown here
}

TEST(Dosing, IgnoresLocalProductsTopicalRoutesAndDosesNotTaken) {
  const auto catalogue = medications();
  auto cream = hydrocortisone_statement({"07:00:00"});
  cream.medication_codeable_concept = fhir::CodeableConcept{{}, "Hydrocortisone 1% cream"};
  EXPECT_FALSE(read_medication_use(cream, catalogue));

  auto topical = hydrocortisone_statement({"07:00:00"});
  topical.dosage[0].route = route("6064005", "Topical route");
  EXPECT_FALSE(read_medication_use(topical, catalogue));

  EXPECT_FALSE(read_medication_use(hydrocortisone_statement({"07:00:00"}, "not-taken"), catalogue));
  EXPECT_FALSE(read_medication_use(hydrocortisone_statement({"07:00:00"}, "entered-in-error"), catalogue));

  auto proposal = hydrocortisone_statement({"07:00:00"});
  proposal.resource_type = "MedicationRequest";
  proposal.intent = "proposal";
  EXPECT_FALSE(read_medication_use(proposal, catalogue));
  proposal.intent = "order";
  EXPECT_TRUE(read_medication_use(proposal, catalogue));

  auto other = hydrocortisone_statement({"07:00:00"});
  other.medication_codeable_concept = fhir::CodeableConcept{{{kAtc, "", "C09AA05", "ramipril"}}, "ramipril"};
  EXPECT_FALSE(read_medication_use(other, catalogue));
}

TEST(Dosing, LastDoseOfADailyRegimenIsOnTheDrawsLocalClock) {
  const auto exposure = *read_medication_use(hydrocortisone_statement({"07:00:00", "12:00:00"}), medications());
  // 08:15 in Berlin (+01:00) is 07:15 UTC; the 07:00 local dose was at 06:00 UTC.
  const auto at = *parse_fhir_date_time("2024-03-02T08:15:00+01:00").instant;
  EXPECT_EQ(last_dose_before(exposure, at), sys_days{year{2024} / 3 / 2} + hours{6});
  // 06:30 local, before the day's first dose: the previous day's 12:00 dose.
  const auto early = *parse_fhir_date_time("2024-03-02T06:30:00+01:00").instant;
  EXPECT_EQ(last_dose_before(exposure, early), sys_days{year{2024} / 3 / 1} + hours{11});
  // Before the regimen's start (1 March): no dose.
  const auto before = *parse_fhir_date_time("2024-02-29T20:00:00+01:00").instant;
  EXPECT_FALSE(last_dose_before(exposure, before));
}

TEST(Dosing, AFinishedRegimenCountsOnlyUpToItsStatedEnd) {
  const auto catalogue = medications();
  auto finished = hydrocortisone_statement({"07:00:00"}, "completed");
  const auto at = *parse_fhir_date_time("2024-03-10T08:00:00+01:00").instant;
  EXPECT_FALSE(last_dose_before(*read_medication_use(finished, catalogue), at));  // undated end: not now
  finished.effective_period->end = "2024-03-31";
  EXPECT_TRUE(last_dose_before(*read_medication_use(finished, catalogue), at));
  finished.effective_period->end = "2024-03-05";
  EXPECT_FALSE(last_dose_before(*read_medication_use(finished, catalogue), at));
}

TEST(Dosing, ClassifiesADrawAgainstTheRoutesPeakWindow) {
  const auto catalogue = medications();
  const std::vector<MedicationExposure> exposures{
      *read_medication_use(hydrocortisone_statement({"07:00:00"}), catalogue)};
  const auto timing_at = [&](const char* when) {
    const auto timings = dose_timings(cortisol_at(when), exposures, catalogue);
    EXPECT_EQ(timings.size(), 1u) << when;
    return timings.empty() ? DoseTiming{} : timings[0];
  };
  const auto peak = timing_at("2024-03-02T08:00:00+01:00");
  EXPECT_EQ(peak.phase, DosePhase::expected_peak);
  EXPECT_DOUBLE_EQ(*peak.hours_since_dose, 1.0);
  EXPECT_EQ(peak.exposure, "MedicationStatement/hc");
  EXPECT_EQ(timing_at("2024-03-02T07:10:00+01:00").phase, DosePhase::before_peak);    // 10 min < 20 min
  EXPECT_EQ(timing_at("2024-03-02T09:00:00+01:00").phase, DosePhase::expected_peak);  // 2 h: inclusive
  EXPECT_EQ(timing_at("2024-03-02T13:00:00+01:00").phase, DosePhase::after_peak);
  const auto trough = timing_at("2024-03-02T06:30:00+01:00");  // 23.5 h after yesterday's dose
  EXPECT_EQ(trough.phase, DosePhase::after_peak);
  EXPECT_DOUBLE_EQ(*trough.hours_since_dose, 23.5);
}

TEST(Dosing, ADoseOlderThanTheDosingIntervalOrAnUnaffectedAnalyteGivesNoTiming) {
  const auto catalogue = medications();
  const std::vector<MedicationExposure> injection{
      *read_medication_use(testosterone_injection("2024-03-01T09:00:00Z"), catalogue)};
  Measurement testosterone = cortisol_at("2024-03-04T09:00:00Z");
  testosterone.analyte_id = "testosterone";
  const auto timings = dose_timings(testosterone, injection, catalogue);
  ASSERT_EQ(timings.size(), 1u);
  EXPECT_EQ(timings[0].phase, DosePhase::expected_peak);  // day 3 of the 2-5 day peak
  EXPECT_DOUBLE_EQ(*timings[0].hours_since_dose, 72);

  testosterone = cortisol_at("2024-03-16T10:00:00Z");  // 15 days: beyond the 14-day interval
  testosterone.analyte_id = "testosterone";
  EXPECT_TRUE(dose_timings(testosterone, injection, catalogue).empty());
  EXPECT_TRUE(dose_timings(cortisol_at("2024-03-04T09:00:00Z"), injection, catalogue).empty());
  // Drawn before the injection: nothing to time against.
  testosterone = cortisol_at("2024-02-28T10:00:00Z");
  testosterone.analyte_id = "testosterone";
  EXPECT_TRUE(dose_timings(testosterone, injection, catalogue).empty());
}

TEST(Dosing, AnActiveRegimenWithoutClockTimesGivesAnUnknownPhase) {
  const auto catalogue = medications();
  auto statement = hydrocortisone_statement({});
  statement.effective_period.reset();
  const std::vector<MedicationExposure> exposures{*read_medication_use(statement, catalogue)};
  const auto timings = dose_timings(cortisol_at("2024-03-02T08:00:00+01:00"), exposures, catalogue);
  ASSERT_EQ(timings.size(), 1u);
  EXPECT_EQ(timings[0].phase, DosePhase::unknown);
  EXPECT_FALSE(timings[0].hours_since_dose);

  statement.status = "completed";  // an undated, finished statement says nothing about this draw
  const std::vector<MedicationExposure> finished{*read_medication_use(statement, catalogue)};
  EXPECT_TRUE(dose_timings(cortisol_at("2024-03-02T08:00:00+01:00"), finished, catalogue).empty());
}

// ---- Recognition: local products per medication (clinical review M6) ----------------------------------------

// Systemic products named gel, spray, cream or suppository are recognised; only a medication's own local products
// are dropped by name (medications.yaml: hydrocortisone and prednisolone list local product words, testosterone,
// estradiol and progesterone none).
TEST(DosingRecognition, SystemicGelsSpraysAndSuppositoriesAreRecognisedLocalHydrocortisoneIsNot) {
  const auto catalogue = medications();
  const auto medication_of = [&](const char* product) -> std::string {
    const auto exposure = read_medication_use(testing::statement("m", product), catalogue);
    return exposure ? exposure->medication_id : "";
  };
  EXPECT_EQ(medication_of("Testosterone 1.62 % topical gel"), "testosterone");
  EXPECT_EQ(medication_of("Evamist estradiol transdermal spray"), "estradiol");
  EXPECT_EQ(medication_of("progesterone 400 mg vaginal suppository"), "progesterone");
  EXPECT_EQ(medication_of("Compounded testosterone 10 % cream"), "testosterone");
  EXPECT_EQ(medication_of("hydrocortisone 1 % cream"), "");  // still dropped: hydrocortisone's own local word
  EXPECT_EQ(medication_of("Hydrocortisone 10 mg tablets"), "hydrocortisone");
}

// A testosterone gel is often recorded with the topical route (RxNorm's dose form "Topical Gel"): for testosterone
// the catalogue says topical means transdermal; for hydrocortisone a topical route is still a local use.
TEST(DosingRecognition, ATopicalRouteMeansTransdermalOnlyWhereTheCatalogueSaysSo) {
  const auto catalogue = medications();
  const auto gel =
      read_medication_use(testing::statement("t", "Testosterone 1.62 % topical gel", "topical"), catalogue);
  ASSERT_TRUE(gel);
  EXPECT_EQ(gel->route, Route::transdermal);
  EXPECT_EQ(gel->forms, (std::vector<std::string>{"gel"}));
  EXPECT_FALSE(read_medication_use(testing::statement("h", "Hydrocortisone 10 mg tablets", "topical"), catalogue));
}

// ---- The patient's own dosing interval
// ---------------------------------------------------------------------------

// R4 Timing.repeat: `frequency` doses per `period` `periodUnit`.
TEST(DosingInterval, ReadsThePatientsIntervalFromTimingRepeat) {
  const auto catalogue = medications();
  const auto interval_of = [&](std::optional<int> frequency, double period, std::string unit) {
    auto use = testing::statement("t", "Testosterone cypionate 100 mg/mL injection", "IM");
    use.dosage[0].timing = fhir::Timing{{}, fhir::TimingRepeat{}, std::nullopt};
    use.dosage[0].timing->repeat->frequency = frequency;
    use.dosage[0].timing->repeat->period = period;
    use.dosage[0].timing->repeat->period_unit = std::move(unit);
    return read_medication_use(use, catalogue)->interval_hours;
  };
  EXPECT_EQ(interval_of(1, 1, "wk"), 168.0);
  EXPECT_EQ(interval_of(std::nullopt, 2, "wk"), 336.0);
  EXPECT_EQ(interval_of(2, 1, "d"), 12.0);
  EXPECT_EQ(interval_of(1, 1, "mo"), std::nullopt);  // a month's length varies: not decoded
}

// Clinical review L10: hydrocortisone replacement is 2-3 doses a day (SmPC 4.2), so a dose recorded on its own
// covers 8 h; a regimen's clock times state every dose and are timed however long ago the last one was.
TEST(DosingInterval, AHydrocortisoneDoseRecordedAloneCoversEightHours) {
  const auto catalogue = medications();
  const std::vector<MedicationExposure> single{*read_medication_use(
      testing::administration("hc", "Hydrocortisone 10 mg tablets", "oral", "2024-03-02T07:00:00+01:00"),
      catalogue)};
  EXPECT_EQ(dose_timings(cortisol_at("2024-03-02T14:30:00+01:00"), single, catalogue).size(), 1u);  // 7.5 h
  EXPECT_TRUE(dose_timings(cortisol_at("2024-03-02T16:00:00+01:00"), single, catalogue).empty());   // 9 h
  const std::vector<MedicationExposure> regimen{
      *read_medication_use(hydrocortisone_statement({"07:00:00"}), catalogue)};
  const auto timings = dose_timings(cortisol_at("2024-03-02T16:00:00+01:00"), regimen, catalogue);
  ASSERT_EQ(timings.size(), 1u);
  EXPECT_DOUBLE_EQ(*timings[0].hours_since_dose, 9.0);
}

// ---- The recommended sampling window (clinical review H1)
// ----------------------------------------------------------

Measurement testosterone_at(std::string when) {
  auto m = cortisol_at(std::move(when), "t");
  m.analyte_id = "testosterone";
  return m;
}

DoseTiming only_timing(const Measurement& m, const fhir::MedicationUse& use) {
  const auto catalogue = medications();
  const std::vector<MedicationExposure> exposures{*read_medication_use(use, catalogue)};
  const auto timings = dose_timings(m, exposures, catalogue);
  EXPECT_EQ(timings.size(), 1u);
  return timings.empty() ? DoseTiming{} : timings[0];
}

// Bhasin S et al., J Clin Endocrinol Metab 2018;103:1715-1744: a gel user's monitoring sample is drawn 2-8 h after
// application; Bhasin 2010 (J Clin Endocrinol Metab 2010;95:2536-2559, table 8): a patch's 3-12 h.
TEST(DosingSampling, AGelDrawFourHoursAfterApplicationIsInsideTheWindowAPatchHasItsOwn) {
  const auto gel =
      testing::statement("g", "Testosterone 1.62 % topical gel", "transdermal", "2024-03-02T07:00:00+01:00");
  const auto inside = only_timing(testosterone_at("2024-03-02T11:00:00+01:00"), gel);
  EXPECT_EQ(inside.fit, SamplingFit::inside);
  EXPECT_EQ(inside.phase, DosePhase::unknown);  // no peak window: 2-8 h is not a peak to avoid
  EXPECT_EQ(inside.window_from_hours, 2.0);
  EXPECT_EQ(inside.window_to_hours, 8.0);
  EXPECT_EQ(only_timing(testosterone_at("2024-03-02T17:00:00+01:00"), gel).fit, SamplingFit::outside);  // 10 h

  const auto patch = testing::statement("p", "Testosterone 4 mg/24 h transdermal patch", "transdermal",
                                        "2024-03-02T07:00:00+01:00");
  EXPECT_EQ(only_timing(testosterone_at("2024-03-02T17:00:00+01:00"), patch).fit, SamplingFit::inside);  // 10 h
  // A transdermal product whose form is not named: the windows differ, so none is applied.
  const auto unnamed =
      testing::statement("u", "Testosterone transdermal", "transdermal", "2024-03-02T07:00:00+01:00");
  EXPECT_EQ(only_timing(testosterone_at("2024-03-02T17:00:00+01:00"), unnamed).fit, SamplingFit::none);
}

// Bhasin 2010, table 8: enanthate or cypionate, measured midway between injections. The midpoint is the
// patient's own interval when Dosage.timing states it (weekly: 84 h), else the catalogue's 336 h; the +/- 15 %
// around it is the shipped SITE SETTING (weekly: 58.8-109.2 h; fortnightly: 117.6-218.4 h).
TEST(DosingSampling, MidIntervalIsMidwayThroughThePatientsOwnInterval) {
  auto weekly =
      testing::statement("w", "Testosterone cypionate 100 mg/mL injection", "IM", "2024-03-01T09:00:00Z");
  weekly.dosage[0].timing = fhir::Timing{{}, fhir::TimingRepeat{}, std::nullopt};
  weekly.dosage[0].timing->repeat->frequency = 1;
  weekly.dosage[0].timing->repeat->period = 1;
  weekly.dosage[0].timing->repeat->period_unit = "wk";
  const auto day_3_5 = only_timing(testosterone_at("2024-03-04T21:00:00Z"), weekly);  // 84 h
  EXPECT_EQ(day_3_5.interval_hours, 168);
  EXPECT_EQ(day_3_5.phase, DosePhase::expected_peak);  // Nankin 1987: 2-5 days
  EXPECT_EQ(day_3_5.fit, SamplingFit::inside);         // ... and midway: assessed
  EXPECT_NEAR(*day_3_5.window_from_hours, 58.8, 1e-9);
  EXPECT_NEAR(*day_3_5.window_to_hours, 109.2, 1e-9);

  const auto injection =
      testing::administration("i", "Testosterone cypionate 200 mg/mL injection", "IM", "2024-03-01T09:00:00Z");
  const auto day_3 = only_timing(testosterone_at("2024-03-04T09:00:00Z"), injection);  // 72 h of 336 h
  EXPECT_EQ(day_3.interval_hours, 336);
  EXPECT_EQ(day_3.fit, SamplingFit::outside);
  EXPECT_EQ(only_timing(testosterone_at("2024-03-08T09:00:00Z"), injection).fit, SamplingFit::inside);  // 168 h
  EXPECT_EQ(only_timing(testosterone_at("2024-03-12T09:00:00Z"), injection).fit,
            SamplingFit::outside);  // day 11: towards the trough
}

// Pre-dose (levothyroxine, liothyronine, hydrocortisone): a draw during the dose's absorption or peak is not
// pre-dose; after the peak it is judged as before.
TEST(DosingSampling, PreDoseIsMissedOnlyDuringTheDosesAbsorptionAndPeak) {
  const auto catalogue = medications();
  const std::vector<MedicationExposure> exposures{
      *read_medication_use(hydrocortisone_statement({"07:00:00"}), catalogue)};
  const auto fit_at = [&](const char* when) {
    return dose_timings(cortisol_at(when), exposures, catalogue).at(0).fit;
  };
  EXPECT_EQ(fit_at("2024-03-02T07:10:00+01:00"), SamplingFit::outside);  // before the 0.33 h peak start
  EXPECT_EQ(fit_at("2024-03-02T08:00:00+01:00"), SamplingFit::outside);  // 1 h: in the SmPC's peak
  EXPECT_EQ(fit_at("2024-03-02T13:00:00+01:00"), SamplingFit::none);     // after the peak
}

// ---- In the analysis
// ---------------------------------------------------------------------------------------------

Knowledge dosing_knowledge(std::vector<TargetRange> ranges) {
  auto knowledge = testing::test_knowledge(std::move(ranges));
  knowledge.medications = medications();
  return knowledge;
}

PatientFacts the_patient() {
  PatientFacts facts;
  facts.reference = "Patient/p1";
  facts.sex = Sex::female;
  return facts;
}

const sys_seconds kAsOf = sys_days{year{2024} / 3 / 3};

TEST(Dosing, ARatioDrawnInTheDosesPeakIsReportedButNotAssessed) {
  const std::vector<fhir::Observation> panel{
      lab_result("cort", "2143-6", 14.5, "ug/dL", "2024-03-02T08:00:00+01:00"),
      lab_result("dheas", "14688-6", 3.3, "umol/L", "2024-03-02T08:05:00+01:00")};
  // A site range the value (0.121) lies outside: assessed as high without the medication.
  const auto knowledge = dosing_knowledge({testing::site_range(0.01, 0.05)});
  const auto plain = analyze(the_patient(), panel, knowledge, kAsOf);
  ASSERT_EQ(plain.findings.size(), 1u);
  EXPECT_TRUE(plain.findings[0].level);

  const std::vector<fhir::MedicationUse> medication{hydrocortisone_statement({"07:00:00"})};
  const auto timed = analyze(the_patient(), panel, medication, knowledge, kAsOf);
  ASSERT_EQ(timed.findings.size(), 1u);
  EXPECT_FALSE(timed.findings[0].level);
  EXPECT_FALSE(timed.findings[0].direction);
  EXPECT_NE(timed.findings[0].rationale.find("expected peak 1.0 h after a Hydrocortisone dose"), std::string::npos)
      << timed.findings[0].rationale;
  const auto& gradient = timed.gradients[0];
  ASSERT_EQ(gradient.components.size(), 1u);
  EXPECT_EQ(gradient.components[0].code, "hours-since-dose");
  EXPECT_DOUBLE_EQ(gradient.components[0].value.value, 1.0);
  EXPECT_EQ(gradient.components[0].value.unit, "h");
  ASSERT_EQ(gradient.notes.size(), 1u);
  EXPECT_NE(gradient.notes[0].find("Observation/cort"), std::string::npos);
  EXPECT_NE(gradient.notes[0].find("SmPC 5.2"), std::string::npos);
  EXPECT_EQ(timed.context_basis, (std::vector<std::string>{"MedicationStatement/hc"}));
}

TEST(Dosing, AMedicationOfAnotherSubjectIsIgnored) {
  const std::vector<fhir::Observation> panel{
      lab_result("cort", "2143-6", 14.5, "ug/dL", "2024-03-02T08:00:00+01:00"),
      lab_result("dheas", "14688-6", 3.3, "umol/L", "2024-03-02T08:05:00+01:00")};
  auto other = hydrocortisone_statement({"07:00:00"});
  other.subject.reference = "Patient/someone-else";
  const std::vector<fhir::MedicationUse> medication{other};
  const auto analysis =
      analyze(the_patient(), panel, medication, dosing_knowledge({testing::site_range(0.01, 0.05)}), kAsOf);
  EXPECT_TRUE(analysis.dose_timings.empty());
  EXPECT_TRUE(analysis.findings[0].level);
}

TEST(Dosing, ASalivaSeriesUnderReplacementIsADoseCurveNotARhythm) {
  auto knowledge = dosing_knowledge({});
  knowledge.catalogue = Catalogue({testing::cortisol()});
  knowledge.rules.ratios.clear();
  RhythmRule slope;
  slope.kind = RhythmRule::Kind::diurnal_slope;
  slope.waking_window = RhythmRule::WakingWindow{};  // 05:00-11:00 as shipped (a site setting)
  RhythmRule cosinor;
  cosinor.kind = RhythmRule::Kind::cosinor;
  knowledge.rules.rhythms = {slope, cosinor};
  // Saliva cortisol (51844-9, nmol/L) over one day; hydrocortisone 10 mg at 07:30 and 5 mg at 12:00 local.
  const std::vector<fhir::Observation> series{
      lab_result("s1", "51844-9", 4, "nmol/L", "2024-03-02T07:00:00+01:00"),
      lab_result("s2", "51844-9", 30, "nmol/L", "2024-03-02T08:30:00+01:00"),
      lab_result("s3", "51844-9", 12, "nmol/L", "2024-03-02T11:30:00+01:00"),
      lab_result("s4", "51844-9", 22, "nmol/L", "2024-03-02T13:00:00+01:00"),
      lab_result("s5", "51844-9", 3, "nmol/L", "2024-03-02T22:00:00+01:00")};
  const auto endogenous = analyze(the_patient(), series, knowledge, kAsOf);
  ASSERT_FALSE(endogenous.gradients.empty());
  EXPECT_EQ(endogenous.gradients[0].code, "cortisol-diurnal-slope");

  const std::vector<fhir::MedicationUse> medication{hydrocortisone_statement({"07:30:00", "12:00:00"})};
  const auto analysis = analyze(the_patient(), series, medication, knowledge, kAsOf);
  std::vector<std::string> codes;
  for (const auto& g : analysis.gradients) codes.push_back(g.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"cortisol-dose-peak", "cortisol-dose-trough"}));
  // Peak: the highest sample 0.33-2 h after a dose (08:30, 1 h after 07:30: 30; 13:00, 1 h after 12:00: 22).
  EXPECT_DOUBLE_EQ(analysis.gradients[0].value.value, 30);
  EXPECT_EQ(analysis.gradients[0].inputs[0].reference, "Observation/s2");
  EXPECT_DOUBLE_EQ(analysis.gradients[0].components[0].value.value, 1.0);
  // Trough: drawn longest after its dose: 07:00, before the day's first dose, 19 h after the previous day's 12:00
  // dose (the 22:00 sample is 10 h after).
  EXPECT_DOUBLE_EQ(analysis.gradients[1].value.value, 4);
  EXPECT_EQ(analysis.gradients[1].inputs[0].reference, "Observation/s1");
  EXPECT_DOUBLE_EQ(analysis.gradients[1].components[0].value.value, 19.0);
  ASSERT_EQ(analysis.notes.size(), 1u);
  EXPECT_NE(analysis.notes[0].find("no endogenous rhythm"), std::string::npos);
}

}  // namespace
}  // namespace gg::analytics
