// normalise() on the forms results really arrive in: comparators, valueString, dataAbsentReason and statuses,
// interpretation and reference ranges, contained specimens, effective[x], timing and method codes, a site's own
// codes through its ConceptMaps, unit aliases and IU equivalences; and rejection messages that never carry a
// value.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analytics/normalise.hpp"
#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using testing::coding;
using testing::lab_result;
using testing::text_quantity;
using testing::ucum_quantity;

constexpr const char* kLab = "http://lab.example.org/codes";
constexpr const char* kLoinc = "http://loinc.org";
constexpr const char* kSnomed = "http://snomed.info/sct";
constexpr const char* kV2Specimen = "http://terminology.hl7.org/CodeSystem/v2-0487";
constexpr const char* kWhen = "2024-03-01T08:15:00Z";

// Cortisol (with its saliva codes), DHEA-S, testosterone, free testosterone, TSH, insulin and glucose, and a
// site's ConceptMap: CORT and CORT-MOLAR -> cortisol (serum), CORT-SAL -> cortisol (saliva), DHEAS -> DHEA-S, and
// NA -> sodium 2951-2, which the catalogue does not know.
const Catalogue& catalogue() {
  static const Catalogue kCatalogue(
      {testing::cortisol(), testing::dhea_s(), testing::testosterone(), testing::testosterone_free(),
       testing::tsh(), testing::insulin(), testing::glucose()},
      {
          LocalCodeMapping{kLab, "CORT", "2143-6", "test-map"},
          LocalCodeMapping{kLab, "CORT-MOLAR", "14675-3", "test-map"},
          LocalCodeMapping{kLab, "CORT-SAL", "2142-8", "test-map"},
          LocalCodeMapping{kLab, "DHEAS", "2191-5", "test-map"},
          LocalCodeMapping{kLab, "NA", "2951-2", "test-map"},
      });
  return kCatalogue;
}

Normalised run(const fhir::Observation& observation) {
  return normalise(observation, catalogue());
}

Measurement measurement_of(const Normalised& normalised) {
  if (const auto* rejected = std::get_if<Rejected>(&normalised)) {
    ADD_FAILURE() << "rejected: " << to_string(rejected->issues.front().reason) << ": "
                  << rejected->issues.front().message;
    return {};
  }
  if (!std::holds_alternative<Measurement>(normalised)) {
    ADD_FAILURE() << "not a measurement (variant index " << normalised.index() << ")";
    return {};
  }
  return std::get<Measurement>(normalised);
}

// The lab's interpretation and reference range of a result that normalises to a measurement (lab_report).
LabReport report_of(const fhir::Observation& observation) {
  return lab_report(observation, measurement_of(run(observation)), catalogue());
}

Rejected rejection_of(const Normalised& normalised) {
  if (!std::holds_alternative<Rejected>(normalised)) {
    ADD_FAILURE() << "not rejected (variant index " << normalised.index() << ")";
    return Rejected{{}, {}, {}, {RejectionIssue{}}};
  }
  return std::get<Rejected>(normalised);
}

// A cortisol (2143-6) result given as a valueString.
fhir::Observation string_result(std::string id, std::string value_string, std::string loinc = "2143-6") {
  auto observation = lab_result(std::move(id), std::move(loinc), 0, "ug/dL", kWhen);
  observation.value_quantity.reset();
  observation.value_string = std::move(value_string);
  return observation;
}

// A result coded only with the given codings.
fhir::Observation coded(std::vector<fhir::Coding> codings, double value = 14.5, std::string ucum = "ug/dL") {
  auto observation = lab_result("l1", "", value, std::move(ucum), kWhen);
  observation.code.coding = std::move(codings);
  return observation;
}

fhir::ObservationReferenceRange range(std::optional<fhir::Quantity> low, std::optional<fhir::Quantity> high,
                                      std::string text = "") {
  return fhir::ObservationReferenceRange{std::move(low), std::move(high), std::move(text)};
}

void with_contained_specimen(fhir::Observation& observation, const char* system, const char* code) {
  observation.contained_specimens.push_back({"s1", fhir::CodeableConcept{{coding(system, code)}, ""}});
  observation.specimen = fhir::Reference{"#s1", ""};
}

// ---- Comparators on valueQuantity
// --------------------------------------------------------------------------------

TEST(NormaliseForms, KeepsEveryComparatorAndConvertsTheBound) {
  // Testosterone 288.42 g/mol (PubChem CID 6013): 1 ng/dL = 0.03467 nmol/L (Young 1987: ng/dL x 0.0347).
  for (const char* comparator : {"<", "<=", ">=", ">"}) {
    SCOPED_TRACE(comparator);
    auto observation = lab_result("t1", "2986-8", 50, "ng/dL", kWhen);
    observation.value_quantity->comparator = comparator;
    const auto m = measurement_of(run(observation));
    EXPECT_TRUE(m.censored());
    EXPECT_EQ(m.comparator, comparator);
    EXPECT_EQ(m.value.unit, "nmol/L");
    EXPECT_NEAR(m.value.value, 50 * 0.03467, 50 * 0.03467 * 0.001);
    EXPECT_EQ(m.value_source, ValueSource::value_quantity);
  }
}

// ---- valueString
// ------------------------------------------------------------------------------------------------

TEST(NormaliseValueString, ReadsComparatorNumberAndUnit) {
  // Cortisol 362.46 g/mol (PubChem CID 5754): 1 ng/mL = 2.759 nmol/L, 1 ug/dL = 27.59 nmol/L (Young 1987).
  auto m = measurement_of(run(string_result("v1", "<0.5 ng/mL")));
  EXPECT_TRUE(m.censored());
  EXPECT_EQ(m.comparator, "<");
  EXPECT_EQ(m.value_source, ValueSource::value_string);
  EXPECT_EQ(m.value.unit, "nmol/L");
  EXPECT_NEAR(m.value.value, 0.5 * 2.759, 0.5 * 2.759 * 0.001);

  m = measurement_of(run(string_result("v2", "12.5 ug/dL")));
  EXPECT_FALSE(m.censored());
  EXPECT_EQ(m.value_source, ValueSource::value_string);
  EXPECT_NEAR(m.value.value, 12.5 * 27.59, 12.5 * 27.59 * 0.001);
}

TEST(NormaliseValueString, ReadsSpacedComparatorForAnotherAnalyte) {
  // Testosterone: 1000 ng/dL x 0.0347 = 34.7 nmol/L (Young 1987; 34.67 with 288.42 g/mol, PubChem CID 6013).
  const auto m = measurement_of(run(string_result("v3", "> 1000 ng/dL", "2986-8")));
  EXPECT_EQ(m.analyte_id, "testosterone");
  EXPECT_EQ(m.comparator, ">");
  EXPECT_NEAR(m.value.value, 34.67, 34.67 * 0.001);
}

TEST(NormaliseValueString, TakesAMissingUnitFromTheReferenceRange) {
  auto observation = string_result("v4", "<0.5");
  observation.reference_range = {range(ucum_quantity(5, "ug/dL"), ucum_quantity(25, "ug/dL"))};
  const auto m = measurement_of(run(observation));
  EXPECT_EQ(m.comparator, "<");
  EXPECT_NEAR(m.value.value, 0.5 * 27.59, 0.5 * 27.59 * 0.001);

  // Only the high bound states a unit: it is used.
  observation.reference_range = {range(std::nullopt, text_quantity(25, "ng/mL"))};
  EXPECT_NEAR(measurement_of(run(observation)).value.value, 0.5 * 2.759, 0.5 * 2.759 * 0.001);
}

TEST(NormaliseValueString, NamesTheReferenceRangeWhenItsUnitIsWrong) {
  auto observation = string_result("v5", "<0.5");
  observation.reference_range = {range(ucum_quantity(5, "[IU]/L"), ucum_quantity(25, "[IU]/L"))};
  const auto rejected = rejection_of(run(observation));
  ASSERT_EQ(rejected.issues.size(), 1u);
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::incompatible_unit);
  EXPECT_EQ(rejected.issues.front().element, "Observation.referenceRange");
}

TEST(NormaliseValueString, RejectsANumberWithNoUnitAnywhere) {
  const auto rejected = rejection_of(run(string_result("v6", "<0.5")));
  ASSERT_EQ(rejected.issues.size(), 1u);
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::missing_unit);
  EXPECT_EQ(rejected.issues.front().element, "Observation.valueString");
}

TEST(NormaliseValueString, RejectsTextThatIsNotANumber) {
  for (const char* text : {"negative", "see comment", "  ", "-5 ng/mL", "ng/mL 5"}) {
    SCOPED_TRACE(text);
    const auto rejected = rejection_of(run(string_result("v7", text)));
    ASSERT_EQ(rejected.issues.size(), 1u);
    EXPECT_EQ(rejected.issues.front().reason, RejectionReason::unreadable_value);
    EXPECT_EQ(rejected.issues.front().element, "Observation.valueString");
  }
}

TEST(NormaliseValueString, RejectsDecimalCommaAsUnreadable) {
  // A decimal comma ("1,5" = 1.5 in much of Europe) is not a number this reader accepts (normalise.cpp,
  // parse_value_string: '"1,5" is not read'); it must not become the number 1 with a unit ",5".
  for (const char* text : {"1,5", "1,5 ug/dL", "987,25"}) {
    SCOPED_TRACE(text);
    const auto rejected = rejection_of(run(string_result("v8", text)));
    ASSERT_EQ(rejected.issues.size(), 1u);
    EXPECT_EQ(rejected.issues.front().reason, RejectionReason::unreadable_value);
    EXPECT_EQ(rejected.issues.front().message.find(",5"), std::string::npos) << rejected.issues.front().message;
    EXPECT_EQ(rejected.issues.front().message.find(",25"), std::string::npos) << rejected.issues.front().message;
  }
}

TEST(NormaliseValueString, EmptyStringIsAMissingValue) {
  const auto rejected = rejection_of(run(string_result("v9", "")));
  ASSERT_EQ(rejected.issues.size(), 1u);
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::missing_value);
  EXPECT_EQ(rejected.issues.front().element, "Observation.value[x]");
}

TEST(NormaliseValueString, ReadsAUnitAliasInTheString) {
  // TSH "<0.01 mU/L": milli-international units by the catalogue alias.
  const auto m = measurement_of(run(string_result("v10", "<0.01 mU/L", "3016-3")));
  EXPECT_EQ(m.analyte_id, "tsh");
  EXPECT_EQ(m.value.unit, "m[IU]/L");
  EXPECT_NEAR(m.value.value, 0.01, 1e-12);
}

// ---- dataAbsentReason and status
// ----------------------------------------------------------------------------------

TEST(NormaliseStatus, ExcludesDataAbsentWithTheReasonCodeAndWhoItIsAbout) {
  auto observation = lab_result("a1", "2143-6", 1, "ug/dL", kWhen, "http://hapi.local/fhir/Patient/7");
  observation.meta.version_id = "4";
  observation.value_quantity.reset();
  observation.data_absent_reason = fhir::CodeableConcept{
      {coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed")}, "Not performed"};
  const auto normalised = run(observation);
  ASSERT_TRUE(std::holds_alternative<Excluded>(normalised));
  const auto& excluded = std::get<Excluded>(normalised);
  EXPECT_EQ(excluded.status, "data-absent");
  EXPECT_EQ(excluded.detail, "not-performed");
  EXPECT_EQ(excluded.reference, "Observation/a1");
  EXPECT_EQ(excluded.version_id, "4");
  EXPECT_EQ(excluded.subject, "Patient/7");
  EXPECT_EQ(excluded.analyte_id, "cortisol");
}

TEST(NormaliseStatus, ExcludedStatusWinsOverDataAbsentReason) {
  auto observation = lab_result("a2", "2143-6", 1, "ug/dL", kWhen);
  observation.value_quantity.reset();
  observation.status = "cancelled";
  observation.data_absent_reason = fhir::CodeableConcept{
      {coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed")}, ""};
  const auto normalised = run(observation);
  ASSERT_TRUE(std::holds_alternative<Excluded>(normalised));
  EXPECT_EQ(std::get<Excluded>(normalised).status, "cancelled");
  EXPECT_EQ(std::get<Excluded>(normalised).detail, "");
}

TEST(NormaliseStatus, ExcludesLocallyCodedAndValueStringResultsToo) {
  // Supersession needs the analyte whichever way the result was coded or valued.
  for (const char* status : {"registered", "cancelled", "entered-in-error"}) {
    SCOPED_TRACE(status);
    auto local = coded({coding(kLab, "CORT")});
    local.status = status;
    auto normalised = run(local);
    ASSERT_TRUE(std::holds_alternative<Excluded>(normalised));
    EXPECT_EQ(std::get<Excluded>(normalised).analyte_id, "cortisol");
    EXPECT_EQ(std::get<Excluded>(normalised).status, status);

    auto text = string_result("a3", "see comment");  // unreadable, but excluded before the value is read
    text.status = status;
    normalised = run(text);
    ASSERT_TRUE(std::holds_alternative<Excluded>(normalised));
    EXPECT_EQ(std::get<Excluded>(normalised).status, status);
  }
}

TEST(NormaliseStatus, KeepsEveryUsableStatusOnValueStringResults) {
  const std::pair<const char*, ResultStatus> statuses[] = {{"preliminary", ResultStatus::preliminary},
                                                           {"final", ResultStatus::final},
                                                           {"amended", ResultStatus::amended},
                                                           {"corrected", ResultStatus::corrected}};
  for (const auto& [text, status] : statuses) {
    SCOPED_TRACE(text);
    auto observation = string_result("a4", "12.5 ug/dL");
    observation.status = text;
    EXPECT_EQ(measurement_of(run(observation)).status, status);
  }
}

// ---- Interpretation and reference range
// ---------------------------------------------------------------------------

TEST(NormaliseReport, KeepsInterpretationCodesAsSent) {
  constexpr const char* kV3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
  auto observation = lab_result("i1", "2143-6", 30, "ug/dL", kWhen);
  observation.interpretation = {
      fhir::CodeableConcept{{coding(kV3, "H")}, ""},
      fhir::CodeableConcept{{coding(kV3, "HH"), coding("http://x.org", "")}, "very high"}};
  EXPECT_EQ(report_of(observation).interpretation, (std::vector<std::string>{"H", "HH"}));
  observation.interpretation.clear();
  EXPECT_TRUE(report_of(observation).interpretation.empty());
}

TEST(NormaliseReport, ConvertsTheReferenceRangeToTheCanonicalUnit) {
  // 5-25 ug/dL cortisol = 137.95-689.75 nmol/L (x 27.59, Young 1987).
  auto observation = lab_result("r1", "2143-6", 14.5, "ug/dL", kWhen);
  observation.reference_range = {range(ucum_quantity(5, "ug/dL"), text_quantity(25, "mcg/dL"), "5-25 ug/dL")};
  const auto report = report_of(observation);
  ASSERT_TRUE(report.reference_range);
  ASSERT_TRUE(report.reference_range->low);
  ASSERT_TRUE(report.reference_range->high);
  EXPECT_NEAR(*report.reference_range->low, 5 * 27.59, 5 * 27.59 * 0.001);
  EXPECT_NEAR(*report.reference_range->high, 25 * 27.59, 25 * 27.59 * 0.001);
  EXPECT_EQ(report.reference_range->text, "5-25 ug/dL");
}

TEST(NormaliseReport, KeepsAOneSidedOrTextOnlyRange) {
  auto observation = lab_result("r2", "2143-6", 14.5, "ug/dL", kWhen);
  observation.reference_range = {range(std::nullopt, ucum_quantity(50, "nmol/L"))};
  auto report = report_of(observation);
  ASSERT_TRUE(report.reference_range);
  EXPECT_FALSE(report.reference_range->low);
  EXPECT_DOUBLE_EQ(report.reference_range->high.value_or(-1), 50);

  observation.reference_range = {range(std::nullopt, std::nullopt, "see lab handbook")};
  report = report_of(observation);
  ASSERT_TRUE(report.reference_range);
  EXPECT_EQ(report.reference_range->text, "see lab handbook");
  EXPECT_FALSE(report.reference_range->low);
  EXPECT_FALSE(report.reference_range->high);
}

TEST(NormaliseReport, DropsAnUnreadableRangeWithoutRejectingTheResult) {
  for (const char* unit : {"gobbets", "[IU]/L"}) {
    SCOPED_TRACE(unit);
    auto observation = lab_result("r3", "2143-6", 14.5, "ug/dL", kWhen);
    observation.reference_range = {range(text_quantity(5, unit), text_quantity(25, unit), "5-25")};
    EXPECT_NEAR(measurement_of(run(observation)).value.value, 14.5 * 27.59, 14.5 * 27.59 * 0.001);
    EXPECT_FALSE(report_of(observation).reference_range);
  }
}

TEST(NormaliseReport, ConvertsARangeGivenInAnAliasedUnit) {
  auto observation = lab_result("r4", "3016-3", 2.1, "m[IU]/L", kWhen);
  observation.reference_range = {range(text_quantity(0.4, "mU/L"), text_quantity(4.0, "mU/L"))};
  const auto report = report_of(observation);
  ASSERT_TRUE(report.reference_range);
  EXPECT_NEAR(report.reference_range->low.value_or(-1), 0.4, 1e-12);
  EXPECT_NEAR(report.reference_range->high.value_or(-1), 4.0, 1e-12);
}

// ---- Specimen
// -------------------------------------------------------------------------------------------------------

TEST(NormaliseSpecimen, RejectsSalivaSpecimenOnSerumCode) {
  auto observation = lab_result("p1", "2143-6", 14.5, "ug/dL", kWhen);
  with_contained_specimen(observation, kSnomed, "119342007");  // SNOMED CT: Saliva specimen
  const auto rejected = rejection_of(run(observation));
  EXPECT_EQ(rejected.analyte_id, "cortisol");
  ASSERT_EQ(rejected.issues.size(), 1u);
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::specimen_conflict);
  EXPECT_EQ(rejected.issues.front().element, "Observation.specimen");
}

TEST(NormaliseSpecimen, RejectsSerumSpecimenOnSalivaCode) {
  auto observation = lab_result("p2", "2142-8", 0.3, "ug/dL", kWhen);
  with_contained_specimen(observation, kV2Specimen, "SER");
  EXPECT_EQ(rejection_of(run(observation)).issues.front().reason, RejectionReason::specimen_conflict);
}

TEST(NormaliseSpecimen, AcceptsAMatchingSpecimen) {
  struct Case {
    const char* loinc;
    const char* system;
    const char* code;
  };
  for (const auto& c : {Case{"2143-6", kSnomed, "119364003"},  // Serum specimen
                        Case{"2143-6", kSnomed, "119361006"},  // Plasma specimen: LOINC Ser/Plas is one type
                        Case{"2143-6", kV2Specimen, "PLAS"},
                        Case{"2142-8", kSnomed, "119342007"},  // Saliva specimen on the saliva code
                        Case{"2142-8", kV2Specimen, "SAL"}}) {
    SCOPED_TRACE(std::string(c.loinc) + " " + c.code);
    auto observation = lab_result("p3", c.loinc, 0.3, "ug/dL", kWhen);
    with_contained_specimen(observation, c.system, c.code);
    EXPECT_EQ(measurement_of(run(observation)).analyte_id, "cortisol");
  }
}

TEST(NormaliseSpecimen, DoesNotCheckWhatItCannotTell) {
  // An unknown specimen code.
  auto observation = lab_result("p4", "2143-6", 14.5, "ug/dL", kWhen);
  with_contained_specimen(observation, kSnomed, "123038009");  // SNOMED CT: Specimen (the generic concept)
  EXPECT_EQ(measurement_of(run(observation)).specimen, Specimen::serum_plasma);

  // A saliva Specimen that is contained but not the one referenced, and a reference to a Specimen on the server.
  observation = lab_result("p5", "2143-6", 14.5, "ug/dL", kWhen);
  with_contained_specimen(observation, kSnomed, "119342007");
  observation.specimen = fhir::Reference{"#s2", ""};
  EXPECT_EQ(measurement_of(run(observation)).analyte_id, "cortisol");
  observation.specimen = fhir::Reference{"Specimen/s1", ""};
  EXPECT_EQ(measurement_of(run(observation)).analyte_id, "cortisol");
}

// ---- Effective time
// ---------------------------------------------------------------------------------------------

TEST(NormaliseTime, KeepsAHalfHourOffset) {
  auto observation = lab_result("e1", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00+05:30");
  observation.effective_period = fhir::Period{"2024-03-01T01:00:00Z", ""};
  observation.issued = "2024-03-02T10:00:00Z";
  const auto m = measurement_of(run(observation));
  EXPECT_EQ(m.effective.source, TimeSource::effective_date_time);  // preferred over the period and issued
  EXPECT_EQ(m.effective.text, "2024-03-01T08:15:00+05:30");
  EXPECT_EQ(m.effective.instant.utc_offset, std::chrono::minutes{330});
  using namespace std::chrono;
  EXPECT_EQ(m.effective.instant.utc, sys_days{2024y / March / 1} + hours{2} + minutes{45});
}

TEST(NormaliseTime, UsesIssuedWhenThePeriodHasNoStart) {
  auto observation = lab_result("e2", "2143-6", 14.5, "ug/dL", "");
  observation.effective_period = fhir::Period{"", "2024-03-01T09:00:00Z"};
  observation.issued = "2024-03-02T10:00:00.250+01:00";
  const auto m = measurement_of(run(observation));
  EXPECT_EQ(m.effective.source, TimeSource::issued);
  EXPECT_EQ(m.effective.instant.utc_offset, std::chrono::minutes{60});
}

// ---- Timing and method
// ------------------------------------------------------------------------------------------

TEST(NormaliseCodeAxes, CarriesTimingOfAFastingCode) {
  // Glucose 180.16 g/mol (PubChem CID 5793): 1 mg/dL = 0.0555 mmol/L (Young 1987).
  const auto m = measurement_of(run(lab_result("f1", "1558-6", 90, "mg/dL", kWhen)));
  EXPECT_EQ(m.analyte_id, "glucose");
  EXPECT_EQ(m.timing, "fasting");
  EXPECT_EQ(m.method, "");
  EXPECT_NEAR(m.value.value, 90 * 0.0555, 90 * 0.0555 * 0.002);
  EXPECT_EQ(measurement_of(run(lab_result("f2", "2345-7", 90, "mg/dL", kWhen))).timing, "");
}

TEST(NormaliseCodeAxes, CarriesMethodOfACalculatedCode) {
  // Free testosterone: 1 pg/mL = 3.467 pmol/L (288.42 g/mol, PubChem CID 6013).
  const auto m = measurement_of(run(lab_result("f3", "103227-5", 65, "pg/mL", kWhen)));
  EXPECT_EQ(m.analyte_id, "testosterone-free");
  EXPECT_EQ(m.method, "calculated");
  EXPECT_EQ(m.timing, "");
  EXPECT_NEAR(m.value.value, 65 * 3.467, 65 * 3.467 * 0.001);
  EXPECT_EQ(measurement_of(run(lab_result("f4", "2991-8", 65, "pg/mL", kWhen))).method, "");
}

// ---- A site's own codes
// --------------------------------------------------------------------------------------------

TEST(NormaliseLocalCodes, ReadsAResultCodedOnlyWithAMappedSiteCode) {
  const auto m = measurement_of(run(coded({coding(kLab, "CORT")})));
  EXPECT_EQ(m.analyte_id, "cortisol");
  EXPECT_EQ(m.loinc_code, "2143-6");
  EXPECT_EQ(m.local_code, "http://lab.example.org/codes|CORT");
  EXPECT_EQ(m.specimen, Specimen::serum_plasma);
  EXPECT_NEAR(m.value.value, 14.5 * 27.59, 14.5 * 27.59 * 0.001);

  const auto saliva = measurement_of(run(coded({coding(kLab, "CORT-SAL")})));
  EXPECT_EQ(saliva.loinc_code, "2142-8");
  EXPECT_EQ(saliva.specimen, Specimen::saliva);
}

TEST(NormaliseLocalCodes, IgnoresCodesThatDoNotLeadToTheCatalogue) {
  EXPECT_TRUE(std::holds_alternative<NotHormone>(run(coded({coding(kLab, "XYZ")}))));  // unmapped
  EXPECT_TRUE(std::holds_alternative<NotHormone>(
      run(coded({coding("http://other-lab.example.org/codes", "CORT")}))));             // same code, other system
  EXPECT_TRUE(std::holds_alternative<NotHormone>(run(coded({coding(kLab, "NA")}))));    // maps to unknown LOINC
  EXPECT_TRUE(std::holds_alternative<NotHormone>(run(coded({coding(kLab, "cort")}))));  // codes are case-sensitive
}

TEST(NormaliseLocalCodes, LoincDecidesWhenItAgreesWithTheSiteCode) {
  auto m = measurement_of(run(coded({coding(kLoinc, "2143-6"), coding(kLab, "CORT")})));
  EXPECT_EQ(m.loinc_code, "2143-6");
  EXPECT_EQ(m.local_code, "");  // LOINC decided, not the ConceptMap

  // Same analyte and specimen under another LOINC code (molar sibling): agreement; the LOINC coding decides even
  // when it comes last.
  m = measurement_of(run(coded({coding(kLab, "CORT"), coding(kLoinc, "14675-3")}, 400, "nmol/L")));
  EXPECT_EQ(m.loinc_code, "14675-3");
  EXPECT_EQ(m.local_code, "");
  EXPECT_DOUBLE_EQ(m.value.value, 400);
}

TEST(NormaliseLocalCodes, RejectsASiteCodeNamingAnotherAnalyteOrSpecimen) {
  for (const char* local : {"DHEAS", "CORT-SAL"}) {
    for (const bool loinc_last : {false, true}) {
      SCOPED_TRACE(std::string(local) + (loinc_last ? ", LOINC last" : ", LOINC first"));
      std::vector<fhir::Coding> codings{coding(kLoinc, "2143-6"), coding(kLab, local)};
      if (loinc_last) std::swap(codings[0], codings[1]);
      const auto rejected = rejection_of(run(coded(codings)));
      EXPECT_EQ(rejected.analyte_id, "");
      ASSERT_EQ(rejected.issues.size(), 1u);
      EXPECT_EQ(rejected.issues.front().reason, RejectionReason::conflicting_codes);
      EXPECT_EQ(rejected.issues.front().element, "Observation.code");
    }
  }
}

TEST(NormaliseLocalCodes, SiteCodeDecidesWhenTheLoincCodeIsNotAHormone) {
  const auto m = measurement_of(run(coded({coding(kLoinc, "29463-7"), coding(kLab, "CORT")})));
  EXPECT_EQ(m.analyte_id, "cortisol");
  EXPECT_EQ(m.loinc_code, "2143-6");
  EXPECT_EQ(m.local_code, "http://lab.example.org/codes|CORT");
}

TEST(NormaliseLocalCodes, RejectsSiteCodesThatDisagreeWithEachOther) {
  const auto rejected = rejection_of(run(coded({coding(kLab, "CORT"), coding(kLab, "DHEAS")})));
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::conflicting_codes);
  // Two site codes for the same analyte and specimen agree.
  EXPECT_EQ(measurement_of(run(coded({coding(kLab, "CORT"), coding(kLab, "CORT-MOLAR")}))).analyte_id, "cortisol");
}

TEST(NormaliseLocalCodes, ConflictDoesNotDependOnCodingOrder) {
  // LOINC cortisol, a site code for cortisol and a site code for DHEA-S: the DHEA-S coding names another analyte
  // than the LOINC coding, a conflict (normalise.hpp: "never a tie-break") in whatever order the codings come.
  const std::vector<std::vector<fhir::Coding>> orders{
      {coding(kLoinc, "2143-6"), coding(kLab, "DHEAS"), coding(kLab, "CORT")},
      {coding(kLoinc, "2143-6"), coding(kLab, "CORT"), coding(kLab, "DHEAS")},
      {coding(kLab, "CORT"), coding(kLab, "DHEAS"), coding(kLoinc, "2143-6")},
  };
  for (std::size_t i = 0; i < orders.size(); ++i) {
    SCOPED_TRACE("order " + std::to_string(i));
    const auto rejected = rejection_of(run(coded(orders[i])));
    EXPECT_EQ(rejected.issues.front().reason, RejectionReason::conflicting_codes);
  }
}

// ---- Unit aliases and IU equivalence
// ------------------------------------------------------------------------------

TEST(NormaliseUnits, ReadsTshMilliUnitsAsMilliInternationalUnits) {
  auto observation = lab_result("u1", "3016-3", 2.1, "m[IU]/L", kWhen);
  for (const auto& quantity :
       {text_quantity(2.1, "mU/L"), ucum_quantity(2.1, "mU/L"), text_quantity(2.1, "mIU/L")}) {
    SCOPED_TRACE(quantity.unit);
    observation.value_quantity = quantity;
    const auto m = measurement_of(run(observation));
    EXPECT_EQ(m.value.unit, "m[IU]/L");
    EXPECT_NEAR(m.value.value, 2.1, 1e-9);
  }
  // uU/mL (alias of u[IU]/mL) is the same unit as mIU/L.
  observation.value_quantity = text_quantity(2.1, "uU/mL");
  EXPECT_NEAR(measurement_of(run(observation)).value.value, 2.1, 1e-9);
  // IU/L converts, but the catalogue does not accept it for TSH.
  observation.value_quantity = text_quantity(0.0021, "IU/L");
  EXPECT_EQ(rejection_of(run(observation)).issues.front().reason, RejectionReason::unit_not_accepted);
}

TEST(NormaliseUnits, RejectsEnzymeUnitsForTsh) {
  auto observation = lab_result("u2", "3016-3", 2.1, "m[IU]/L", kWhen);
  observation.value_quantity = text_quantity(0.0021, "U/L");
  const auto rejected = rejection_of(run(observation));
  ASSERT_EQ(rejected.issues.size(), 1u);
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::incompatible_unit);
  EXPECT_EQ(rejected.issues.front().element, "Observation.valueQuantity.unit");
}

TEST(NormaliseUnits, ConvertsInsulinThroughItsInternationalUnitEquivalence) {
  // 1 uIU/mL = 6 pmol/L, the immunoassay convention (1 IU = 6 nmol; Knopp JL et al., J Diabetes Sci Technol
  // 2019;13:597-600).
  auto m = measurement_of(run(lab_result("n1", "20448-7", 36, "pmol/L", kWhen)));
  EXPECT_EQ(m.analyte_id, "insulin");
  EXPECT_EQ(m.value.unit, "u[IU]/mL");
  EXPECT_NEAR(m.value.value, 6, 1e-9);
  // The molar LOINC code, and the lab's "mU/L" meaning milli-IU (1 mIU/L = 1 uIU/mL).
  m = measurement_of(run(lab_result("n2", "14796-7", 36, "pmol/L", kWhen)));
  EXPECT_NEAR(m.value.value, 6, 1e-9);
  auto observation = lab_result("n3", "20448-7", 0, "u[IU]/mL", kWhen);
  observation.value_quantity = text_quantity(12, "mU/L");
  EXPECT_NEAR(measurement_of(run(observation)).value.value, 12, 1e-9);
}

TEST(NormaliseUnits, RejectsInsulinInMassUnitsWithoutAMolarMass) {
  // The catalogue gives insulin no molar mass: ng/mL cannot reach u[IU]/mL.
  const auto rejected = rejection_of(run(lab_result("n4", "20448-7", 0.2, "ng/mL", kWhen)));
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::no_molar_mass);
}

// ---- Messages never carry the value
// ------------------------------------------------------------------------------

void expect_no_value(const Rejected& rejected) {
  ASSERT_FALSE(rejected.issues.empty());
  for (const auto& issue : rejected.issues) {
    EXPECT_EQ(issue.message.find("987"), std::string::npos) << issue.message;
    EXPECT_EQ(issue.message.find(".25"), std::string::npos) << issue.message;
    EXPECT_FALSE(issue.message.empty());
  }
}

TEST(NormaliseMessages, NeverContainTheResultValue) {
  struct Case {
    const char* what;
    fhir::Observation observation;
    RejectionReason reason;
  };
  auto negative = lab_result("m1", "2143-6", -987.25, "ug/dL", kWhen);
  auto unknown = lab_result("m2", "2143-6", 0, "ug/dL", kWhen);
  unknown.value_quantity = text_quantity(987.25, "gobbets");
  auto not_accepted = lab_result("m3", "2143-6", 987.25, "g/L", kWhen);
  auto no_molar_mass = lab_result("m4", "20448-7", 987.25, "ng/mL", kWhen);
  auto conflict = lab_result("m5", "2143-6", 987.25, "ug/dL", kWhen);
  conflict.code.coding.push_back(coding(kLab, "DHEAS"));
  auto specimen = lab_result("m6", "2143-6", 987.25, "ug/dL", kWhen);
  with_contained_specimen(specimen, kSnomed, "119342007");
  auto late = lab_result("m7", "2143-6", 987.25, "ug/dL", "2024-03-01T08:15:00");
  const Case cases[] = {
      {"negative", negative, RejectionReason::invalid_value},
      {"unknown unit", unknown, RejectionReason::unknown_unit},
      {"not accepted", not_accepted, RejectionReason::unit_not_accepted},
      {"no molar mass", no_molar_mass, RejectionReason::no_molar_mass},
      {"conflicting codes", conflict, RejectionReason::conflicting_codes},
      {"specimen", specimen, RejectionReason::specimen_conflict},
      {"time without zone", late, RejectionReason::invalid_effective_time},
      {"string, unknown unit", string_result("m8", "987.25 furlongs"), RejectionReason::unknown_unit},
      {"string, IU", string_result("m9", "<987.25 [IU]/L"), RejectionReason::incompatible_unit},
      {"string, no unit", string_result("m10", ">=987.25"), RejectionReason::missing_unit},
      {"string, unreadable", string_result("m11", "987.25 ng/mL (repeat)"), RejectionReason::unknown_unit},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto rejected = rejection_of(run(c.observation));
    EXPECT_EQ(rejected.issues.front().reason, c.reason);
    expect_no_value(rejected);
  }
}

}  // namespace
}  // namespace gg::analytics
