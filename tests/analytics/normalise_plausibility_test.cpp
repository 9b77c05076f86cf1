// Implausible numbers never become measurements (issue 8, item 11; reliability review finding 3): a result of zero
// or one that is not finite in the canonical unit is invalid, and one outside the analyte's plausible range (a
// cited measuring range) is implausible. Both are rejected with their reason.
#include <gtest/gtest.h>

#include "analytics/normalise.hpp"
#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using testing::lab_result;

constexpr const char* kWhen = "2024-03-01T08:15:00+01:00";

// The shipped ranges (config/terminology/analytes.yaml): cortisol up to 1750 nmol/L, the top of the Elecsys
// Cortisol II measuring range (Reditus Laboratories: 0.109-63.4 ug/dL; North Devon District Hospital: 3-1750
// nmol/L); DHEA-S 0.2-1000 ug/dL, the Elecsys DHEA-S technical range (Reditus Laboratories).
Analyte cortisol_with_range() {
  auto analyte = testing::cortisol();
  analyte.plausible_range = PlausibleRange{std::nullopt, 1750, "nmol/L", "Elecsys Cortisol II measuring range"};
  return analyte;
}
Analyte dhea_s_with_range() {
  auto analyte = testing::dhea_s();
  analyte.plausible_range = PlausibleRange{0.2, 1000, "ug/dL", "Elecsys DHEA-S technical range"};
  return analyte;
}

const Catalogue& catalogue() {
  static const Catalogue kCatalogue({cortisol_with_range(), dhea_s_with_range()});
  return kCatalogue;
}
// The same analytes without plausible ranges: only finiteness and zero are checked.
const Catalogue& catalogue_without_ranges() {
  static const Catalogue kCatalogue({testing::cortisol(), testing::dhea_s()});
  return kCatalogue;
}

RejectionIssue only_issue(const Normalised& normalised) {
  const auto* rejected = std::get_if<Rejected>(&normalised);
  if (rejected == nullptr) {
    ADD_FAILURE() << "not rejected";
    return {};
  }
  EXPECT_EQ(rejected->issues.size(), 1u);
  return rejected->issues.front();
}

fhir::Observation string_result(std::string id, std::string loinc, std::string value) {
  auto observation = lab_result(std::move(id), std::move(loinc), 1, "ug/dL", kWhen);
  observation.value_quantity.reset();
  observation.value_string = std::move(value);
  return observation;
}

TEST(NormalisePlausibility, ZeroIsNotAMeasuredValue) {
  // Reliability review, finding 9: a DHEA-S of 0 gave no gradient and no rejection.
  const auto issue =
      only_issue(normalise(lab_result("d0", "2191-5", 0, "ug/dL", kWhen), catalogue_without_ranges()));
  EXPECT_EQ(issue.reason, RejectionReason::invalid_value);
  EXPECT_EQ(issue.element, "Observation.valueQuantity.value");
  EXPECT_NE(issue.message.find("'<'"), std::string::npos) << issue.message;
}

TEST(NormalisePlausibility, ZeroAsAValueStringIsNotAMeasuredValue) {
  const auto issue = only_issue(normalise(string_result("d0s", "2191-5", "0 ug/dL"), catalogue_without_ranges()));
  EXPECT_EQ(issue.reason, RejectionReason::invalid_value);
  EXPECT_EQ(issue.element, "Observation.valueString");
}

TEST(NormalisePlausibility, AValueThatOverflowsInTheCanonicalUnitIsInvalid) {
  // Reliability review, finding 3: 1e308 ug/dL x 27.59 nmol/L per ug/dL is beyond the largest double.
  const auto issue =
      only_issue(normalise(lab_result("c308", "2143-6", 1e308, "ug/dL", kWhen), catalogue_without_ranges()));
  EXPECT_EQ(issue.reason, RejectionReason::invalid_value);
  EXPECT_NE(issue.message.find("not a finite number"), std::string::npos) << issue.message;
  EXPECT_EQ(issue.message.find("1e+308"), std::string::npos) << "no result value in a message";
}

TEST(NormalisePlausibility, AValueThatUnderflowsToZeroInTheCanonicalUnitIsInvalid) {
  // 5e-324 ng/mL (the smallest double) is 5e-327 mg/L: zero once converted to nmol/L.
  const auto issue =
      only_issue(normalise(lab_result("d324", "2191-5", 5e-324, "ng/mL", kWhen), catalogue_without_ranges()));
  EXPECT_EQ(issue.reason, RejectionReason::invalid_value);
  EXPECT_NE(issue.message.find("not above zero"), std::string::npos) << issue.message;
}

TEST(NormalisePlausibility, AValueAboveThePlausibleRangeIsImplausible) {
  // Reliability review, finding 3: 12345678901234567890 ug/dL gave a cortisol:DHEA-S ratio of 6.97e16.
  const auto issue =
      only_issue(normalise(lab_result("c19", "2143-6", 12345678901234567890.0, "ug/dL", kWhen), catalogue()));
  EXPECT_EQ(issue.reason, RejectionReason::implausible_value);
  EXPECT_EQ(issue.element, "Observation.valueQuantity.value");
  EXPECT_NE(issue.message.find("1750 nmol/L"), std::string::npos) << issue.message;
  EXPECT_EQ(to_string(issue.reason), "implausible-value");
}

TEST(NormalisePlausibility, TheRangeIsComparedInTheCanonicalUnit) {
  // 63.5 ug/dL = 1752 nmol/L (x 27.59) is above 1750 nmol/L; 63.4 ug/dL = 1749 nmol/L is not.
  EXPECT_EQ(only_issue(normalise(lab_result("c1", "2143-6", 63.5, "ug/dL", kWhen), catalogue())).reason,
            RejectionReason::implausible_value);
  EXPECT_TRUE(std::holds_alternative<Measurement>(
      normalise(lab_result("c2", "2143-6", 63.4, "ug/dL", kWhen), catalogue())));
}

TEST(NormalisePlausibility, TheBoundsThemselvesArePlausible) {
  EXPECT_TRUE(std::holds_alternative<Measurement>(
      normalise(lab_result("c3", "14675-3", 1750, "nmol/L", kWhen), catalogue())));
  EXPECT_TRUE(std::holds_alternative<Measurement>(
      normalise(lab_result("d1", "2191-5", 0.2, "ug/dL", kWhen), catalogue())));
  EXPECT_TRUE(std::holds_alternative<Measurement>(
      normalise(lab_result("d2", "2191-5", 1000, "ug/dL", kWhen), catalogue())));
}

TEST(NormalisePlausibility, AnExactValueBelowThePlausibleRangeIsImplausible) {
  // 0.1 ug/dL DHEA-S is below the Elecsys DHEA-S technical range (0.2 ug/dL): such a result is sent as a bound.
  const auto issue = only_issue(normalise(lab_result("d3", "2191-5", 0.1, "ug/dL", kWhen), catalogue()));
  EXPECT_EQ(issue.reason, RejectionReason::implausible_value);
  EXPECT_NE(issue.message.find("below"), std::string::npos) << issue.message;
}

TEST(NormalisePlausibility, AnUpperBoundBelowThePlausibleRangeIsKept) {
  // "<0.1 ug/dL" says the value is below what the cited assay measures: a more sensitive assay's "not detected".
  auto observation = lab_result("d4", "2191-5", 0.1, "ug/dL", kWhen);
  observation.value_quantity->comparator = "<";
  const auto normalised = normalise(observation, catalogue());
  ASSERT_TRUE(std::holds_alternative<Measurement>(normalised));
  EXPECT_TRUE(std::get<Measurement>(normalised).censored());
}

TEST(NormalisePlausibility, ALowerBoundBelowThePlausibleRangeIsImplausible) {
  auto observation = lab_result("d5", "2191-5", 0.1, "ug/dL", kWhen);
  observation.value_quantity->comparator = ">";
  EXPECT_EQ(only_issue(normalise(observation, catalogue())).reason, RejectionReason::implausible_value);
}

TEST(NormalisePlausibility, ABoundAboveThePlausibleRangeIsImplausible) {
  // Whatever its comparator, a number above the range cannot come from the assays the range cites.
  const auto issue = only_issue(normalise(string_result("d6", "2191-5", ">2000 ug/dL"), catalogue()));
  EXPECT_EQ(issue.reason, RejectionReason::implausible_value);
  EXPECT_EQ(issue.element, "Observation.valueString");
  EXPECT_EQ(only_issue(normalise(string_result("d7", "2191-5", "<2000 ug/dL"), catalogue())).reason,
            RejectionReason::implausible_value);
}

TEST(NormalisePlausibility, ABoundAtTheTopOfTheMeasuringRangeIsKept) {
  // A laboratory reports a result above the measuring range as ">1000 ug/dL".
  const auto normalised = normalise(string_result("d8", "2191-5", ">1000 ug/dL"), catalogue());
  ASSERT_TRUE(std::holds_alternative<Measurement>(normalised));
  EXPECT_EQ(std::get<Measurement>(normalised).comparator, ">");
}

TEST(NormalisePlausibility, AnAnalyteWithoutARangeTakesAnyFinitePositiveValue) {
  EXPECT_TRUE(std::holds_alternative<Measurement>(
      normalise(lab_result("c4", "2143-6", 12345678901234567890.0, "ug/dL", kWhen), catalogue_without_ranges())));
}

TEST(NormalisePlausibility, AReferenceRangeBoundThatOverflowsIsNotRead) {
  // The lab's own range is informative only: a bound that is not finite in the canonical unit is left out.
  auto observation = lab_result("c5", "2143-6", 14.5, "ug/dL", kWhen);
  fhir::ObservationReferenceRange range;
  range.high = testing::ucum_quantity(1e308, "ug/dL");
  observation.reference_range.push_back(range);
  const auto normalised = normalise(observation, catalogue());
  ASSERT_TRUE(std::holds_alternative<Measurement>(normalised));
  EXPECT_FALSE(lab_report(observation, std::get<Measurement>(normalised), catalogue()).reference_range);
}

}  // namespace
}  // namespace gg::analytics
