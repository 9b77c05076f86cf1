#include "analytics/normalise.hpp"

#include <gtest/gtest.h>

#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using testing::lab_result;
using testing::text_quantity;

const Catalogue& catalogue() {
  static const Catalogue kCatalogue({testing::cortisol(), testing::dhea_s()});
  return kCatalogue;
}

// Copies out of the variant: the Normalised passed in is usually a temporary.
Measurement measurement_of(const Normalised& normalised) {
  if (const auto* rejected = std::get_if<Rejected>(&normalised)) {
    ADD_FAILURE() << "rejected: " << rejected->issues.front().message;
  }
  return std::get<Measurement>(normalised);
}

Rejected rejection_of(const Normalised& normalised) {
  return std::get<Rejected>(normalised);
}

TEST(Normalise, ReadsMassCodeIntoNanomolesPerLitre) {
  auto observation = lab_result("c1", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00+01:00");
  observation.meta.version_id = "3";
  const auto& m = measurement_of(normalise(observation, catalogue()));
  EXPECT_EQ(m.reference, "Observation/c1");
  EXPECT_EQ(m.version_id, "3");
  EXPECT_EQ(m.subject, "Patient/p1");
  EXPECT_EQ(m.analyte_id, "cortisol");
  EXPECT_EQ(m.loinc_code, "2143-6");
  EXPECT_EQ(m.specimen, Specimen::serum_plasma);
  EXPECT_EQ(m.value.unit, "nmol/L");
  EXPECT_NEAR(m.value.value, 14.5 * 27.59, 14.5 * 27.59 * 0.001);  // Young 1987 factor
  EXPECT_EQ(m.status, ResultStatus::final);
  EXPECT_FALSE(m.censored());
}

TEST(Normalise, ReadsMolarCode) {
  const auto& m =
      measurement_of(normalise(lab_result("d1", "14688-6", 3.3, "umol/L", "2024-03-01T08:15:00Z"), catalogue()));
  EXPECT_EQ(m.analyte_id, "dhea-s");
  EXPECT_DOUBLE_EQ(m.value.value, 3300);
}

TEST(Normalise, SkipsObservationsThatAreNotHormones) {
  auto glucose = lab_result("g1", "2345-7", 5.1, "mmol/L", "2024-03-01T08:15:00Z");
  EXPECT_TRUE(std::holds_alternative<NotHormone>(normalise(glucose, catalogue())));
}

TEST(Normalise, IgnoresHormoneCodeNumberInAnotherSystem) {
  auto observation = lab_result("x1", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00Z");
  observation.code.coding.front().system = "http://example.org/local";
  EXPECT_TRUE(std::holds_alternative<NotHormone>(normalise(observation, catalogue())));
}

TEST(Normalise, FindsLoincAmongSeveralCodings) {
  auto observation = lab_result("c2", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00Z");
  observation.code.coding.insert(observation.code.coding.begin(), {"http://example.org/local", "", "CORT", ""});
  EXPECT_EQ(measurement_of(normalise(observation, catalogue())).analyte_id, "cortisol");
}

TEST(Normalise, RejectsCodingsNamingDifferentAnalytes) {
  auto observation = lab_result("c3", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00Z");
  observation.code.coding.push_back({"http://loinc.org", "", "2191-5", ""});
  const auto& rejected = rejection_of(normalise(observation, catalogue()));
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::conflicting_codes);
}

TEST(Normalise, TakesSpecimenFromTheLoincCode) {
  const auto& m =
      measurement_of(normalise(lab_result("s1", "2142-8", 0.3, "ug/dL", "2024-03-01T08:15:00Z"), catalogue()));
  EXPECT_EQ(m.analyte_id, "cortisol");
  EXPECT_EQ(m.specimen, Specimen::saliva);
}

TEST(Normalise, KeepsComparatorAsCensoredValue) {
  auto observation = lab_result("d2", "2191-5", 15, "ug/dL", "2024-03-01T08:15:00Z");
  observation.value_quantity->comparator = "<";
  const auto& m = measurement_of(normalise(observation, catalogue()));
  EXPECT_TRUE(m.censored());
  EXPECT_EQ(m.comparator, "<");
  EXPECT_NEAR(m.value.value, 15 * 27.14, 15 * 27.14 * 0.001);
}

TEST(Normalise, ExcludesCancelledEnteredInErrorAndRegistered) {
  for (const char* status : {"cancelled", "entered-in-error", "registered"}) {
    SCOPED_TRACE(status);
    auto observation = lab_result("c4", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00Z");
    observation.status = status;
    const auto normalised = normalise(observation, catalogue());
    ASSERT_TRUE(std::holds_alternative<Excluded>(normalised));
    const auto& excluded = std::get<Excluded>(normalised);
    EXPECT_EQ(excluded.reference, "Observation/c4");
    EXPECT_EQ(excluded.analyte_id, "cortisol");
    EXPECT_EQ(excluded.status, status);
  }
}

TEST(Normalise, AcceptsPreliminaryAmendedAndCorrected) {
  for (const char* status : {"preliminary", "amended", "corrected"}) {
    SCOPED_TRACE(status);
    auto observation = lab_result("c5", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00Z");
    observation.status = status;
    EXPECT_EQ(to_string(measurement_of(normalise(observation, catalogue())).status), status);
  }
}

TEST(Normalise, RejectsStatusWithoutUsableResult) {
  for (const char* status : {"unknown", ""}) {
    SCOPED_TRACE(status);
    auto observation = lab_result("c6", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00Z");
    observation.status = status;
    const auto& rejected = rejection_of(normalise(observation, catalogue()));
    EXPECT_EQ(rejected.issues.front().reason, RejectionReason::status_unusable);
    EXPECT_EQ(rejected.issues.front().element, "Observation.status");
  }
}

TEST(Normalise, RejectsInternationalUnitsForCortisolWithoutNamingTheValue) {
  const auto& rejected =
      rejection_of(normalise(lab_result("c7", "2143-6", 987.25, "[IU]/L", "2024-03-01T08:15:00Z"), catalogue()));
  EXPECT_EQ(rejected.reference, "Observation/c7");
  EXPECT_EQ(rejected.analyte_id, "cortisol");
  ASSERT_EQ(rejected.issues.size(), 1u);
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::incompatible_unit);
  EXPECT_EQ(rejected.issues.front().element, "Observation.valueQuantity.code");
  EXPECT_EQ(rejected.issues.front().message.find("987"), std::string::npos);
}

TEST(Normalise, RejectsUnknownFreeTextUnit) {
  auto observation = lab_result("c8", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00Z");
  observation.value_quantity = text_quantity(14.5, "gobbets");
  const auto& rejected = rejection_of(normalise(observation, catalogue()));
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::unknown_unit);
  EXPECT_EQ(rejected.issues.front().element, "Observation.valueQuantity.unit");
}

TEST(Normalise, PointsAtFreeTextUnitWhenThatWasRead) {
  auto observation = lab_result("c16", "2143-6", 3.0, "ug/dL", "2024-03-01T08:15:00Z");
  observation.value_quantity = text_quantity(3.0, "IU/L");
  const auto rejected = rejection_of(normalise(observation, catalogue()));
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::incompatible_unit);
  EXPECT_EQ(rejected.issues.front().element, "Observation.valueQuantity.unit");
}

TEST(Normalise, RejectsConvertibleUnitOutsideAcceptedList) {
  const auto& rejected =
      rejection_of(normalise(lab_result("c9", "2143-6", 0.0001, "g/L", "2024-03-01T08:15:00Z"), catalogue()));
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::unit_not_accepted);
}

TEST(Normalise, AcceptsFreeTextSpellingOfAcceptedUnit) {
  auto observation = lab_result("c10", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00Z");
  observation.value_quantity = text_quantity(14.5, "mcg/dL");
  EXPECT_NEAR(measurement_of(normalise(observation, catalogue())).value.value, 400.06, 0.4);
}

TEST(Normalise, RejectsAbsentValue) {
  auto observation = lab_result("c11", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00Z");
  observation.value_quantity.reset();
  EXPECT_EQ(rejection_of(normalise(observation, catalogue())).issues.front().reason,
            RejectionReason::missing_value);
}

TEST(Normalise, ExcludesDataAbsentWithItsReason) {
  auto observation = lab_result("c11", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00Z");
  observation.value_quantity.reset();
  observation.data_absent_reason =
      fhir::CodeableConcept{{{"http://terminology.hl7.org/CodeSystem/data-absent-reason", "", "error", ""}}, ""};
  const auto normalised = normalise(observation, catalogue());
  ASSERT_TRUE(std::holds_alternative<Excluded>(normalised));
  EXPECT_EQ(std::get<Excluded>(normalised).status, "data-absent");
  EXPECT_EQ(std::get<Excluded>(normalised).detail, "error");
}

TEST(Normalise, RejectsNegativeConcentration) {
  const auto& rejected =
      rejection_of(normalise(lab_result("c12", "2143-6", -1, "ug/dL", "2024-03-01T08:15:00Z"), catalogue()));
  EXPECT_EQ(rejected.issues.front().reason, RejectionReason::invalid_value);
}

TEST(Normalise, FallsBackToPeriodStartThenIssued) {
  auto observation = lab_result("c13", "2143-6", 14.5, "ug/dL", "");
  observation.effective_period = fhir::Period{"2024-03-01T08:00:00+02:00", "2024-03-01T09:00:00+02:00"};
  observation.issued = "2024-03-02T10:00:00Z";
  auto m = measurement_of(normalise(observation, catalogue()));
  EXPECT_EQ(m.effective.source, TimeSource::effective_period_start);
  EXPECT_EQ(m.effective.text, "2024-03-01T08:00:00+02:00");
  EXPECT_EQ(m.effective.instant.utc_offset, std::chrono::minutes{120});

  observation.effective_period.reset();
  m = measurement_of(normalise(observation, catalogue()));
  EXPECT_EQ(m.effective.source, TimeSource::issued);
  EXPECT_EQ(m.effective.text, "2024-03-02T10:00:00Z");
}

TEST(Normalise, KeepsOnlyTheComponentsThatStateATime) {
  // A site may state the time of awakening in a component (rhythm_rules.hpp); the code is its own, so every
  // dateTime or time component is kept with its codings, and nothing else.
  auto observation = lab_result("c3", "2143-6", 14.5, "ug/dL", "2024-03-01T08:15:00+01:00");
  const fhir::Coding local{"http://example.org/local", "", "WAKE", ""};
  observation.component = {
      fhir::ObservationComponent{{{local}, ""}, std::nullopt, "", "06:45:00", ""},
      fhir::ObservationComponent{{{}, "note"}, std::nullopt, "late", "", ""},
      fhir::ObservationComponent{{{local}, ""}, std::nullopt, "", "", "2024-03-01T06:45:00+01:00"}};
  const auto& m = measurement_of(normalise(observation, catalogue()));
  EXPECT_EQ(m.time_components,
            (std::vector<TimeComponent>{{{local}, "", "06:45:00"}, {{local}, "2024-03-01T06:45:00+01:00", ""}}));
}

TEST(Normalise, RejectsMissingOrDateOnlyTime) {
  auto observation = lab_result("c14", "2143-6", 14.5, "ug/dL", "");
  EXPECT_EQ(rejection_of(normalise(observation, catalogue())).issues.front().reason,
            RejectionReason::missing_effective_time);
  observation.effective_date_time = "2024-03-01";
  EXPECT_EQ(rejection_of(normalise(observation, catalogue())).issues.front().reason,
            RejectionReason::imprecise_effective_time);
  observation.effective_date_time = "2024-03-01T08:00:00";
  EXPECT_EQ(rejection_of(normalise(observation, catalogue())).issues.front().reason,
            RejectionReason::invalid_effective_time);
}

TEST(Normalise, ReportsEveryProblemNotJustTheFirst) {
  auto observation = lab_result("c15", "2143-6", 14.5, "furlongs", "2024-03-01");
  observation.status = "unknown";
  const auto& rejected = rejection_of(normalise(observation, catalogue()));
  ASSERT_EQ(rejected.issues.size(), 3u);
  EXPECT_EQ(rejected.issues[0].reason, RejectionReason::status_unusable);
  EXPECT_EQ(rejected.issues[1].reason, RejectionReason::unknown_unit);
  EXPECT_EQ(rejected.issues[2].reason, RejectionReason::imprecise_effective_time);
}

TEST(RelativeReference, ReducesRestfulReferencesToTypeAndId) {
  EXPECT_EQ(relative_reference("Patient/7"), "Patient/7");
  EXPECT_EQ(relative_reference("http://hapi.local/fhir/Patient/7"), "Patient/7");
  EXPECT_EQ(relative_reference("http://hapi.local/fhir/Patient/7/_history/2"), "Patient/7");
  EXPECT_EQ(relative_reference("urn:uuid:0d4b"), "urn:uuid:0d4b");
  EXPECT_EQ(relative_reference(""), "");
  EXPECT_EQ(relative_reference("Patient/7/_history/2"), "Patient/7");
  EXPECT_EQ(relative_reference("/fhir//Patient//7/"), "Patient/7");  // empty segments do not count
  EXPECT_EQ(relative_reference("_history/2"), "_history/2");         // too short to carry a version
  EXPECT_EQ(relative_reference("Patient"), "Patient");
  EXPECT_EQ(relative_reference("Patient/"), "Patient/");  // one segment, kept as it is
  EXPECT_EQ(relative_reference("/7"), "/7");
  EXPECT_EQ(relative_reference("#contained"), "#contained");
  EXPECT_EQ(relative_reference("https://a/b/c/d/e/Observation/o-1/_history/12"), "Observation/o-1");
}

}  // namespace
}  // namespace gg::analytics
