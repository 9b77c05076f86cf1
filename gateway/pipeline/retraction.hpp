// A retracted input retracts what was written from it (ARCHITECTURE step 7): when a hormone result the gateway
// used is later marked entered-in-error or cancelled, the derived Observations citing it in derivedFrom, the
// RiskAssessments citing it in basis and the draft CarePlans supported by those RiskAssessments are set to
// entered-in-error, each with a note saying which input and why. A result whose value is merely absent
// (registered, dataAbsentReason) retracts nothing: nothing was computed from it. Pure: the pipeline searches and
// writes.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/normalise.hpp"
#include "fhir/resources.hpp"

namespace gg::gateway {

// The references ("Observation/123") of excluded results that retract earlier output.
std::vector<std::string> retracted_inputs(std::span<const analytics::Excluded> excluded);

// PUT entries setting to entered-in-error each of `written` (the gateway's own derived Observations,
// RiskAssessments and CarePlans of the patient, as read from the server) that rests on a retracted input, and
// each CarePlan supported by such a RiskAssessment. Resources already entered-in-error are left alone, so a repeat
// writes nothing. `deleted`: the retracted inputs that were deleted on the server; the updated resources cite them
// by display text only (a server may refuse a reference to a deleted resource).
std::vector<fhir::BundleEntry> retraction_entries(std::span<const std::string> retracted,
                                                  std::span<const fhir::Resource> written, std::string_view as_of,
                                                  std::span<const std::string> deleted = {});

}  // namespace gg::gateway
