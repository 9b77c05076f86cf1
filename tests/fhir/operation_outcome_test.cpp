// Decode issues become OperationOutcome resources at the edges (R4 OperationOutcome).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fhir/decode_result.hpp"
#include "fhir/json_codec.hpp"

namespace gg::fhir {
namespace {

TEST(OperationOutcomeBuilding, MapsSeverityCodeMessageAndPathOfEveryIssue) {
  const std::vector<DecodeIssue> issues = {
      {DecodeIssue::Severity::fatal, "structure", "", "malformed JSON"},
      {DecodeIssue::Severity::error, "structure", "Observation.valueQuantity.value", "wrong JSON type"},
      {DecodeIssue::Severity::warning, "value", "Observation.issued", "no time zone"},
  };
  const OperationOutcome outcome = to_operation_outcome(issues);
  EXPECT_EQ(outcome.issue,
            (std::vector<OperationOutcomeIssue>{
                {"fatal", "structure", "malformed JSON", {}, std::nullopt},
                {"error", "structure", "wrong JSON type", {"Observation.valueQuantity.value"}, std::nullopt},
                {"warning", "value", "no time zone", {"Observation.issued"}, std::nullopt},
            }));
}

TEST(OperationOutcomeBuilding, IssueWithoutCodeGetsProcessing) {
  const OperationOutcome outcome =
      to_operation_outcome({{DecodeIssue::Severity::error, "", "Patient.gender", "x"}});
  ASSERT_EQ(outcome.issue.size(), 1u);
  EXPECT_EQ(outcome.issue[0].code, "processing");
}

TEST(OperationOutcomeBuilding, NoIssuesGiveOneInformationalIssue) {
  const OperationOutcome outcome = to_operation_outcome({});
  ASSERT_EQ(outcome.issue.size(), 1u);
  EXPECT_EQ(outcome.issue[0].severity, "information");
  EXPECT_EQ(outcome.issue[0].code, "informational");
}

TEST(OperationOutcomeBuilding, MakeOperationOutcomeBuildsOneIssue) {
  EXPECT_EQ(
      make_operation_outcome("error", "not-found", "no such Observation", "Observation.id"),
      (OperationOutcome{"", {{"error", "not-found", "no such Observation", {"Observation.id"}, std::nullopt}}}));
  EXPECT_EQ(make_operation_outcome("fatal", "exception", "state store unavailable"),
            (OperationOutcome{"", {{"fatal", "exception", "state store unavailable", {}, std::nullopt}}}));
}

TEST(OperationOutcomeBuilding, DecodeIssuesSurviveTheTripThroughJson) {
  const auto decoded = decode_resource(R"({"resourceType":"Observation","code":{"text":"x"},"status":1})");
  ASSERT_FALSE(decoded.ok());
  const OperationOutcome outcome = to_operation_outcome(decoded.issues);
  const std::string json = to_json(Resource{outcome});
  EXPECT_EQ(json, R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"structure",)"
                  R"("diagnostics":"wrong JSON type: expected a JSON string, found a JSON number",)"
                  R"("expression":["Observation.status"]}]})");
  const auto again = decode_resource(json);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::get<OperationOutcome>(*again.value), outcome);
}

}  // namespace
}  // namespace gg::fhir
