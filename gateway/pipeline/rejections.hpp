// A hormone result that could not be used, as FHIR says it: an OperationOutcome naming the Observation, one issue
// per reason with the element (expression) and a machine-readable reason code (details). The same outcome is
// printed by analyze, kept by serve for GET /admin/rejections, and never carries a result value.
#pragma once

#include <string>

#include "analytics/normalise.hpp"
#include "fhir/resources.hpp"

namespace gg::gateway {

inline constexpr std::string_view kRejectionReasonSystem =
    "http://gradient-gateway.dev/fhir/CodeSystem/rejection-reason";

fhir::OperationOutcome rejection_outcome(const analytics::Rejected& rejected);

// The reasons as one label value, in issue order: "incompatible-unit,missing-effective-time".
std::string rejection_reasons(const analytics::Rejected& rejected);

}  // namespace gg::gateway
