// A normalised hormone result: one Observation read into its analyte, specimen, canonical value and instant.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/catalogue.hpp"
#include "analytics/date_time.hpp"
#include "analytics/unit_conversion.hpp"
#include "fhir/resources.hpp"

namespace gg::analytics {

// Observation.status values whose result may be used (FHIR R4 ObservationStatus). cancelled and entered-in-error
// are excluded before a Measurement exists; registered and unknown carry no usable result.
enum class ResultStatus { preliminary, final, amended, corrected };

// Where the measurement's time came from, in FHIR's order of preference for a specimen's physiologic time.
enum class TimeSource { effective_date_time, effective_period_start, issued };

struct EffectiveTime {
  FhirInstant instant;  // UTC instant and the offset it was written with
  std::string text;     // the FHIR dateTime as sent, for write-back
  TimeSource source = TimeSource::effective_date_time;
  friend bool operator==(const EffectiveTime&, const EffectiveTime&) = default;
};

// Where the number came from.
enum class ValueSource { value_quantity, value_string };

// The lab's own reference range, converted to the canonical unit. Reported, never used as a target: targets come
// from config/rules/ with their sources (normalise.hpp, lab_report).
struct LabReferenceRange {
  std::optional<double> low;
  std::optional<double> high;
  std::string text;
  friend bool operator==(const LabReferenceRange&, const LabReferenceRange&) = default;
};

// A component of the Observation that states a time (component.valueDateTime or component.valueTime), kept as sent
// with its codings: how a site may state, for example, the time of awakening (rhythm_rules.hpp). Components with
// other values are not kept: nothing else reads them, and a bulk export holds many.
struct TimeComponent {
  std::vector<fhir::Coding> coding;  // component.code.coding
  std::string value_date_time;       // FHIR dateTime, or empty
  std::string value_time;            // FHIR time "hh:mm:ss" (a local clock time), or empty
  friend bool operator==(const TimeComponent&, const TimeComponent&) = default;
};

struct Measurement {
  std::string reference;   // "Observation/123" (empty when the Observation has no id)
  std::string version_id;  // Observation.meta.versionId, empty when absent
  std::string subject;     // "Patient/7" (relative form of Observation.subject)
  std::string analyte_id;  // catalogue id: "cortisol"
  std::string loinc_code;  // the LOINC code that identified the analyte (directly or through a local code)
  std::string local_code;  // "system|code" of the site's coding when a ConceptMap led to the LOINC code
  Specimen specimen = Specimen::serum_plasma;
  std::string timing;      // the LOINC code's timing ("am", "midnight", "fasting"), empty when it has none
  std::string method;      // the LOINC code's method where it matters ("calculated")
  UcumValue value;         // in the analyte's canonical unit, e.g. {402.1, "nmol/L"}
  std::string comparator;  // "<", "<=", ">=", ">" or empty
  ValueSource value_source = ValueSource::value_quantity;
  EffectiveTime effective;
  ResultStatus status = ResultStatus::final;
  std::vector<TimeComponent> time_components{};

  // A comparator makes the value a bound, not a measurement: it is kept and reported, never used as exact.
  bool censored() const { return !comparator.empty(); }
  friend bool operator==(const Measurement&, const Measurement&) = default;
};

std::string_view to_string(ResultStatus status);  // the FHIR code: "preliminary", "final", ...
std::string_view to_string(TimeSource source);    // "effectiveDateTime" | "effectivePeriod.start" | "issued"

}  // namespace gg::analytics
