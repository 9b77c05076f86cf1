// Normalisation: one FHIR Observation -> a Measurement of a known analyte, or "not a hormone" (skipped, counted,
// not an error), or "excluded" (a cancelled or entered-in-error hormone result: nothing to compute, but the
// gateway must supersede what it wrote from an earlier version), or "rejected" with every reason found. Nothing is
// guessed.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "analytics/catalogue.hpp"
#include "analytics/measurement.hpp"
#include "fhir/resources.hpp"

namespace gg::analytics {

struct NotHormone {
  friend bool operator==(const NotHormone&, const NotHormone&) = default;
};

struct Excluded {
  std::string reference;  // "Observation/123"
  std::string version_id;
  std::string subject;
  std::string analyte_id;
  std::string status;  // "cancelled" | "entered-in-error"
  friend bool operator==(const Excluded&, const Excluded&) = default;
};

enum class RejectionReason {
  conflicting_codes,         // LOINC codings name different analytes or specimens
  status_unusable,           // registered | unknown | missing status: no usable result
  missing_value,             // no valueQuantity, or no value in it
  data_absent,               // dataAbsentReason instead of a value
  missing_unit,              // neither a UCUM code nor a unit text
  unknown_unit,              // the unit does not parse
  incompatible_unit,         // a dimension that cannot reach the canonical unit (IU/L for cortisol)
  no_molar_mass,             // mass <-> substance needed, catalogue has no molar mass
  unit_not_accepted,         // convertible, but not among the analyte's accepted units
  invalid_value,             // negative or not finite
  missing_effective_time,    // no effectiveDateTime, effectivePeriod.start or issued
  imprecise_effective_time,  // a date without a time of day
  invalid_effective_time,    // malformed, or a time without a zone
  subject_mismatch,          // the Observation is about another patient than the analysis (set by analyze)
};

struct RejectionIssue {
  RejectionReason reason = RejectionReason::missing_value;
  std::string message;  // names elements, units and codes; never a result value or a patient detail
  std::string element;  // FHIRPath, e.g. "Observation.valueQuantity.code"
  friend bool operator==(const RejectionIssue&, const RejectionIssue&) = default;
};

struct Rejected {
  std::string reference;
  std::string version_id;
  std::string analyte_id;              // empty when the analyte is not known (conflicting codes)
  std::vector<RejectionIssue> issues;  // at least one; every problem found, in element order
  friend bool operator==(const Rejected&, const Rejected&) = default;
};

using Normalised = std::variant<Measurement, NotHormone, Excluded, Rejected>;

// Matches the Observation's LOINC codings (system http://loinc.org) against the catalogue, then reads status,
// value and time. Issue 3 adds local codes through ConceptMaps after LOINC.
Normalised normalise(const fhir::Observation& observation, const Catalogue& catalogue);

// A stable, hyphenated code for metrics and OperationOutcome diagnostics: "incompatible-unit".
std::string_view to_string(RejectionReason reason);

// The relative form "Type/id" of a FHIR reference: "http://x/fhir/Patient/7/_history/2" -> "Patient/7".
// References that are not RESTful (urn:uuid:..., #contained) come back unchanged.
std::string relative_reference(std::string_view reference);

}  // namespace gg::analytics
