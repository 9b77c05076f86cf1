// Dose timing: which hormone medications a patient takes (MedicationStatement, MedicationAdministration,
// MedicationRequest), when the last dose before each result was, and whether the result was drawn in the dose's
// expected peak. Medications are data (config/terminology/medications.yaml): codes, the analytes a dose raises
// (or that assays read it as), and per route the expected peak window with its source. Pure: no clock, no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/date_time.hpp"
#include "analytics/measurement.hpp"
#include "fhir/resources.hpp"

namespace gg::analytics {

// Routes of administration, read from Dosage.route: SNOMED CT route codes (FHIR ValueSet route-codes) or its text.
enum class Route {
  oral,
  sublingual,
  intramuscular,
  subcutaneous,
  intravenous,
  transdermal,
  vaginal,
  topical,
  unknown
};

std::string_view to_string(Route route);  // "oral", "intramuscular", ...
std::optional<Route> route_from_string(std::string_view text);
// The route a Dosage.route names: a SNOMED CT code first, then words of its text or codings' displays.
Route route_of(const fhir::CodeableConcept& route);

// How one route of a medication acts on the results it affects.
struct MedicationRoute {
  Route route = Route::oral;
  // Hours after a dose within which the affected levels peak (Tmax range), inclusive; none when no source gives
  // it.
  std::optional<double> peak_from_hours;
  std::optional<double> peak_to_hours;
  std::string peak_source;
  // The usual dosing interval: a result drawn longer than this after the last recorded dose is not timed against
  // it (a later dose may be missing from the record).
  double dosing_interval_hours = 24;
  std::string interval_source;
  friend bool operator==(const MedicationRoute&, const MedicationRoute&) = default;
};

struct MedicationCode {
  std::string system;
  std::string code;
  friend bool operator==(const MedicationCode&, const MedicationCode&) = default;
};

struct Medication {
  std::string id;  // "hydrocortisone"
  std::string display;
  std::vector<std::string> affects;  // analyte ids whose measured level a dose raises (directly or by assay)
  // Glucocorticoid replacement: a cortisol series is a dose curve, not an endogenous rhythm.
  bool glucocorticoid = false;
  std::vector<MedicationCode> codes;  // ingredient or product codes (RxNorm, ATC, SNOMED CT)
  std::vector<std::string> names;     // lower-case ingredient names, matched as whole words in texts and displays
  std::vector<MedicationRoute> routes;
  friend bool operator==(const Medication&, const Medication&) = default;
};

struct MedicationCatalogue {
  std::vector<Medication> medications;
  // Words that make a name match local, not systemic ("cream", "eye"): a product named so is never matched by
  // name.
  std::vector<std::string> local_product_words;
  const Medication* find(std::string_view id) const;
  friend bool operator==(const MedicationCatalogue&, const MedicationCatalogue&) = default;
};

// One medication use read from a FHIR resource: the medication, its route and the doses it tells of.
struct MedicationExposure {
  std::string reference;  // "MedicationAdministration/5"; empty when the resource has no id
  std::string medication_id;
  Route route = Route::unknown;
  // Recorded or explicitly timed doses (MedicationAdministration, Timing.event, a statement's effectiveDateTime).
  std::vector<FhirInstant> doses;
  // A daily regimen: local clock times (minutes after midnight) of each day's doses, between `from` and `to`.
  std::vector<std::chrono::minutes> daily_times;
  std::optional<std::chrono::sys_seconds> from;
  std::optional<std::chrono::sys_seconds> to;
  bool active = false;  // status "active": a regimen without dates or times counts as current
  friend bool operator==(const MedicationExposure&, const MedicationExposure&) = default;
};

// Reads a medication resource. Nothing when it is not one of the catalogue's medications, is not a systemic route,
// or its status says it was not taken (MedicationStatement not-taken / entered-in-error, MedicationAdministration
// not-done / entered-in-error, MedicationRequest cancelled / entered-in-error / draft; MedicationRequest intents
// other than order, original-order, instance-order and plan).
std::optional<MedicationExposure> read_medication_use(const fhir::MedicationUse& use,
                                                      const MedicationCatalogue& catalogue);

enum class DosePhase {
  expected_peak,  // within the route's peak window: the level reflects the dose
  before_peak,    // after the dose, before its peak window
  after_peak,     // after the peak window, within one dosing interval
  unknown,        // on the medication, but the dose times are not known (or the route has no peak window)
};

std::string_view to_string(DosePhase phase);  // "expected-peak" | "before-peak" | "after-peak" | "unknown"

// A result of an analyte a medication affects, set against that medication's last dose.
struct DoseTiming {
  std::string measurement;  // "Observation/12"
  std::string medication_id;
  std::string medication_display;
  std::string exposure;  // the medication resource: "MedicationStatement/3"
  Route route = Route::unknown;
  std::optional<double> hours_since_dose;  // none when no dose time is known
  DosePhase phase = DosePhase::unknown;
  std::string peak_source;
  friend bool operator==(const DoseTiming&, const DoseTiming&) = default;
};

// The medication exposures that bear on a measurement: those whose medication affects its analyte and that are
// active at its draw (a dose within one dosing interval before it, or a regimen running then). Without dose times
// the timing is `unknown`, still reported: the result was drawn on the medication.
// A measurement without a reference (an Observation without an id) gets none.
std::vector<DoseTiming> dose_timings(const Measurement& measurement, std::span<const MedicationExposure> exposures,
                                     const MedicationCatalogue& catalogue);

// The last dose at or before `at`: a recorded dose, or a regimen's scheduled clock time on the draw's local day
// (the draw's own UTC offset) or the day before, within the regimen's bounds. A regimen counts only while its use
// is active or up to its stated end.
std::optional<std::chrono::sys_seconds> last_dose_before(const MedicationExposure& exposure,
                                                         const FhirInstant& at);

// " (MedicationStatement/3)" for a cited resource, nothing for one without an id: for notes and rationales.
std::string cited(std::string_view reference);

}  // namespace gg::analytics
