#include "analytics/analysis.hpp"

#include <map>

#include "analytics/derived_rules.hpp"
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

// Indices of the observations to analyse: the latest version of each id, at the position of that version; an
// Observation without an id stands for itself.
std::vector<std::size_t> latest_versions(std::span<const fhir::Observation> observations) {
  std::map<std::string_view, std::size_t> chosen;
  for (std::size_t i = 0; i < observations.size(); ++i) {
    const auto& observation = observations[i];
    if (observation.id.empty()) continue;
    auto [it, inserted] = chosen.try_emplace(observation.id, i);
    if (!inserted && later_version(observation.meta.version_id, observations[it->second].meta.version_id)) {
      it->second = i;
    }
  }
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < observations.size(); ++i) {
    const auto& observation = observations[i];
    if (observation.id.empty() || chosen.at(observation.id) == i) indices.push_back(i);
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

}  // namespace

PatientFacts patient_facts(const fhir::Patient& patient) {
  PatientFacts facts;
  if (!patient.id.empty()) facts.reference = "Patient/" + patient.id;
  facts.sex = sex_from_gender(patient.gender);
  facts.birth_date = parse_fhir_date(patient.birth_date);
  return facts;
}

Analysis analyze(const PatientFacts& patient, std::span<const fhir::Observation> observations,
                 const Knowledge& knowledge, std::chrono::sys_seconds as_of) {
  Analysis analysis;
  const auto indices = latest_versions(observations);
  analysis.superseded = observations.size() - indices.size();
  for (const std::size_t i : indices) {
    auto normalised = normalise(observations[i], knowledge.catalogue);
    if (auto* measurement = std::get_if<Measurement>(&normalised)) {
      if (!patient.reference.empty() && measurement->subject != patient.reference) {
        analysis.rejections.push_back(
            subject_mismatch(measurement->reference, measurement->version_id, measurement->analyte_id));
      } else {
        analysis.measurements.push_back(std::move(*measurement));
      }
    } else if (auto* excluded = std::get_if<Excluded>(&normalised)) {
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

  if (patient.birth_date) analysis.age_years = age_in_years(*patient.birth_date, as_of);

  for (const auto& rule : knowledge.rules.ratios) {
    auto gradient = compute_ratio(rule, analysis.measurements);
    if (!gradient) continue;
    gradient->trend = ratio_trend(rule, analysis.measurements, *gradient, knowledge.biological_variation,
                                  knowledge.rules.trends);
    analysis.findings.push_back(
        assess(*gradient, knowledge.assessment, patient.sex, analysis.age_years, knowledge.catalogue));
    analysis.gradients.push_back(std::move(*gradient));
  }
  for (const auto& rule : knowledge.rules.derived) {
    auto gradient = compute_derived(rule, analysis.measurements);
    if (!gradient) continue;
    gradient->trend = derived_trend(rule, analysis.measurements, *gradient, knowledge.biological_variation,
                                    knowledge.rules.trends);
    analysis.findings.push_back(
        assess(*gradient, knowledge.assessment, patient.sex, analysis.age_years, knowledge.catalogue));
    analysis.gradients.push_back(std::move(*gradient));
  }
  for (const auto& rule : knowledge.rules.rhythms) {
    for (auto& gradient : compute_rhythm(rule, analysis.measurements, knowledge.catalogue)) {
      analysis.findings.push_back(
          assess(gradient, knowledge.assessment, patient.sex, analysis.age_years, knowledge.catalogue));
      analysis.gradients.push_back(std::move(gradient));
    }
  }
  return analysis;
}

}  // namespace gg::analytics
