// The HTTP side's one way to answer with a problem: an OperationOutcome as application/fhir+json.
#include "gateway/http/outcome_response.hpp"
#include "gateway_test_support.hpp"

#include <gtest/gtest.h>

#include "fhir/json_codec.hpp"

namespace gg::gateway {
namespace {

TEST(OutcomeResponse, OneIssueIsAnErrorFor4xxAndFatalFor5xx) {
  const auto client = operation_outcome_response(404, "not-found", "no such endpoint: /x");
  EXPECT_EQ(client.status, 404u);
  EXPECT_EQ(client.content_type, "application/fhir+json; charset=utf-8");
  const auto client_outcome = testing::outcome_of(client);
  ASSERT_EQ(client_outcome.issue.size(), 1u);
  EXPECT_EQ(client_outcome.issue[0].severity, "error");
  EXPECT_EQ(client_outcome.issue[0].code, "not-found");
  EXPECT_EQ(client_outcome.issue[0].diagnostics, "no such endpoint: /x");

  const auto server = testing::outcome_of(operation_outcome_response(503, "transient", "could not store"));
  ASSERT_EQ(server.issue.size(), 1u);
  EXPECT_EQ(server.issue[0].severity, "fatal");
}

TEST(OutcomeResponse, DecodeIssuesKeepTheirSeverityCodeAndPath) {
  const std::vector<fhir::DecodeIssue> issues = {
      {fhir::DecodeIssue::Severity::error, "value", "Observation.valueQuantity.value", "expected a number"},
      {fhir::DecodeIssue::Severity::warning, "invalid", "", "unknown element"},
  };
  const auto response = operation_outcome_response(400, issues);
  EXPECT_EQ(response.status, 400u);
  const auto outcome = testing::outcome_of(response);
  ASSERT_EQ(outcome.issue.size(), 2u);
  EXPECT_EQ(outcome.issue[0].severity, "error");
  EXPECT_EQ(outcome.issue[0].code, "value");
  ASSERT_EQ(outcome.issue[0].expression.size(), 1u);
  EXPECT_EQ(outcome.issue[0].expression[0], "Observation.valueQuantity.value");
  EXPECT_EQ(outcome.issue[1].severity, "warning");
  EXPECT_TRUE(outcome.issue[1].expression.empty());
}

}  // namespace
}  // namespace gg::gateway
