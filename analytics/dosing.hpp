// Dose timing: which hormone medications a patient takes (MedicationStatement, MedicationAdministration,
// MedicationRequest), when the last dose before each result was, whether the result was drawn in the dose's
// expected peak, and whether it was drawn when a monitoring sample should be (the recommended sampling window).
// Medications are data (config/terminology/medications.yaml): codes, the analytes a dose changes (or that assays
// read it as), per route the expected peak and the recommended sampling time with their sources, and the results a
// medication makes uninterpretable. Pure: no clock, no I/O.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/date_time.hpp"
#include "analytics/enum_text.hpp"
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

// When a monitoring sample should be drawn on a route (a guideline's or label's advice). This is not the peak: a
// testosterone gel user's sample belongs 2-8 h after application although that is when the level is highest.
enum class SamplingTime {
  pre_dose,      // before the next dose: a draw after the dose and before the end of its peak is outside
  after_dose,    // within [from_hours, to_hours] after the dose
  mid_interval,  // midway between two doses of the patient's dosing interval
};
// Spelt so in medications.yaml (`sampling.at`).
inline constexpr std::array<EnumText<SamplingTime>, 3> kSamplingTimeText{{
    {SamplingTime::pre_dose, "pre-dose"},
    {SamplingTime::after_dose, "after-dose"},
    {SamplingTime::mid_interval, "mid-interval"},
}};

std::string_view to_string(SamplingTime at);  // kSamplingTimeText
std::optional<SamplingTime> sampling_time_from_string(std::string_view text);

struct SamplingWindow {
  SamplingTime at = SamplingTime::pre_dose;
  std::optional<double> from_hours;  // after-dose only
  std::optional<double> to_hours;
  // Mid-interval only. A SITE SETTING, not the source's: the fraction of the dosing interval either side of its
  // midpoint that still counts as "midway".
  double site_tolerance_fraction = 0;
  std::string advice;  // what a repeat should be: "2-8 h after applying the gel"
  std::string source;
  friend bool operator==(const SamplingWindow&, const SamplingWindow&) = default;
};

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
  // Product words that select this entry over the route's default ("patch" vs a gel); none: the route's default.
  std::vector<std::string> forms;
  // Other recorded routes that mean this one for this medication: a testosterone gel recorded as "topical".
  std::vector<Route> recorded_as;
  std::optional<SamplingWindow> sampling;
  friend bool operator==(const MedicationRoute&, const MedicationRoute&) = default;
};

struct MedicationCode {
  std::string system;
  std::string code;
  friend bool operator==(const MedicationCode&, const MedicationCode&) = default;
};

// Results a medication makes uninterpretable whenever they are drawn on it, whatever the time since the dose:
// exogenous insulin and HOMA-IR, prednisolone and cortisol.
struct NotAssessed {
  std::vector<std::string> analytes;  // analyte ids (a subset of `affects`)
  std::string reason;                 // stated in the finding's rationale
  std::string source;
  friend bool operator==(const NotAssessed&, const NotAssessed&) = default;
};

struct Medication {
  std::string id;  // "hydrocortisone"
  std::string display;
  std::vector<std::string> affects;  // analyte ids whose measured level a dose changes (directly or by assay)
  // Glucocorticoid replacement whose series is a dose curve, not an endogenous rhythm (hydrocortisone only).
  bool glucocorticoid = false;
  std::vector<MedicationCode> codes;  // ingredient or product codes (RxNorm, ATC, SNOMED CT)
  std::vector<std::string> names;     // lower-case ingredient names, matched as whole words in texts and displays
  std::vector<MedicationRoute> routes;
  // Words that make a NAME match of this medication a local product ("hydrocortisone cream"): never matched by
  // name. Per medication, so that a systemic testosterone gel or progesterone suppository is still recognised.
  std::vector<std::string> local_product_words;
  std::optional<NotAssessed> not_assessed;
  friend bool operator==(const Medication&, const Medication&) = default;
};

struct MedicationCatalogue {
  std::vector<Medication> medications;
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
  // The patient's own dosing interval, from Dosage.timing.repeat (frequency per period in h, d or wk); none when
  // not stated.
  std::optional<double> interval_hours;
  // The catalogue's product words (MedicationRoute::forms) that the medication's name contains ("gel", "patch").
  std::vector<std::string> forms;
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

// The draw against the route's recommended sampling time.
enum class SamplingFit {
  none,    // the route has no recommended sampling time, the dose time is unknown, or (pre-dose) the draw is after
           // the peak: judged by the peak alone
  inside,  // inside the recommended window: assessed normally, whatever the peak says
  outside,  // outside it, where the window is what the targets refer to: not assessed, a repeat is proposed
};

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
  // The dosing interval used: the patient's own (Dosage.timing.repeat) or else the catalogue's.
  double interval_hours = 0;
  std::optional<SamplingWindow> sampling;  // the route's recommended sampling time, if it has one
  // That window in hours after the dose, for this patient (after-dose: as given; mid-interval: the interval's
  // midpoint +/- the site tolerance); none for pre-dose.
  std::optional<double> window_from_hours;
  std::optional<double> window_to_hours;
  SamplingFit fit = SamplingFit::none;
  friend bool operator==(const DoseTiming&, const DoseTiming&) = default;
};

// The medication exposures that bear on a measurement: those whose medication affects its analyte and that are
// active at its draw (a recorded dose within one dosing interval before it, or a regimen running then: a regimen
// with clock times states every dose, so its last one counts however long ago). Without dose times the timing is
// `unknown`, still reported: the result was drawn on the medication. The route entry is the recorded route's entry
// whose forms the product names, else the route's default; with no route recorded, the entry whose forms the
// product names, else the medication's only entry. A measurement without a reference (an Observation without an
// id) gets none.
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
