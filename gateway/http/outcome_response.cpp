#include "gateway/http/outcome_response.hpp"

#include <utility>

#include "fhir/json_codec.hpp"

namespace gg::gateway {

HttpResponse operation_outcome_response(unsigned status, const fhir::OperationOutcome& outcome) {
  return HttpResponse{status, std::string(kFhirJson), fhir::to_json(fhir::Resource{outcome}), {}};
}

HttpResponse operation_outcome_response(unsigned status, std::string code, std::string diagnostics) {
  return operation_outcome_response(status, fhir::make_operation_outcome(status >= 500 ? "fatal" : "error",
                                                                         std::move(code), std::move(diagnostics)));
}

HttpResponse operation_outcome_response(unsigned status, const std::vector<fhir::DecodeIssue>& issues) {
  return operation_outcome_response(status, fhir::to_operation_outcome(issues));
}

}  // namespace gg::gateway
