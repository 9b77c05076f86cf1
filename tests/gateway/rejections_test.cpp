// What an integration engineer sees of a hormone result the gateway could not use: an OperationOutcome naming the
// Observation, the element and a machine-readable reason, never the value; kept once per version; listed by
// GET /admin/rejections as a FHIR Bundle.
#include "gateway/pipeline/rejections.hpp"
#include "gateway_test_support.hpp"

#include <gtest/gtest.h>

#include "fhir/json_codec.hpp"
#include "gateway/http/admin_api.hpp"
#include "gateway/store/state_store.hpp"

namespace gg::gateway {
namespace {

analytics::Rejected two_problems() {
  return analytics::Rejected{
      "Observation/o7",
      "3",
      "cortisol",
      {{analytics::RejectionReason::incompatible_unit, "unit '[IU]/L' for Cortisol: cannot be converted",
        "Observation.valueQuantity.code"},
       {analytics::RejectionReason::missing_effective_time,
        "no effectiveDateTime, effectivePeriod.start or issued", "Observation.effective[x]"}}};
}

TEST(RejectionOutcome, OneErrorIssuePerReasonWithElementAndReasonCode) {
  const auto outcome = rejection_outcome(two_problems());
  ASSERT_EQ(outcome.issue.size(), 2u);
  EXPECT_EQ(outcome.issue[0].severity, "error");
  EXPECT_EQ(outcome.issue[0].code, "business-rule");
  EXPECT_EQ(outcome.issue[0].expression, std::vector<std::string>{"Observation.valueQuantity.code"});
  ASSERT_TRUE(outcome.issue[0].details);
  EXPECT_EQ(outcome.issue[0].details->coding.at(0).system, kRejectionReasonSystem);
  EXPECT_EQ(outcome.issue[0].details->coding.at(0).code, "incompatible-unit");
  EXPECT_NE(outcome.issue[0].diagnostics.find("Observation/o7 version 3"), std::string::npos);
  EXPECT_EQ(outcome.issue[1].code, "required");
  EXPECT_EQ(outcome.issue[1].details->coding.at(0).code, "missing-effective-time");
  EXPECT_EQ(rejection_reasons(two_problems()), "incompatible-unit,missing-effective-time");
}

// An implausible value is a bad value; a gradient that is not a finite number is a processing failure of the
// analysis (R4 IssueType, http://hl7.org/fhir/issue-type).
TEST(RejectionOutcome, ImplausibleValueAndNonFiniteGradientHaveTheirIssueTypes) {
  const analytics::Rejected rejected{
      "Observation/o9",
      "1",
      "cortisol",
      {{analytics::RejectionReason::implausible_value, "above the plausible range",
        "Observation.valueQuantity.value"},
       {analytics::RejectionReason::non_finite_gradient, "not a finite number", "Observation.value[x]"}}};
  const auto outcome = rejection_outcome(rejected);
  ASSERT_EQ(outcome.issue.size(), 2u);
  EXPECT_EQ(outcome.issue[0].code, "value");
  EXPECT_EQ(outcome.issue[0].details->coding.at(0).code, "implausible-value");
  EXPECT_EQ(outcome.issue[1].code, "processing");
  EXPECT_EQ(outcome.issue[1].details->coding.at(0).code, "non-finite-gradient");
}

TEST(RejectionOutcome, IsValidFhirJsonThatDecodesBack) {
  const fhir::Resource resource{rejection_outcome(two_problems())};
  const auto decoded = fhir::decode_resource(fhir::to_json(resource));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded.value, resource);
}

TEST(RejectionStore, KeepsEachObservationVersionOnceAndListsNewestFirst) {
  auto store = testing::open_test_store();
  ASSERT_NE(store, nullptr);
  const std::string outcome = fhir::to_json(fhir::Resource{rejection_outcome(two_problems())});
  EXPECT_TRUE(store->record_rejection(
      {"Observation/o7", "3", "Patient/p1", "cortisol", "incompatible-unit", outcome, "2026-11-26T10:00:00Z"}));
  EXPECT_FALSE(store->record_rejection(
      {"Observation/o7", "3", "Patient/p1", "cortisol", "incompatible-unit", outcome, "2026-11-26T10:05:00Z"}));
  EXPECT_TRUE(store->record_rejection(
      {"Observation/o7", "4", "Patient/p1", "cortisol", "unknown-unit", outcome, "2026-11-26T11:00:00Z"}));
  EXPECT_TRUE(store->record_rejection(
      {"Observation/o8", "1", "Patient/p2", "tsh", "missing-unit", outcome, "2026-11-26T12:00:00Z"}));

  const auto all = store->rejections("", 10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].observation, "Observation/o8");
  EXPECT_EQ(all[1].version_id, "4");
  EXPECT_EQ(all[2].recorded_at, "2026-11-26T10:00:00Z");  // the first sighting is kept
  EXPECT_EQ(store->rejections("", 1).size(), 1u);
  const auto one = store->rejections("Observation/o7", 10);
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[0].reasons, "unknown-unit");
}

TEST(RejectionStore, AdminBundleIsACollectionOfTheOutcomes) {
  auto store = testing::open_test_store();
  ASSERT_NE(store, nullptr);
  const fhir::Resource resource{rejection_outcome(two_problems())};
  ASSERT_TRUE(store->record_rejection(
      {"Observation/o7", "3", "Patient/p1", "cortisol", "x", fhir::to_json(resource), "2026-11-26T10:00:00Z"}));

  const auto decoded = fhir::decode_bundle(rejections_bundle(*store, "", 100));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value->type, "collection");
  EXPECT_EQ(decoded.value->total, 1);
  ASSERT_EQ(decoded.value->entry.size(), 1u);
  EXPECT_EQ(decoded.value->entry[0].resource, resource);

  const auto empty = fhir::decode_bundle(rejections_bundle(*store, "Observation/none", 100));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.value->total, 0);
  EXPECT_TRUE(empty.value->entry.empty());
}

}  // namespace
}  // namespace gg::gateway
