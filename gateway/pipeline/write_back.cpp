#include "gateway/pipeline/write_back.hpp"

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <cmath>
#include <cstdio>
#include <span>

#include "analytics/gradient_rules.hpp"

namespace gg::gateway {
namespace {

constexpr std::string_view kObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
constexpr std::string_view kUcum = "http://unitsofmeasure.org";
// Observation.interpretation codes for a change beyond the reference change value: "U" (Significant change up)
// and "D" (Significant change down), in the v3 ObservationInterpretation code system's
// _ObservationInterpretationChange group (http://terminology.hl7.org/ValueSet/v3-ObservationInterpretationChange).
constexpr std::string_view kInterpretationSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
constexpr std::string_view kReviewNote =
    "Decision support from Gradient Gateway, not an order: a clinician must review these findings and any "
    "suggestion before acting on them.";
// Every CarePlan activity says what it is before what it proposes.
constexpr std::string_view kProposalPrefix = "Proposal for clinician review, not an order. ";

// Builders that move their strings into place. A braced list assigned to a vector is a std::initializer_list,
// whose elements are copied, nested strings and all; every patient's write-back builds some hundred of these.
fhir::Coding coding(std::string_view system, std::string code, std::string display, std::string version = {}) {
  fhir::Coding out;
  out.system = system;
  out.version = std::move(version);
  out.code = std::move(code);
  out.display = std::move(display);
  return out;
}

fhir::CodeableConcept concept_of(fhir::Coding coding, std::string text) {
  fhir::CodeableConcept out;
  out.coding.push_back(std::move(coding));
  out.text = std::move(text);
  return out;
}

fhir::CodeableConcept text_concept(std::string text) {
  fhir::CodeableConcept out;
  out.text = std::move(text);
  return out;
}

std::string versioned(const std::string& reference, const std::string& version) {
  return version.empty() ? reference : reference + "/_history/" + version;
}

fhir::Identifier identifier_of(const StableIdentity& identity) {
  return {std::string(kWriteBackIdentifierSystem), identity.identifier_value};
}

// A conditional create on the identity's identifier, appended to `entries` with an empty resource of type T to be
// filled in place (a derived Observation is 1 KB of strings and lists; there are as many as gradients).
template <typename T>
T& conditional_create(std::vector<fhir::BundleEntry>& entries, const StableIdentity& identity) {
  fhir::BundleEntry& entry = entries.emplace_back();
  entry.full_url = identity.full_url;
  auto& resource = std::get<T>(entry.resource.emplace(std::in_place_type<T>));
  entry.request = fhir::BundleEntryRequest{
      "POST", std::string(fhir::resource_type(*entry.resource)),
      "identifier=" + std::string(kWriteBackIdentifierSystem) + "|" + identity.identifier_value, ""};
  return resource;
}

// The versioned references of `inputs`, sorted, each followed by ';', appended to `key`.
void append_references_key(std::span<const analytics::GradientInput> inputs, std::string& key) {
  boost::container::small_vector<std::string, 8> parts;
  for (const auto& input : inputs) parts.push_back(versioned(input.reference, input.version_id));
  std::sort(parts.begin(), parts.end());
  for (const auto& part : parts) key.append(part).append(";");
}

// A derived Observation's identity key: its rule, its inputs as versioned references, sorted (the part of every
// identity key that says "from what"), and, when it states a trend, the previous value's inputs (the same value
// compared with another previous value is another Observation), then the rule set.
std::string observation_key(const analytics::Gradient& gradient, std::string_view rules) {
  std::string key;
  key.reserve(256);
  key.append("Observation|").append(gradient.code).append("|");
  append_references_key(gradient.inputs, key);
  if (gradient.trend) {
    key.append("previous:");
    append_references_key(gradient.trend->previous_inputs, key);
  }
  return key.append(rules);
}

std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

std::string format_percent(double value, bool sign) {
  char text[32];
  std::snprintf(text, sizeof text, sign ? "%+.1f" : "%.1f", value);
  return text;
}

fhir::ObservationComponent gradient_component(std::string code, std::string display, double value,
                                              const std::string& unit) {
  fhir::ObservationComponent component;
  fhir::Coding coded = coding(analytics::kGradientCodeSystem, std::move(code), display);
  component.code = concept_of(std::move(coded), std::move(display));
  component.value_quantity = fhir::Quantity{value, "", unit, std::string(kUcum), unit};
  return component;
}

// One sentence with the numbers: the previous value, the change and how it was judged.
std::string trend_note(const analytics::Gradient& gradient, const analytics::Trend& trend) {
  const std::string unit = trend.previous_value.unit == "1" ? "" : " " + trend.previous_value.unit;
  std::string note = "Change since the previous value (" + format_number(trend.previous_value.value) + unit +
                     " on " + trend.previous_effective + "): " + format_percent(trend.change_percent, true) + " %";
  if (!trend.rcv_up_percent || !trend.rcv_down_percent) return note + ", not judged: " + trend.no_rcv_reason + ".";
  const std::string limits = " the reference change limits for " + gradient.display + " (" +
                             format_percent(*trend.rcv_down_percent, true) + " % to " +
                             format_percent(*trend.rcv_up_percent, true) + " %)";
  if (!trend.significant) return note + ", within" + limits + ": not a significant change.";
  return note + (trend.rising() ? ", above" + limits + ": a significant rise."
                                : ", below" + limits + ": a significant fall.");
}

void add_trend(const analytics::Gradient& gradient, fhir::Observation& observation) {
  if (!gradient.trend) return;
  const auto& trend = *gradient.trend;
  observation.component.push_back(gradient_component("trend-previous-value", "Previous value of the gradient",
                                                     trend.previous_value.value, trend.previous_value.unit));
  observation.component.push_back(gradient_component(
      "trend-change-percent", "Change since the previous value (percent)", trend.change_percent, "%"));
  // Both log-normal limits (analytics/trend.hpp): they are asymmetric, so no single value could stand for them.
  if (trend.rcv_up_percent && trend.rcv_down_percent) {
    observation.component.push_back(gradient_component(
        "trend-rcv-up-percent", "Reference change limit for a rise (percent)", *trend.rcv_up_percent, "%"));
    observation.component.push_back(gradient_component(
        "trend-rcv-down-percent", "Reference change limit for a fall (percent)", *trend.rcv_down_percent, "%"));
  }
  if (trend.significant) {
    const bool up = trend.rising();
    const std::string display = up ? "Significant change up" : "Significant change down";
    observation.interpretation.push_back(
        concept_of(coding(kInterpretationSystem, up ? "U" : "D", display), display));
  }
  for (const auto& input : trend.previous_inputs) {
    fhir::Reference reference{versioned(input.reference, input.version_id), ""};
    if (std::find(observation.derived_from.begin(), observation.derived_from.end(), reference) ==
        observation.derived_from.end()) {
      observation.derived_from.push_back(std::move(reference));
    }
  }
  observation.note.push_back({trend_note(gradient, trend)});
}

void derived_observation(const analytics::Gradient& gradient, const StableIdentity& identity,
                         const WriteBackContext& context, fhir::Observation& observation) {
  observation.identifier.push_back(identifier_of(identity));
  observation.status = gradient.preliminary ? "preliminary" : "final";
  observation.category.push_back(concept_of(coding(kObservationCategory, "laboratory", "Laboratory"), ""));
  observation.code =
      concept_of(coding(analytics::kGradientCodeSystem, gradient.code, gradient.display), gradient.display);
  observation.subject.reference = context.patient;
  if (gradient.period) {
    observation.effective_period = fhir::Period{gradient.period->start, gradient.period->end};
  } else {
    observation.effective_date_time = gradient.effective.text;
  }
  observation.issued = context.as_of;
  observation.value_quantity = fhir::Quantity{gradient.value.value, gradient.comparator, gradient.value.unit,
                                              std::string(kUcum), gradient.value.unit};
  for (const auto& input : gradient.inputs) {
    observation.derived_from.push_back({versioned(input.reference, input.version_id), ""});
  }
  for (const auto& component : gradient.components) {
    observation.component.push_back(
        gradient_component(component.code, component.display, component.value.value, component.value.unit));
  }
  observation.note.push_back({"Computed by Gradient Gateway " + context.software_version + " with rule set " +
                              context.rule_set_id + " " + context.rule_set_version + " (rule " + gradient.code +
                              ")."});
  for (const auto& note : gradient.notes) observation.note.push_back({note});
  add_trend(gradient, observation);
}

// The RiskAssessment: one prediction per finding.
fhir::RiskAssessment risk_assessment(const analytics::Analysis& analysis, const WriteBackContext& context,
                                     const StableIdentity& identity, std::span<const std::string> basis,
                                     bool preliminary) {
  fhir::RiskAssessment risk;
  risk.identifier.push_back(identifier_of(identity));
  risk.status = preliminary ? "preliminary" : "final";
  risk.method =
      concept_of(coding(kRuleSetSystem, context.rule_set_id, "", context.rule_set_version),
                 "Gradient Gateway rule set " + context.rule_set_id + " version " + context.rule_set_version);
  risk.code = text_concept("Hormonal gradient assessment");
  risk.subject.reference = context.patient;
  risk.occurrence_date_time = context.as_of;
  for (const auto& reference : basis) risk.basis.push_back({reference, ""});
  for (std::size_t i = 0; i < analysis.findings.size(); ++i) {
    const auto& finding = analysis.findings[i];
    fhir::RiskAssessmentPrediction prediction;
    const auto& gradient = analysis.gradients[i];
    prediction.outcome =
        concept_of(coding(analytics::kGradientCodeSystem, gradient.code, gradient.display),
                   gradient.display + " " + (gradient.comparator.empty() ? "" : gradient.comparator + " ") +
                       format_number(finding.value.value));
    if (finding.level) {
      prediction.qualitative_risk = concept_of(
          coding(analytics::kRiskProbabilitySystem, std::string(analytics::to_string(*finding.level)), ""), "");
    }
    prediction.rationale = finding.rationale;
    risk.prediction.push_back(std::move(prediction));
  }
  risk.note.push_back({std::string(kReviewNote)});
  for (const auto& note : analysis.notes) risk.note.push_back({note});
  return risk;
}

// The draft CarePlan: one activity per proposal of the analysis, the findings' first, then the repeats of results
// drawn at the wrong time after a dose (analytics/analysis.hpp). Each activity's reasonReference is the derived
// Observation of the gradient it answers (`derived_urls`, in gradient order).
fhir::CarePlan draft_care_plan(const analytics::Analysis& analysis, const WriteBackContext& context,
                               const StableIdentity& identity, const std::string& risk_url,
                               const std::vector<std::string>& derived_urls) {
  fhir::CarePlan plan;
  plan.identifier.push_back(identifier_of(identity));
  plan.status = "draft";
  plan.intent = "proposal";
  plan.title = "Hormonal gradient review (proposal)";
  plan.description = std::string(kReviewNote);
  plan.subject.reference = context.patient;
  plan.created = context.as_of;
  plan.supporting_info.push_back({risk_url, ""});
  for (const auto& proposal : analysis.finding_proposals) {
    fhir::CarePlanActivity activity;
    activity.detail.kind = proposal.kind;
    activity.detail.code = text_concept(proposal.title);
    activity.detail.reason_code.push_back(text_concept(analysis.findings.at(proposal.gradient).rationale));
    activity.detail.reason_reference.push_back({derived_urls.at(proposal.gradient), ""});
    activity.detail.status = "not-started";
    activity.detail.scheduled_timing_time_of_day = proposal.time_of_day;
    activity.detail.description = std::string(kProposalPrefix) + proposal.description;
    plan.activity.push_back(std::move(activity));
  }
  for (const auto& proposal : analysis.timing_proposals) {
    fhir::CarePlanActivity activity;
    activity.detail.kind = "ServiceRequest";
    activity.detail.code = text_concept(proposal.title);
    activity.detail.reason_code.push_back(text_concept(proposal.reason));
    // R4 reasonReference allows Condition, Observation, DiagnosticReport, DocumentReference: the medication
    // resource is named in the reason text and in the RiskAssessment's basis.
    activity.detail.reason_reference.push_back({derived_urls.at(proposal.gradient), ""});
    activity.detail.status = "not-started";
    activity.detail.description = std::string(kProposalPrefix) + proposal.description;
    plan.activity.push_back(std::move(activity));
  }
  plan.note.push_back({std::string(kReviewNote)});
  return plan;
}

// Provenance: what was written (`targets`), from what (`basis`), by whom.
fhir::BundleEntry provenance_entry(const WriteBackContext& context, const StableIdentity& identity,
                                   std::span<const std::string> targets, std::span<const std::string> basis) {
  fhir::Provenance provenance;
  for (const auto& url : targets) provenance.target.push_back({url, ""});
  provenance.recorded = context.as_of;
  provenance.activity =
      concept_of(coding("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE", "create"), "");
  provenance.agent.push_back(fhir::ProvenanceAgent{
      concept_of(
          coding("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler", "Assembler"),
          ""),
      {"", "Gradient Gateway " + context.software_version}});
  for (const auto& reference : basis) provenance.entity.push_back({"source", {reference, ""}});
  // Provenance has no identifier element in R4: its conditional create keys on the tag below instead.
  provenance.meta.tag.push_back(coding(kWriteBackIdentifierSystem, identity.identifier_value, ""));
  fhir::BundleEntry entry;
  entry.full_url = identity.full_url;
  entry.resource = fhir::Resource{std::move(provenance)};
  entry.request = fhir::BundleEntryRequest{
      "POST", "Provenance", "_tag=" + std::string(kWriteBackIdentifierSystem) + "|" + identity.identifier_value,
      ""};
  return entry;
}

}  // namespace

std::vector<fhir::BundleEntry> write_back_entries(const analytics::Analysis& analysis,
                                                  const WriteBackContext& context) {
  std::vector<fhir::BundleEntry> entries;
  if (analysis.gradients.empty()) return entries;
  entries.reserve(analysis.gradients.size() + 3);  // and a RiskAssessment, a CarePlan, a Provenance
  const std::string rules = context.rule_set_id + "@" + context.rule_set_version;

  // Derived Observations, one per gradient.
  std::vector<std::string> derived_urls;
  std::vector<std::string> basis;  // versioned input references, sorted and unique
  bool preliminary = false;
  for (const auto& gradient : analysis.gradients) {
    auto identity = stable_identity(observation_key(gradient, rules));
    derived_urls.push_back(identity.full_url);
    derived_observation(gradient, identity, context, conditional_create<fhir::Observation>(entries, identity));
    for (const auto& input : gradient.inputs) basis.push_back(versioned(input.reference, input.version_id));
    preliminary = preliminary || gradient.preliminary;
  }
  // The medication resources whose dose timing the analysis used (RiskAssessment.basis is Reference(Any)).
  for (const auto& reference : analysis.context_basis) basis.push_back(reference);
  std::sort(basis.begin(), basis.end());
  basis.erase(std::unique(basis.begin(), basis.end()), basis.end());
  std::string analysis_key = context.patient + "|";
  for (const auto& reference : basis) analysis_key.append(reference).append(";");
  analysis_key += rules;

  const auto risk_identity = stable_identity("RiskAssessment|" + analysis_key);
  conditional_create<fhir::RiskAssessment>(entries, risk_identity) =
      risk_assessment(analysis, context, risk_identity, basis, preliminary);
  std::vector<std::string> targets = derived_urls;
  targets.push_back(risk_identity.full_url);

  if (!analysis.finding_proposals.empty() || !analysis.timing_proposals.empty()) {
    const auto plan_identity = stable_identity("CarePlan|" + analysis_key);
    conditional_create<fhir::CarePlan>(entries, plan_identity) =
        draft_care_plan(analysis, context, plan_identity, risk_identity.full_url, derived_urls);
    targets.push_back(plan_identity.full_url);
  }

  entries.push_back(provenance_entry(context, stable_identity("Provenance|" + analysis_key), targets, basis));
  return entries;
}

std::string correlation_id(const std::vector<fhir::BundleEntry>& entries) {
  for (const auto& entry : entries) {
    if (!entry.resource) continue;
    if (const auto* provenance = std::get_if<fhir::Provenance>(&*entry.resource)) {
      for (const auto& tag : provenance->meta.tag) {
        if (tag.system == kWriteBackIdentifierSystem) return tag.code;
      }
    }
  }
  return {};
}

fhir::Bundle transaction_bundle(std::vector<fhir::BundleEntry> entries) {
  fhir::Bundle bundle;
  bundle.type = "transaction";
  bundle.entry = std::move(entries);
  return bundle;
}

}  // namespace gg::gateway
