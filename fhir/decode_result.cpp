// Decode issues as an OperationOutcome (R4 OperationOutcome resource), the form errors take at every edge.
#include "fhir/decode_result.hpp"

#include <utility>

namespace gg::fhir {

namespace {

// OperationOutcome.issue.severity (R4 value set issue-severity).
std::string severity_code(DecodeIssue::Severity severity) {
  switch (severity) {
    case DecodeIssue::Severity::fatal:
      return "fatal";
    case DecodeIssue::Severity::error:
      return "error";
    case DecodeIssue::Severity::warning:
      return "warning";
  }
  return "error";
}

}  // namespace

OperationOutcome to_operation_outcome(const std::vector<DecodeIssue>& issues) {
  OperationOutcome outcome;
  outcome.issue.reserve(issues.size());
  for (const DecodeIssue& issue : issues) {
    OperationOutcomeIssue& out = outcome.issue.emplace_back();
    out.severity = severity_code(issue.severity);
    // OperationOutcome.issue.code is required (1..1); "processing" is the generic IssueType.
    out.code = issue.code.empty() ? "processing" : issue.code;
    out.diagnostics = issue.message;
    if (!issue.path.empty()) out.expression.push_back(issue.path);
  }
  // OperationOutcome.issue is 1..*: with nothing to report, say so (as servers do for an "all OK" outcome).
  if (outcome.issue.empty()) {
    outcome.issue.push_back(
        OperationOutcomeIssue{"information", "informational", "no issues were found", {}, std::nullopt});
  }
  return outcome;
}

OperationOutcome make_operation_outcome(std::string severity, std::string code, std::string diagnostics,
                                        std::string expression) {
  OperationOutcomeIssue issue;
  issue.severity = std::move(severity);
  issue.code = std::move(code);
  issue.diagnostics = std::move(diagnostics);
  if (!expression.empty()) issue.expression.push_back(std::move(expression));
  OperationOutcome outcome;
  outcome.issue.push_back(std::move(issue));
  return outcome;
}

}  // namespace gg::fhir
