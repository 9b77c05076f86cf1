// The analysis of one patient: observations in, measurements, gradients, findings and what to propose for them out
// (the write-back only maps these to FHIR). Pure: the same inputs give the same outputs, in any input order (up to
// the order of `measurements`, which follows the input); time comes in as `as_of`. This is the one entry point
// `serve` and `analyze` share.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analytics/assessment.hpp"
#include "analytics/dosing.hpp"
#include "analytics/gradient.hpp"
#include "analytics/knowledge.hpp"
#include "analytics/measurement.hpp"
#include "analytics/normalise.hpp"
#include "analytics/suggestions.hpp"
#include "fhir/resources.hpp"

namespace gg::analytics {

struct PatientFacts {
  // "Patient/7". When set, hormone Observations about another subject are rejected (subject-mismatch), never
  // analysed; when empty the caller vouches that all observations are this patient's.
  std::string reference;
  Sex sex = Sex::unknown;
  std::optional<std::chrono::year_month_day>
      birth_date;  // complete dates only; partial ones leave the age unknown
};

// The facts the analysis needs from a Patient resource.
PatientFacts patient_facts(const fhir::Patient& patient);

// A proposal to repeat a result at a better time after a dose: the result was drawn in the dose's expected peak
// or outside the route's recommended sampling window, so its findings were not assessed. One per result and
// medication, however many gradients the result entered; the CarePlan writer maps it to an activity.
struct TimingProposal {
  std::string measurement;  // "Observation/12"
  std::string analyte_id;
  std::string medication_id;
  std::string exposure;      // the medication resource, "" when it has no id
  std::size_t gradient = 0;  // index into Analysis::gradients: the first gradient the result entered
  std::string title;         // "Repeat the Testosterone result 2-8 h after applying the gel"
  std::string reason;        // why: when it was drawn, and what was therefore not assessed
  std::string description;   // the recommended time and its source
  friend bool operator==(const TimingProposal&, const TimingProposal&) = default;
};

struct Analysis {
  std::vector<Measurement> measurements;  // every usable hormone result, in input order
  std::vector<Rejected> rejections;       // hormone results that could not be normalised, with every reason
  std::vector<Excluded> excluded;   // cancelled / entered-in-error hormone results (supersede earlier output)
  std::size_t skipped = 0;          // Observations that are not hormones in the catalogue
  std::size_t superseded = 0;       // older versions of an Observation also present in the input
  std::optional<int> age_years;     // at as_of; none when the birth date is unknown or partial
  std::vector<Gradient> gradients;  // at most one per rule, in rule order
  std::vector<Finding> findings;    // one per gradient, same order
  // Dose timing: each measurement drawn on a hormone medication that affects it, against the last dose.
  std::vector<DoseTiming> dose_timings;
  std::vector<TimingProposal> timing_proposals;  // repeats at a better time after a dose, in gradient order
  // What the suggestion catalogue proposes for each finding outside its target, in gradient order, then catalogue
  // order (analytics/suggestions.hpp).
  std::vector<FindingProposal> finding_proposals;
  // Resources besides the inputs that the analysis used, each once: the medications of the dose timings, the
  // Observations stating a menopausal status or last menstrual period that selected a target range.
  std::vector<std::string> context_basis;
  std::vector<std::string> notes;  // what the analysis as a whole did differently, in one sentence each
};

// Gives the measurements of an analysis this thread is done with to its next analyze(), which normalises into
// them: their strings keep their memory, so a bulk analysis does not allocate them again for every patient
// (analyze, patient after patient). Optional: measurements simply destroyed are freed.
void recycle_measurements(std::vector<Measurement>&& measurements);

// Analyses one patient's observations as of `as_of`. When the same Observation id appears in several versions, the
// highest versionId is used (numeric comparison when both are numbers) and the others count as superseded.
Analysis analyze(const PatientFacts& patient, std::span<const fhir::Observation> observations,
                 const Knowledge& knowledge, std::chrono::sys_seconds as_of);

// The same, with the patient's hormone medications (MedicationStatement / MedicationAdministration /
// MedicationRequest; others about another subject are ignored). Every gradient input drawn on a medication that
// affects it carries the time since the dose as a component. A result drawn inside its route's recommended
// sampling window is assessed normally; one drawn outside an after-dose or mid-interval window, or in the dose's
// expected peak without being inside such a window, is not assessed against a target (its finding has no level
// and says why) and gets a TimingProposal. A result drawn on a medication that makes it uninterpretable
// (Medication::not_assessed: insulin for HOMA-IR, prednisolone for cortisol) is not assessed either, and its
// series is evaluated neither as a rhythm nor as a dose curve. Under glucocorticoid replacement a rhythm rule's
// series is evaluated as a dose curve (rhythm_rules.hpp) instead of an endogenous rhythm.
// `history`: the patient's earlier values of ratio and derived rules (the gateway's own derived Observations from
// before the results fetched): a gradient whose results hold no previous value is compared with the latest of
// them, so trends reach back as far as the history (trend.hpp).
Analysis analyze(const PatientFacts& patient, std::span<const fhir::Observation> observations,
                 std::span<const fhir::MedicationUse> medications, const Knowledge& knowledge,
                 std::chrono::sys_seconds as_of, std::span<const Gradient> history = {});

}  // namespace gg::analytics
