// The patient view of the pages (docs/ui.md, "The patient view"): one patient's analysis as the JSON the patient
// page and the offline report draw from. Pure: the context and the analysis come in (from the FHIR server for the
// page, from files for `analyze --html`), with the gateway's derived Observations already on the server (their
// history over time); nothing is read here and nothing is logged.
#pragma once

#include <chrono>
#include <span>
#include <string>

#include "analytics/analysis.hpp"
#include "fhir/json_out.hpp"
#include "fhir/resources.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/pipeline/patient_analysis.hpp"

namespace gg::gateway {

struct PatientPageInput {
  const PatientContext& context;
  const analytics::Analysis& analysis;  // of `context`, as of `as_of` (analyze_patient)
  // The gateway's derived Observations of this patient (code in the gradient code system), in any order; those
  // not final, amended or corrected, without a number, or of another patient are left out.
  std::span<const fhir::Observation> derived;
  const LoadedKnowledge& knowledge;
  std::chrono::sys_seconds as_of;
};

// Writes the view as one JSON object.
void write_patient_page(fhir::JsonOut& out, const PatientPageInput& input);
std::string patient_page_json(const PatientPageInput& input);

// Points of the fitted cosinor curve drawn per 24 h: every 15 minutes from 0 h to 24 h inclusive.
inline constexpr int kCurvePoints = 97;

// The local clock time of an instant in its own offset, in hours, 0 <= h < 24.
double clock_hours(const analytics::FhirInstant& instant);

}  // namespace gg::gateway
