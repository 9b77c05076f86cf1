#include "gateway/pipeline/rejections.hpp"

namespace gg::gateway {
namespace {

// R4 IssueType (http://hl7.org/fhir/issue-type) that fits each reason best.
std::string issue_type(analytics::RejectionReason reason) {
  using R = analytics::RejectionReason;
  switch (reason) {
    case R::missing_value:
    case R::missing_unit:
    case R::missing_effective_time:
      return "required";
    case R::unknown_unit:
      return "code-invalid";
    case R::conflicting_codes:
    case R::specimen_conflict:
    case R::subject_mismatch:
    case R::incompatible_unit:
    case R::no_molar_mass:
    case R::unit_not_accepted:
      return "business-rule";
    case R::status_unusable:
    case R::unreadable_value:
    case R::invalid_value:
    case R::implausible_value:
    case R::imprecise_effective_time:
    case R::invalid_effective_time:
      return "value";
    case R::non_finite_gradient:
      return "processing";
  }
  return "value";
}

}  // namespace

fhir::OperationOutcome rejection_outcome(const analytics::Rejected& rejected) {
  fhir::OperationOutcome outcome;
  const std::string subject = rejected.reference.empty() ? std::string("Observation (no id)") : rejected.reference;
  const std::string version = rejected.version_id.empty() ? "" : " version " + rejected.version_id;
  for (const auto& issue : rejected.issues) {
    const std::string code(analytics::to_string(issue.reason));
    fhir::OperationOutcomeIssue out;
    out.severity = "error";
    out.code = issue_type(issue.reason);
    out.details = fhir::CodeableConcept{{{std::string(kRejectionReasonSystem), "", code, ""}}, ""};
    out.diagnostics = subject + version + " not used (" + code + "): " + issue.message;
    if (!issue.element.empty()) out.expression.push_back(issue.element);
    outcome.issue.push_back(std::move(out));
  }
  return outcome;
}

std::string rejection_reasons(const analytics::Rejected& rejected) {
  std::string reasons;
  for (const auto& issue : rejected.issues) {
    if (!reasons.empty()) reasons += ',';
    reasons += analytics::to_string(issue.reason);
  }
  return reasons;
}

}  // namespace gg::gateway
