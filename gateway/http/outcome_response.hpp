// The one place the HTTP side turns problems into an answer: an OperationOutcome (fhir/decode_result.hpp builds
// it, fhir::to_json writes it) as application/fhir+json with the status code. The endpoint, the admin API and
// the server's own errors all answer through here.
#pragma once

#include <string>
#include <vector>

#include "fhir/decode_result.hpp"
#include "gateway/http/message.hpp"

namespace gg::gateway {

// The outcome as the response body.
HttpResponse operation_outcome_response(unsigned status, const fhir::OperationOutcome& outcome);

// An OperationOutcome with one issue (severity "error" for 4xx, "fatal" for 5xx).
HttpResponse operation_outcome_response(unsigned status, std::string code, std::string diagnostics);

// Every decode issue, each with its element path (fhir::to_operation_outcome).
HttpResponse operation_outcome_response(unsigned status, const std::vector<fhir::DecodeIssue>& issues);

}  // namespace gg::gateway
