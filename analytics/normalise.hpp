// Normalisation: one FHIR Observation -> a Measurement of a known analyte, or "not a hormone" (skipped, counted,
// not an error), or "excluded" (a hormone result that carries no value by its own account: cancelled,
// entered-in-error, registered, or a dataAbsentReason; nothing to compute, but the gateway must supersede what it
// wrote from an earlier version), or "rejected" with every reason found. Nothing is guessed.
//
// Codes: LOINC codings (system http://loinc.org) first, then the site's own codings through its ConceptMaps. A
// site coding that maps to another analyte or specimen than the LOINC coding is a conflict, never a tie-break.
#pragma once

#include <optional>
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
  // "cancelled" | "entered-in-error" | "registered" (the status), or "data-absent" (dataAbsentReason)
  std::string status;
  std::string detail;  // the dataAbsentReason code ("not-performed", "error", ...) when status is data-absent
  friend bool operator==(const Excluded&, const Excluded&) = default;
};

enum class RejectionReason {
  conflicting_codes,         // codings (LOINC or mapped local) name different analytes or specimens
  specimen_conflict,         // the Observation's specimen is of another type than its code's system
  status_unusable,           // unknown or missing status: no usable result
  missing_value,             // no valueQuantity or valueString, or no value in it
  unreadable_value,          // a valueString that is not a number with an optional comparator and unit
  missing_unit,              // neither a UCUM code nor a unit text
  unknown_unit,              // the unit does not parse
  incompatible_unit,         // a dimension that cannot reach the canonical unit (IU/L for cortisol)
  no_molar_mass,             // mass <-> substance needed, catalogue has no molar mass
  unit_not_accepted,         // convertible, but not among the analyte's accepted units
  invalid_value,             // zero, negative or not finite (also after conversion to the canonical unit)
  implausible_value,         // outside the analyte's plausible range (a cited measuring range, analytes.yaml)
  missing_effective_time,    // no effectiveDateTime, effectivePeriod.start or issued
  imprecise_effective_time,  // a date without a time of day
  invalid_effective_time,    // malformed, or a time without a zone
  subject_mismatch,          // the Observation is about another patient than the analysis (set by analyze)
  non_finite_gradient,       // a gradient computed from this and other results is not a finite number (analyze)
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

// Matches the Observation's codings against the catalogue (LOINC, then mapped local codes), then reads status,
// specimen, value (valueQuantity or valueString) and time.
Normalised normalise(const fhir::Observation& observation, const Catalogue& catalogue);

// normalise(), with a Measurement written into `measurement` (each of its elements replaced) and Measured returned
// in its place: the analysis normalises straight into its list of measurements, where a Measurement (eleven
// strings) is not moved again. `measurement` is left as it was, or partly written, for any other outcome.
struct Measured {};
using NormalisedInto = std::variant<Measured, NotHormone, Excluded, Rejected>;
NormalisedInto normalise_into(const fhir::Observation& observation, const Catalogue& catalogue,
                              Measurement& measurement);

// What the lab reported beside the value, for showing with it: the interpretation codes as sent ("H", "L", "N",
// ...) and the lab's first reference range with a bound, in the canonical unit of the measurement's analyte
// (nullopt when there is none or its units cannot be read: it is informative only). No rule reads either, so
// normalise does not compute them: a bulk load would pay for them on every result (docs/performance.md).
struct LabReport {
  std::vector<std::string> interpretation;
  std::optional<LabReferenceRange> reference_range;
  friend bool operator==(const LabReport&, const LabReport&) = default;
};
LabReport lab_report(const fhir::Observation& observation, const Measurement& measurement,
                     const Catalogue& catalogue);

// A stable, hyphenated code for metrics and OperationOutcome diagnostics: "incompatible-unit".
std::string_view to_string(RejectionReason reason);

// The relative form "Type/id" of a FHIR reference: "http://x/fhir/Patient/7/_history/2" -> "Patient/7".
// References that are not RESTful (urn:uuid:..., #contained) come back unchanged.
std::string relative_reference(std::string_view reference);
// The same, written into `out` (its memory reused).
void relative_reference_into(std::string_view reference, std::string& out);

}  // namespace gg::analytics
