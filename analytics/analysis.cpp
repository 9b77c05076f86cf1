#include "analytics/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <vector>

#include "analytics/derived_rules.hpp"
#include "analytics/ratio.hpp"
#include "analytics/rhythm_rules.hpp"
#include "analytics/trend.hpp"

namespace gg::analytics {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// True when version a is later than version b: numerically when both are numbers (HAPI's "10" after "9"), else by
// text, so the choice never depends on input order.
bool later_version(std::string_view a, std::string_view b) {
  if (all_digits(a) && all_digits(b)) {
    const auto strip = [](std::string_view v) {
      const auto first = v.find_first_not_of('0');
      return first == std::string_view::npos ? std::string_view("0") : v.substr(first);
    };
    const auto x = strip(a);
    const auto y = strip(b);
    return x.size() != y.size() ? x.size() > y.size() : x > y;
  }
  return a > b;
}

// The measurements an analysis on this thread gave back (recycle_measurements) for the next one to reuse.
std::vector<Measurement>& recycled_measurements() {
  thread_local std::vector<Measurement> recycled;
  return recycled;
}

// Indices of the observations to analyse: the latest version of each id, at the position of that version; an
// Observation without an id stands for itself.
std::vector<std::size_t> latest_versions(std::span<const fhir::Observation> observations) {
  // The positions with an id, grouped by id and in input order within each (a patient has a few dozen results, so
  // a sorted list serves better than a map); in each group the first of the latest versions is kept.
  std::vector<std::size_t> by_id;
  by_id.reserve(observations.size());
  for (std::size_t i = 0; i < observations.size(); ++i) {
    if (!observations[i].id.empty()) by_id.push_back(i);
  }
  std::sort(by_id.begin(), by_id.end(), [&](std::size_t a, std::size_t b) {
    const int order = observations[a].id.compare(observations[b].id);
    return order != 0 ? order < 0 : a < b;
  });
  std::vector<bool> dropped(observations.size(), false);
  for (std::size_t first = 0; first < by_id.size();) {
    std::size_t chosen = by_id[first];
    std::size_t end = first + 1;
    for (; end < by_id.size() && observations[by_id[end]].id == observations[chosen].id; ++end) {
      const std::size_t i = by_id[end];
      if (later_version(observations[i].meta.version_id, observations[chosen].meta.version_id)) {
        dropped[chosen] = true;
        chosen = i;
      } else {
        dropped[i] = true;
      }
    }
    first = end;
  }
  std::vector<std::size_t> indices;
  indices.reserve(observations.size());
  for (std::size_t i = 0; i < observations.size(); ++i) {
    if (!dropped[i]) indices.push_back(i);
  }
  return indices;
}

Rejected subject_mismatch(std::string reference, std::string version_id, std::string analyte_id) {
  return Rejected{std::move(reference),
                  std::move(version_id),
                  std::move(analyte_id),
                  {{RejectionReason::subject_mismatch,
                    "the Observation's subject is not the patient being analysed", "Observation.subject"}}};
}

std::string hours_text(double hours) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(hours < 10 ? 1 : 0) << hours << " h";
  return text.str();
}

std::string analyte_name(const std::string& analyte_id, const Catalogue& catalogue) {
  const Analyte* analyte = catalogue.find(analyte_id);
  return analyte != nullptr ? analyte->display : analyte_id;
}

// "2-8 h" or "119-218 h": a window in hours after the dose.
std::string window_text(double from, double to) {
  std::ostringstream text;
  const auto number = [&](double hours) { text << std::fixed << std::setprecision(hours < 10 ? 1 : 0) << hours; };
  number(from);
  text << "-";
  number(to);
  text << " h after the dose";
  return text.str();
}

// The medication's interpretation block when it makes results of this analyte uninterpretable.
const NotAssessed* not_assessed_for(const DoseTiming& timing, const std::string& analyte_id,
                                    const MedicationCatalogue& medications) {
  const Medication* medication = medications.find(timing.medication_id);
  if (medication == nullptr || !medication->not_assessed) return nullptr;
  const auto& analytes = medication->not_assessed->analytes;
  return std::find(analytes.begin(), analytes.end(), analyte_id) != analytes.end() ? &*medication->not_assessed
                                                                                   : nullptr;
}

// Where a timed draw fell, for a note or a reason: "in its expected peak (...)" or "outside its recommended
// sampling window of 2.0-8.0 h after the dose".
std::string where_drawn(const DoseTiming& timing) {
  if (timing.phase == DosePhase::expected_peak) return "in its expected peak (" + timing.peak_source + ")";
  if (timing.window_from_hours && timing.window_to_hours) {
    return "outside its recommended sampling window of " +
           window_text(*timing.window_from_hours, *timing.window_to_hours);
  }
  return "after the dose and before its expected peak ended, not before the next dose";
}

// The proposal for a result not assessed because of when it was drawn: the route's recommended sampling time,
// or, without one, a draw outside the expected peak.
TimingProposal timing_proposal(const DoseTiming& timing, const GradientInput& input, const std::string& analyte,
                               const Gradient& gradient, std::size_t gradient_index) {
  TimingProposal proposal;
  proposal.measurement = timing.measurement;
  proposal.analyte_id = input.analyte_id;
  proposal.medication_id = timing.medication_id;
  proposal.exposure = timing.exposure;
  proposal.gradient = gradient_index;
  proposal.reason = timing.measurement + " was drawn " + hours_text(*timing.hours_since_dose) + " after a " +
                    timing.medication_display + " dose" + cited(timing.exposure) + ", " + where_drawn(timing) +
                    "; the " + gradient.display + " was therefore not assessed against a target.";
  if (!timing.sampling) {
    proposal.title = "Repeat the " + analyte + " result outside the expected peak after a " +
                     timing.medication_display + " dose";
    proposal.description =
        "A level drawn at the expected peak after a dose reflects the dose. Source of the peak window: " +
        timing.peak_source;
    return proposal;
  }
  const auto& sampling = *timing.sampling;
  proposal.title = "Repeat the " + analyte + " result " + sampling.advice;
  proposal.description = "Recommended time for a monitoring sample on " + std::string(to_string(timing.route)) +
                         " " + timing.medication_display + ": " + sampling.advice;
  if (sampling.at == SamplingTime::mid_interval && timing.window_from_hours && timing.window_to_hours) {
    const std::string window = window_text(*timing.window_from_hours, *timing.window_to_hours);
    proposal.title += " (" + window + ")";
    proposal.description += ", here " + window + " for a dosing interval of " + hours_text(timing.interval_hours) +
                            " (the tolerance around the midpoint is a site setting, not the source's)";
  }
  proposal.description += ". Source: " + sampling.source;
  return proposal;
}

// Each input drawn on a medication that affects it: the hours since the dose as a component, and a note on when
// it was drawn. No risk level when the medication makes the result uninterpretable, or when the draw fell outside
// the route's recommended sampling window or (without such a window around it) in the dose's expected peak; the
// latter two get a proposal to repeat the result at the recommended time.
void apply_dose_timing(Gradient& gradient, Finding& finding, std::size_t gradient_index,
                       std::span<const DoseTiming> timings, const Knowledge& knowledge,
                       std::vector<TimingProposal>& proposals) {
  for (const auto& input : gradient.inputs) {
    for (const auto& timing : timings) {
      if (timing.measurement != input.reference || timing.measurement.empty()) continue;
      const std::string analyte = analyte_name(input.analyte_id, knowledge.catalogue);
      if (!timing.hours_since_dose) {
        gradient.notes.push_back(analyte + cited(input.reference) + " was drawn on " + timing.medication_display +
                                 cited(timing.exposure) + " with no known dose time.");
      } else {
        gradient.components.push_back({"hours-since-dose",
                                       analyte + ": hours since the " + timing.medication_display + " dose",
                                       {*timing.hours_since_dose, "h"}});
      }
      if (const auto* not_assessed = not_assessed_for(timing, input.analyte_id, knowledge.medications)) {
        // Whatever the time since the dose: the medication itself makes the result uninterpretable.
        gradient.notes.push_back(analyte + cited(input.reference) + " was drawn on " + timing.medication_display +
                                 cited(timing.exposure) + ": " + not_assessed->reason + " (" +
                                 not_assessed->source + ")");
        finding.level.reset();
        finding.direction.reset();
        if (finding.rationale.find(not_assessed->reason) == std::string::npos) {
          finding.rationale += " Not assessed against a target: " + not_assessed->reason;
        }
        continue;
      }
      if (!timing.hours_since_dose) continue;
      const std::string drawn =
          analyte + cited(input.reference) + " was drawn " + hours_text(*timing.hours_since_dose) + " after " +
          std::string(to_string(timing.route)) + " " + timing.medication_display + cited(timing.exposure) + ", ";
      if (timing.fit == SamplingFit::inside) {
        gradient.notes.push_back(drawn + "inside its recommended sampling window (" + timing.sampling->advice +
                                 "; " + timing.sampling->source + ").");
        continue;
      }
      const bool in_peak = timing.phase == DosePhase::expected_peak;
      if (timing.fit != SamplingFit::outside && !in_peak) continue;
      gradient.notes.push_back(drawn + where_drawn(timing) + ".");
      if (finding.level) {
        finding.level.reset();
        finding.direction.reset();
        finding.rationale +=
            " Not assessed against the target: " + analyte + " was drawn " +
            (in_peak ? "in the expected peak " + hours_text(*timing.hours_since_dose) + " after a " +
                           timing.medication_display + " dose."
                     : hours_text(*timing.hours_since_dose) + " after a " + timing.medication_display +
                           " dose, outside the recommended sampling time (" + timing.sampling->advice +
                           "), to which targets refer.");
      }
      const bool proposed = std::any_of(proposals.begin(), proposals.end(), [&](const TimingProposal& p) {
        return p.measurement == timing.measurement && p.exposure == timing.exposure &&
               p.medication_id == timing.medication_id;
      });
      if (!proposed) proposals.push_back(timing_proposal(timing, input, analyte, gradient, gradient_index));
    }
  }
}

// Adds a resource the analysis used to its basis, once; a resource without an id cannot be cited.
void cite(std::vector<std::string>& basis, const std::string& reference) {
  if (!reference.empty() && std::find(basis.begin(), basis.end(), reference) == basis.end()) {
    basis.push_back(reference);
  }
}

// When a rhythm rule's series was drawn on a medication that makes its analyte uninterpretable: the note saying
// that the series is evaluated neither way.
std::optional<std::string> uninterpretable_series(const RhythmRule& rule, const Analysis& analysis,
                                                  const Knowledge& knowledge) {
  for (const auto& timing : analysis.dose_timings) {
    const auto* not_assessed = not_assessed_for(timing, rule.analyte, knowledge.medications);
    if (not_assessed == nullptr) continue;
    const bool in_series =
        std::any_of(analysis.measurements.begin(), analysis.measurements.end(), [&](const Measurement& m) {
          return m.reference == timing.measurement && m.analyte_id == rule.analyte && m.specimen == rule.specimen;
        });
    if (!in_series) continue;
    return analyte_name(rule.analyte, knowledge.catalogue) + " (" + std::string(to_string(rule.specimen)) +
           ") was drawn on " + timing.medication_display + cited(timing.exposure) +
           ": its series is evaluated neither as a dose curve nor as an endogenous rhythm (slope, awakening "
           "response, cosinor). Reason: " +
           not_assessed->reason;
  }
  return std::nullopt;
}

// A gradient is written only as a finite number: an overflow or a division by (almost) zero that got past
// normalisation is reported as a rejection naming the inputs, never written as a value.
bool finite_gradient(const Gradient& gradient) {
  return std::isfinite(gradient.value.value) &&
         std::all_of(gradient.components.begin(), gradient.components.end(),
                     [](const GradientComponent& component) { return std::isfinite(component.value.value); });
}

Rejected non_finite_gradient(const Gradient& gradient) {
  std::string inputs;
  for (const auto& input : gradient.inputs) {
    inputs += (inputs.empty() ? "" : ", ") + (input.reference.empty() ? std::string("(no id)") : input.reference);
  }
  const GradientInput first = gradient.inputs.empty() ? GradientInput{} : gradient.inputs.front();
  return Rejected{first.reference,
                  first.version_id,
                  first.analyte_id,
                  {{RejectionReason::non_finite_gradient,
                    gradient.display + " (" + gradient.code + ") from " + inputs +
                        " is not a finite number; it is not written",
                    "Observation.value[x]"}}};
}

bool glucocorticoid(const DoseTiming& timing, const MedicationCatalogue& medications) {
  const Medication* medication = medications.find(timing.medication_id);
  return medication != nullptr && medication->glucocorticoid;
}

}  // namespace

PatientFacts patient_facts(const fhir::Patient& patient) {
  PatientFacts facts;
  if (!patient.id.empty()) facts.reference = "Patient/" + patient.id;
  facts.sex = sex_from_gender(patient.gender);
  facts.birth_date = parse_fhir_date(patient.birth_date);
  return facts;
}

void recycle_measurements(std::vector<Measurement>&& measurements) {
  recycled_measurements() = std::move(measurements);
}

Analysis analyze(const PatientFacts& patient, std::span<const fhir::Observation> observations,
                 const Knowledge& knowledge, std::chrono::sys_seconds as_of) {
  return analyze(patient, observations, {}, knowledge, as_of);
}

Analysis analyze(const PatientFacts& patient, std::span<const fhir::Observation> observations,
                 std::span<const fhir::MedicationUse> medications, const Knowledge& knowledge,
                 std::chrono::sys_seconds as_of, std::span<const Gradient> history) {
  Analysis analysis;
  const auto indices = latest_versions(observations);
  analysis.superseded = observations.size() - indices.size();
  // The places of the measurements this thread's last analysis gave back (recycle_measurements), if any: each
  // result is normalised into one, whose strings keep their memory.
  analysis.measurements = std::move(recycled_measurements());
  recycled_measurements().clear();
  std::size_t used = 0;                           // places holding this analysis's measurements, from the first
  analysis.measurements.reserve(indices.size());  // a Measurement is half a KB: moved once, not per growth
  const std::size_t rules = knowledge.rules.ratios.size() + knowledge.rules.derived.size();
  analysis.gradients.reserve(rules);
  analysis.findings.reserve(rules);
  for (const std::size_t i : indices) {
    if (used == analysis.measurements.size()) analysis.measurements.emplace_back();  // reserved: no reallocation
    Measurement& measurement = analysis.measurements[used];  // every element is written when it is Measured
    auto normalised = normalise_into(observations[i], knowledge.catalogue, measurement);
    if (std::holds_alternative<Measured>(normalised)) {
      if (!patient.reference.empty() && measurement.subject != patient.reference) {
        analysis.rejections.push_back(
            subject_mismatch(measurement.reference, measurement.version_id, measurement.analyte_id));
      } else {
        ++used;
      }
      continue;
    }
    if (auto* excluded = std::get_if<Excluded>(&normalised)) {
      if (!patient.reference.empty() && excluded->subject != patient.reference) {
        analysis.rejections.push_back(
            subject_mismatch(excluded->reference, excluded->version_id, excluded->analyte_id));
      } else {
        analysis.excluded.push_back(std::move(*excluded));
      }
    } else if (auto* rejected = std::get_if<Rejected>(&normalised)) {
      analysis.rejections.push_back(std::move(*rejected));
    } else {
      ++analysis.skipped;
    }
  }

  analysis.measurements.resize(used);

  if (patient.birth_date) analysis.age_years = age_in_years(*patient.birth_date, as_of);

  std::vector<MedicationExposure> exposures;
  for (const auto& use : medications) {
    if (!patient.reference.empty() && use.subject.reference != patient.reference) continue;
    if (auto exposure = read_medication_use(use, knowledge.medications)) exposures.push_back(std::move(*exposure));
  }
  for (const auto& measurement : analysis.measurements) {
    for (auto& timing : dose_timings(measurement, exposures, knowledge.medications)) {
      cite(analysis.context_basis, timing.exposure);
      analysis.dose_timings.push_back(std::move(timing));
    }
  }

  const auto reproductive = reproductive_facts(observations, knowledge.reproductive, patient.reference);
  const auto add = [&](Gradient gradient) {
    if (!finite_gradient(gradient)) {
      analysis.rejections.push_back(non_finite_gradient(gradient));
      return;
    }
    if (gradient.trend &&
        !(std::isfinite(gradient.trend->previous_value.value) && std::isfinite(gradient.trend->change_percent))) {
      gradient.trend.reset();
      gradient.notes.emplace_back(
          "The change since the previous value is not reported: it is not a finite number.");
    }
    const ReproductiveContext context{reproductive.menopausal_status, cycle_day(reproductive, gradient.effective)};
    auto finding =
        assess(gradient, knowledge.assessment, patient.sex, analysis.age_years, knowledge.catalogue, context);
    if (finding.range) {
      // The statements that selected the range are part of the analysis's basis.
      if (finding.range->menopausal_status) cite(analysis.context_basis, reproductive.menopausal_status_source);
      if (finding.range->cycle_days) cite(analysis.context_basis, reproductive.last_menstrual_period_source);
    }
    // A dose curve's gradients carry their dose timing already (they exist because of it).
    if (!gradient.dose_curve) {
      apply_dose_timing(gradient, finding, analysis.gradients.size(), analysis.dose_timings, knowledge,
                        analysis.timing_proposals);
    }
    analysis.findings.push_back(std::move(finding));
    analysis.gradients.push_back(std::move(gradient));
  };
  const PatientVariation variation(knowledge.biological_variation, patient.sex);
  for (const auto& rule : knowledge.rules.ratios) {
    auto gradient = compute_ratio(rule, analysis.measurements);
    if (!gradient) continue;
    if (gradient->comparator.empty()) {
      gradient->trend = ratio_trend(rule, analysis.measurements, *gradient, variation, knowledge.rules.trends,
                                    latest_before(history, *gradient));
    }
    add(std::move(*gradient));
  }
  for (const auto& rule : knowledge.rules.derived) {
    auto gradient = compute_derived(rule, analysis.measurements);
    if (!gradient) continue;
    gradient->trend = derived_trend(rule, analysis.measurements, *gradient, variation, knowledge.rules.trends,
                                    latest_before(history, *gradient));
    add(std::move(*gradient));
  }

  // A series drawn under glucocorticoid replacement is a dose curve; it is evaluated once per series (one code
  // prefix: one analyte in one specimen type, knowledge.cpp checks), so saliva and serum each get their own codes.
  std::vector<DoseTiming> replacement;
  for (const auto& timing : analysis.dose_timings) {
    if (glucocorticoid(timing, knowledge.medications)) replacement.push_back(timing);
  }
  std::vector<std::string> dose_curves_done;
  for (const auto& rule : knowledge.rules.rhythms) {
    // A series drawn on a medication that makes the analyte uninterpretable (prednisolone and cortisol) is neither
    // an endogenous rhythm nor a hydrocortisone dose curve.
    if (const auto note = uninterpretable_series(rule, analysis, knowledge)) {
      if (std::find(analysis.notes.begin(), analysis.notes.end(), *note) == analysis.notes.end()) {
        analysis.notes.push_back(*note);
      }
      continue;
    }
    const bool on_replacement = std::any_of(replacement.begin(), replacement.end(), [&](const DoseTiming& t) {
      return std::any_of(analysis.measurements.begin(), analysis.measurements.end(), [&](const Measurement& m) {
        return m.reference == t.measurement && m.analyte_id == rule.analyte && m.specimen == rule.specimen;
      });
    });
    if (!on_replacement) {
      for (auto& gradient : compute_rhythm(rule, analysis.measurements, knowledge.catalogue))
        add(std::move(gradient));
      continue;
    }
    const std::string series = rule.prefix();
    if (std::find(dose_curves_done.begin(), dose_curves_done.end(), series) != dose_curves_done.end()) continue;
    dose_curves_done.push_back(series);
    analysis.notes.push_back(
        analyte_name(rule.analyte, knowledge.catalogue) + " (" + std::string(to_string(rule.specimen)) +
        ") was drawn under glucocorticoid replacement: its series is evaluated as a dose curve, "
        "and no endogenous rhythm (slope, awakening response, cosinor) is reported.");
    for (auto& gradient : compute_dose_curve(rule, analysis.measurements, replacement, knowledge.catalogue)) {
      add(std::move(gradient));
    }
  }

  // What the catalogue proposes for each finding, as it stands after its dose timing (which may withdraw a level).
  for (std::size_t i = 0; i < analysis.findings.size(); ++i) {
    for (auto& proposal : proposals_for(analysis.gradients[i], analysis.findings[i], i, knowledge.suggestions)) {
      analysis.finding_proposals.push_back(std::move(proposal));
    }
  }
  return analysis;
}

}  // namespace gg::analytics
