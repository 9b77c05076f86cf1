#include "gateway/pipeline/write_back.hpp"

#include <algorithm>
#include <array>
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <span>
#include <stdexcept>
#include <system_error>

#include "analytics/gradient_rules.hpp"
#include "fhir/json_codec.hpp"
#include "fhir/json_out.hpp"
#include "fhir/string_hash.hpp"

namespace gg::gateway {
namespace {

constexpr std::string_view kObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
constexpr std::string_view kUcum = "http://unitsofmeasure.org";
// Observation.interpretation codes for a change beyond the reference change value: "U" (Significant change up)
// and "D" (Significant change down), in the v3 ObservationInterpretation code system's
// _ObservationInterpretationChange group (http://terminology.hl7.org/ValueSet/v3-ObservationInterpretationChange).
constexpr std::string_view kInterpretationSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
// Every CarePlan activity says what it is before what it proposes.
constexpr std::string_view kProposalPrefix = "Proposal for clinician review, not an order. ";

std::string versioned(const std::string& reference, const std::string& version) {
  if (version.empty()) return reference;
  constexpr std::string_view kHistory = "/_history/";
  std::string text;  // one allocation: a reference and its version are some thirty characters
  text.reserve(reference.size() + kHistory.size() + version.size());
  text.append(reference).append(kHistory).append(version);
  return text;
}

// ---- FHIR data types, written in the order of the specification (R4 2.24), as fhir::to_json writes them --------
// The write-back writes its resources straight as JSON through fhir::JsonOut: building them as fhir/ values first,
// then encoding those, took a third of `analyze`'s time (docs/performance.md). What the values' encoder leaves out
// (empty strings, complex elements without content, array items without content) is left out here the same way,
// and a unit test checks that the JSON decodes to values that encode to the same bytes.

// Coding: system, version, code, display.
void coding(fhir::JsonOut& w, std::string_view system, std::string_view code, std::string_view display,
            std::string_view version = {}) {
  w.start_object();
  w.string("system", system);
  w.string("version", version);
  w.string("code", code);
  w.string("display", display);
  w.end_object();
}

// A CodeableConcept of one coding (always written: it has a system) and a text.
void concept_element(fhir::JsonOut& w, std::string_view name, std::string_view system, std::string_view code,
                     std::string_view display, std::string_view text, std::string_view version = {}) {
  w.start_object(name);
  w.start_array("coding");
  coding(w, system, code, display, version);
  w.end_array();
  w.string("text", text);
  w.end_object();
}

// A CodeableConcept of a text alone, {"text": ...}: its callers leave it out when the text is empty.
void text_concept_body(fhir::JsonOut& w, std::string_view text) {
  w.start_object();
  w.string("text", text);
  w.end_object();
}

void reference_element(fhir::JsonOut& w, std::string_view name, std::string_view reference) {
  if (reference.empty()) return;
  w.start_object(name);
  w.string("reference", reference);
  w.end_object();
}

// An array of References, those without content left out; nothing when none has content.
template <typename Range>
void references(fhir::JsonOut& w, std::string_view name, const Range& references) {
  if (std::none_of(std::begin(references), std::end(references), [](const auto& r) { return !r.empty(); })) return;
  w.start_array(name);
  for (const auto& reference : references) {
    if (reference.empty()) continue;
    w.start_object();
    w.string("reference", reference);
    w.end_object();
  }
  w.end_array();
}

// An Annotation: every one is written, a note without text as {}, as fhir::to_json writes it (an Annotation is
// never left out there; no note the gateway writes is empty).
void annotation(fhir::JsonOut& w, std::string_view text) {
  w.start_object();
  w.string("text", text);
  w.end_object();
}

// A part of the write-back that is the same in every resource (members of an object, or an item of an array),
// written once by the functions above and then appended as it is: the same bytes, without writing it element by
// element for every resource (the write-back is a fifth of `analyze`, docs/performance.md).
template <typename Write>
std::string written_once(Write write) {
  std::string text;
  fhir::JsonOut w(text);
  w.start_object();
  write(w);
  w.end_object();
  return text.substr(1, text.size() - 2);
}

// What a UCUM quantity says of its unit: the members unit, system and code.
void ucum_unit(fhir::JsonOut& w, std::string_view unit) {
  w.string("unit", unit);
  w.string("system", kUcum);
  w.string("code", unit);
}

// Texts of the write-back written once per key and then appended as they are (ucum_unit_members,
// gradient_code_member), one set a thread. The keys come from the rule sets, a few dozen; should they ever be more
// than kMost, the rest are written every time. A text returned stays good until the set's next call.
class KeptTexts {
 public:
  template <typename Write>
  const std::string& get(std::string_view key, Write write) {
    const auto found = kept_.find(key);
    if (found != kept_.end()) return found->second;
    if (kept_.size() >= kMost) return not_kept_ = write();
    return kept_.emplace(key, write()).first->second;
  }

 private:
  static constexpr std::size_t kMost = 256;
  fhir::StringMap<std::string> kept_;
  std::string not_kept_;
};

// ucum_unit's members for `unit`, written once per thread for each unit met (a write-back's units are a handful:
// "1", "%", "nmol/L", ...).
const std::string& ucum_unit_members(std::string_view unit) {
  thread_local KeptTexts kept;
  return kept.get(unit, [&] { return written_once([&](fhir::JsonOut& w) { ucum_unit(w, unit); }); });
}

// Quantity: value, comparator, unit, system, code; the gateway's quantities are UCUM, unit and code alike.
void ucum_quantity(fhir::JsonOut& w, std::string_view name, double value, std::string_view comparator,
                   std::string_view unit) {
  w.start_object(name);
  w.decimal("value", value);
  w.string("comparator", comparator);
  w.raw(ucum_unit_members(unit));
  w.end_object();
}

// The write-back identifier of every resource but the Provenance: "identifier":[{system, value}].
void identifier(fhir::JsonOut& w, const StableIdentity& identity) {
  w.start_array("identifier");
  w.start_object();
  w.string("system", kWriteBackIdentifierSystem);
  w.string("value", identity.identifier_value);
  w.end_object();
  w.end_array();
}

// Observation.category of every derived Observation: laboratory.
const std::string& laboratory_category() {
  static const std::string text = written_once([](fhir::JsonOut& w) {
    w.start_array("category");
    w.start_object();
    w.start_array("coding");
    coding(w, kObservationCategory, "laboratory", "Laboratory");
    w.end_array();
    w.end_object();
    w.end_array();
  });
  return text;
}

// The note every RiskAssessment and CarePlan carries, as an Annotation.
const std::string& review_annotation() {
  static const std::string text = written_once([](fhir::JsonOut& w) { annotation(w, kReviewNote); });
  return text;
}

// Where the write-back goes: the entries of a transaction Bundle, joined by ",", each a conditional create
// (If-None-Exist) on its resource's identity; or the resources alone, as NDJSON lines.
class EntryWriter {
 public:
  EntryWriter(WriteBackForm form, std::string& out) : form_(form), w_(out) {}

  fhir::JsonOut& begin(std::string_view resource_type, const StableIdentity& identity) {
    if (form_ == WriteBackForm::bundle_entries) {
      if (count_ > 0) w_.buffer() += ',';
      w_.start_object();
      w_.string("fullUrl", identity.full_url);
      w_.key("resource");
    }
    w_.start_object();
    w_.key("resourceType");
    w_.text(resource_type);
    return w_;
  }

  // `condition`: the search of the conditional create, "identifier" or "_tag", on the identity's value.
  void end(std::string_view resource_type, std::string_view condition, const StableIdentity& identity) {
    w_.end_object();
    ++count_;
    if (form_ == WriteBackForm::ndjson) {
      w_.buffer() += '\n';
      return;
    }
    w_.start_object("request");
    w_.string("method", "POST");
    w_.string("url", resource_type);
    if_none_exist_.assign(condition)
        .append("=")
        .append(kWriteBackIdentifierSystem)
        .append("|")
        .append(identity.identifier_value);
    w_.string("ifNoneExist", if_none_exist_);
    w_.end_object();
    w_.end_object();
  }

  std::size_t count() const { return count_; }

 private:
  WriteBackForm form_;
  fhir::JsonOut w_;
  std::size_t count_ = 0;
  std::string if_none_exist_;
};

// A gradient's inputs and, with a trend, its previous value's inputs, as versioned references in their order:
// made once for its identity key, its derivedFrom and the RiskAssessment's basis.
struct InputReferences {
  boost::container::small_vector<std::string, 8> inputs;
  boost::container::small_vector<std::string, 8> previous;

  explicit InputReferences(const analytics::Gradient& gradient) {
    for (const auto& input : gradient.inputs) inputs.push_back(versioned(input.reference, input.version_id));
    if (!gradient.trend) return;
    for (const auto& input : gradient.trend->previous_inputs) {
      previous.push_back(versioned(input.reference, input.version_id));
    }
  }
};

// `references`, sorted, each followed by ';', appended to `key`.
template <typename Range>
void append_references_key(const Range& references, std::string& key) {
  boost::container::small_vector<std::string_view, 8> parts(std::begin(references), std::end(references));
  std::sort(parts.begin(), parts.end());
  for (const auto part : parts) key.append(part).append(";");
}

// A derived Observation's identity key: its rule, its inputs as versioned references, sorted (the part of every
// identity key that says "from what"), and, when it states a trend, the previous value's inputs (the same value
// compared with another previous value is another Observation), then the rule set.
std::string observation_key(const analytics::Gradient& gradient, const InputReferences& references,
                            std::string_view rules) {
  std::string key;
  key.reserve(256);
  key.append("Observation|").append(gradient.code).append("|");
  append_references_key(references.inputs, key);
  if (gradient.trend) {
    key.append("previous:");
    append_references_key(references.previous, key);
  }
  return key.append(rules);
}

// "%.4g" and "%+.1f" / "%.1f" as printf writes them, appended to `out`: std::to_chars with a precision writes what
// printf does ([charconv.to.chars]; 20 million doubles compared, none differed), without printf's locale and
// format parsing. A value that is not finite, or whose text does not fit (a fixed form of 30 digits), is left to
// printf, as before.
void append_number(std::string& out, double value) {
  char text[32];
  if (std::isfinite(value)) {
    const auto result = std::to_chars(text, text + sizeof text, value, std::chars_format::general, 4);
    if (result.ec == std::errc{}) {
      out.append(text, static_cast<std::size_t>(result.ptr - text));
      return;
    }
  }
  std::snprintf(text, sizeof text, "%.4g", value);
  out += text;
}

void append_percent(std::string& out, double value, bool sign) {
  char text[32];
  if (std::isfinite(value)) {
    char* start = text;
    if (sign && !std::signbit(value)) *start++ = '+';
    const auto result = std::to_chars(start, text + sizeof text, value, std::chars_format::fixed, 1);
    if (result.ec == std::errc{}) {
      out.append(text, static_cast<std::size_t>(result.ptr - text));
      return;
    }
  }
  std::snprintf(text, sizeof text, sign ? "%+.1f" : "%.1f", value);
  out += text;
}

// A component's code (in the gradient code system), as the member "code".
std::string component_code(std::string_view code, std::string_view display) {
  return written_once([&](fhir::JsonOut& w) {
    concept_element(w, "code", analytics::kGradientCodeSystem, code, display, display);
  });
}

// The member "code" of a gradient or of one of its components, written once per thread for each code and display
// met (component_code) and then appended as it is: the rule sets name a few dozen, and every derived Observation
// carries one or more. Keyed by display too, so a rule set reloaded with a new display writes the new one.
const std::string& gradient_code_member(std::string_view code, std::string_view display) {
  thread_local KeptTexts kept;
  thread_local std::string key;  // reused: a lookup allocates nothing once the key's capacity suffices
  // "length:" of the code first (as a netstring), so that no two pairs make the same key whatever they hold.
  char length[24];
  char* length_end = std::to_chars(length, length + sizeof length, code.size()).ptr;
  key.assign(length, length_end).append(1, ':').append(code).append(display);
  return kept.get(key, [&] { return component_code(code, display); });
}

// A component of a derived Observation: its code (component_code) and a UCUM valueQuantity.
void gradient_component(fhir::JsonOut& w, std::string_view code_member, double value, std::string_view unit) {
  w.start_object();
  w.raw(code_member);
  ucum_quantity(w, "valueQuantity", value, "", unit);
  w.end_object();
}

// One sentence with the numbers: the previous value, the change and how it was judged.
std::string trend_note(const analytics::Gradient& gradient, const analytics::Trend& trend) {
  // Built in one string: "Change since the previous value (<value>[ <unit>] on <time>): <+x.x> %" and the verdict.
  std::string note;
  note.reserve(240);
  note += "Change since the previous value (";
  append_number(note, trend.previous_value.value);
  if (trend.previous_value.unit != "1") {
    note += ' ';
    note += trend.previous_value.unit;
  }
  note += " on ";
  note += trend.previous_effective;
  note += "): ";
  append_percent(note, trend.change_percent, true);
  note += " %";
  if (!trend.rcv_up_percent || !trend.rcv_down_percent) {
    note += ", not judged: ";
    note += trend.no_rcv_reason;
    note += '.';
    return note;
  }
  note += !trend.significant ? ", within" : trend.rising() ? ", above" : ", below";
  note += " the reference change limits for ";
  note += gradient.display;
  note += " (";
  append_percent(note, *trend.rcv_down_percent, true);
  note += " % to ";
  append_percent(note, *trend.rcv_up_percent, true);
  note += " %)";
  note += !trend.significant ? ": not a significant change."
          : trend.rising()   ? ": a significant rise."
                             : ": a significant fall.";
  return note;
}

// A derived Observation (R4 Observation: identifier, status, category, code, subject, effective[x], issued,
// valueQuantity, interpretation, note, derivedFrom, component). With a trend also the previous value's inputs, the
// trend components, a note, and interpretation U or D for a change beyond its limit.
void derived_observation(fhir::JsonOut& w, const analytics::Gradient& gradient,
                         const InputReferences& references_of, const StableIdentity& identity,
                         const WriteBackContext& context) {
  const analytics::Trend* trend = gradient.trend ? &*gradient.trend : nullptr;
  identifier(w, identity);
  w.string("status", gradient.preliminary ? "preliminary" : "final");
  w.raw(laboratory_category());
  w.raw(gradient_code_member(gradient.code, gradient.display));
  reference_element(w, "subject", context.patient);
  if (gradient.period) {
    if (!gradient.period->start.empty() || !gradient.period->end.empty()) {
      w.start_object("effectivePeriod");
      w.string("start", gradient.period->start);
      w.string("end", gradient.period->end);
      w.end_object();
    }
  } else {
    w.string("effectiveDateTime", gradient.effective.text);
  }
  w.string("issued", context.as_of);
  ucum_quantity(w, "valueQuantity", gradient.value.value, gradient.comparator, gradient.value.unit);
  if (trend != nullptr && trend->significant) {
    // Observation.interpretation codes for a change beyond the reference change value: "U" and "D".
    const std::string_view display = trend->rising() ? "Significant change up" : "Significant change down";
    w.start_array("interpretation");
    w.start_object();
    w.start_array("coding");
    coding(w, kInterpretationSystem, trend->rising() ? "U" : "D", display);
    w.end_array();
    w.string("text", display);
    w.end_object();
    w.end_array();
  }
  w.start_array("note");
  {
    // The same for every gradient of a rule: built in one string, the rule's code appended last.
    thread_local std::string computed_by;
    computed_by.assign("Computed by Gradient Gateway ")
        .append(context.software_version)
        .append(" with rule set ")
        .append(context.rule_set_id)
        .append(" ")
        .append(context.rule_set_version)
        .append(" (rule ")
        .append(gradient.code)
        .append(").");
    annotation(w, computed_by);
  }
  for (const auto& note : gradient.notes) annotation(w, note);
  if (trend != nullptr) annotation(w, trend_note(gradient, *trend));
  w.end_array();
  // derivedFrom: the inputs, then the previous value's inputs not already named.
  boost::container::small_vector<std::string_view, 12> derived_from(references_of.inputs.begin(),
                                                                    references_of.inputs.end());
  for (const std::string& reference : references_of.previous) {
    if (std::find(derived_from.begin(), derived_from.end(), reference) == derived_from.end()) {
      derived_from.push_back(reference);
    }
  }
  references(w, "derivedFrom", derived_from);
  const bool trend_components = trend != nullptr;
  if (gradient.components.empty() && !trend_components) return;
  w.start_array("component");
  for (const auto& component : gradient.components) {
    w.start_object();
    w.raw(gradient_code_member(component.code, component.display));
    ucum_quantity(w, "valueQuantity", component.value.value, "", component.value.unit);
    w.end_object();
  }
  if (trend != nullptr) {
    // The trend's components' codes, written once.
    static const std::string kPrevious = component_code("trend-previous-value", "Previous value of the gradient");
    static const std::string kChange =
        component_code("trend-change-percent", "Change since the previous value (percent)");
    static const std::string kRcvUp =
        component_code("trend-rcv-up-percent", "Reference change limit for a rise (percent)");
    static const std::string kRcvDown =
        component_code("trend-rcv-down-percent", "Reference change limit for a fall (percent)");
    gradient_component(w, kPrevious, trend->previous_value.value, trend->previous_value.unit);
    gradient_component(w, kChange, trend->change_percent, "%");
    // Both log-normal limits (analytics/trend.hpp): they are asymmetric, so no single value could stand for them.
    if (trend->rcv_up_percent && trend->rcv_down_percent) {
      gradient_component(w, kRcvUp, *trend->rcv_up_percent, "%");
      gradient_component(w, kRcvDown, *trend->rcv_down_percent, "%");
    }
  }
  w.end_array();
}

// The RiskAssessment (identifier, status, method, code, subject, occurrenceDateTime, basis, prediction, note): one
// prediction per finding.
void risk_assessment(fhir::JsonOut& w, const analytics::Analysis& analysis, const WriteBackContext& context,
                     const StableIdentity& identity, std::span<const std::string> basis, bool preliminary) {
  identifier(w, identity);
  w.string("status", preliminary ? "preliminary" : "final");
  concept_element(w, "method", kRuleSetSystem, context.rule_set_id, "",
                  "Gradient Gateway rule set " + context.rule_set_id + " version " + context.rule_set_version,
                  context.rule_set_version);
  static const std::string kCode = written_once([](fhir::JsonOut& out) {
    out.key("code");
    text_concept_body(out, "Hormonal gradient assessment");
  });
  w.raw(kCode);
  reference_element(w, "subject", context.patient);
  w.string("occurrenceDateTime", context.as_of);
  references(w, "basis", basis);
  if (!analysis.findings.empty()) {
    w.start_array("prediction");
    std::string outcome_text;  // "<display> [<comparator> ]<value>", reused for each finding
    for (std::size_t i = 0; i < analysis.findings.size(); ++i) {
      const auto& finding = analysis.findings[i];
      const auto& gradient = analysis.gradients[i];
      w.start_object();
      outcome_text.assign(gradient.display).append(" ");
      if (!gradient.comparator.empty()) outcome_text.append(gradient.comparator).append(" ");
      append_number(outcome_text, finding.value.value);
      concept_element(w, "outcome", analytics::kGradientCodeSystem, gradient.code, gradient.display, outcome_text);
      if (finding.level) {
        concept_element(w, "qualitativeRisk", analytics::kRiskProbabilitySystem,
                        analytics::to_string(*finding.level), "", "");
      }
      w.string("rationale", finding.rationale);
      w.end_object();
    }
    w.end_array();
  }
  w.start_array("note");
  w.raw(review_annotation());
  for (const auto& note : analysis.notes) annotation(w, note);
  w.end_array();
}

// One CarePlan activity's detail (kind, code, reasonCode, reasonReference, status, scheduledTiming, description).
void activity(fhir::JsonOut& w, std::string_view kind, std::string_view title, std::string_view reason,
              std::string_view reason_reference, const std::vector<std::string>& time_of_day,
              std::string_view description) {
  w.start_object();
  w.start_object("detail");
  w.string("kind", kind);
  if (!title.empty()) {
    w.key("code");
    text_concept_body(w, title);
  }
  if (!reason.empty()) {
    w.start_array("reasonCode");
    text_concept_body(w, reason);
    w.end_array();
  }
  references(w, "reasonReference", std::array{reason_reference});
  w.string("status", "not-started");
  if (!time_of_day.empty()) {
    // Timing.repeat.timeOfDay (R4 2.24.0.14 Timing).
    w.start_object("scheduledTiming");
    w.start_object("repeat");
    w.strings("timeOfDay", time_of_day);
    w.end_object();
    w.end_object();
  }
  w.key("description");
  w.text(std::string(kProposalPrefix).append(description));
  w.end_object();
  w.end_object();
}

// The draft CarePlan (identifier, status, intent, title, description, subject, created, supportingInfo, activity,
// note): one activity per proposal of the analysis, the findings' first, then the repeats of results drawn at the
// wrong time after a dose (analytics/analysis.hpp). Each activity's reasonReference is the derived Observation of
// the gradient it answers (`derived_urls`, in gradient order).
void draft_care_plan(fhir::JsonOut& w, const analytics::Analysis& analysis, const WriteBackContext& context,
                     const StableIdentity& identity, const std::string& risk_url,
                     const std::vector<std::string>& derived_urls) {
  identifier(w, identity);
  static const std::string kDraft = written_once([](fhir::JsonOut& out) {
    out.string("status", "draft");
    out.string("intent", "proposal");
    out.string("title", "Hormonal gradient review (proposal)");
    out.string("description", kReviewNote);
  });
  w.raw(kDraft);
  reference_element(w, "subject", context.patient);
  w.string("created", context.as_of);
  references(w, "supportingInfo", std::array{std::string_view(risk_url)});
  w.start_array("activity");
  for (const auto& proposal : analysis.finding_proposals) {
    activity(w, proposal.kind, proposal.title, analysis.findings.at(proposal.gradient).rationale,
             derived_urls.at(proposal.gradient), proposal.time_of_day, proposal.description);
  }
  // R4 reasonReference allows Condition, Observation, DiagnosticReport, DocumentReference: the medication resource
  // is named in the reason text and in the RiskAssessment's basis.
  for (const auto& proposal : analysis.timing_proposals) {
    activity(w, "ServiceRequest", proposal.title, proposal.reason, derived_urls.at(proposal.gradient), {},
             proposal.description);
  }
  w.end_array();
  w.start_array("note");
  w.raw(review_annotation());
  w.end_array();
}

// Provenance (meta.tag, target, recorded, activity, agent, entity): what was written (`targets`), from what
// (`basis`), by whom. Provenance has no identifier element in R4: its conditional create keys on the tag.
void provenance(fhir::JsonOut& w, const WriteBackContext& context, const StableIdentity& identity,
                std::span<const std::string> targets, std::span<const std::string> basis) {
  w.start_object("meta");
  w.start_array("tag");
  w.start_object();
  w.string("system", kWriteBackIdentifierSystem);
  w.string("code", identity.identifier_value);
  w.end_object();
  w.end_array();
  w.end_object();
  references(w, "target", targets);
  w.string("recorded", context.as_of);
  static const std::string kActivity = written_once([](fhir::JsonOut& out) {
    concept_element(out, "activity", "http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE", "create",
                    "");
  });
  static const std::string kAssembler = written_once([](fhir::JsonOut& out) {
    concept_element(out, "type", "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler",
                    "Assembler", "");
  });
  w.raw(kActivity);
  w.start_array("agent");
  w.start_object();
  w.raw(kAssembler);
  w.start_object("who");
  w.string("display", "Gradient Gateway " + context.software_version);
  w.end_object();
  w.end_object();
  w.end_array();
  if (basis.empty()) return;
  w.start_array("entity");
  for (const auto& reference : basis) {
    w.start_object();
    w.string("role", "source");
    reference_element(w, "what", reference);
    w.end_object();
  }
  w.end_array();
}

}  // namespace

std::size_t append_write_back(const analytics::Analysis& analysis, const WriteBackContext& context,
                              WriteBackForm form, std::string& out) {
  if (analysis.gradients.empty()) return 0;
  EntryWriter entries(form, out);
  const std::string rules = context.rule_set_id + "@" + context.rule_set_version;

  // Derived Observations, one per gradient.
  std::vector<std::string> derived_urls;
  derived_urls.reserve(analysis.gradients.size() + 2);
  std::vector<std::string> basis;  // versioned input references, sorted and unique
  bool preliminary = false;
  for (const auto& gradient : analysis.gradients) {
    InputReferences references_of(gradient);
    auto identity = stable_identity(observation_key(gradient, references_of, rules));
    derived_observation(entries.begin("Observation", identity), gradient, references_of, identity, context);
    entries.end("Observation", "identifier", identity);
    derived_urls.push_back(std::move(identity.full_url));
    for (auto& reference : references_of.inputs) basis.push_back(std::move(reference));
    preliminary = preliminary || gradient.preliminary;
  }
  // The medication resources whose dose timing the analysis used (RiskAssessment.basis is Reference(Any)).
  for (const auto& reference : analysis.context_basis) basis.push_back(reference);
  std::sort(basis.begin(), basis.end());
  basis.erase(std::unique(basis.begin(), basis.end()), basis.end());
  std::string analysis_key = context.patient + "|";
  for (const auto& reference : basis) analysis_key.append(reference).append(";");
  analysis_key += rules;

  const auto risk_identity = stable_identity("RiskAssessment|", analysis_key);
  risk_assessment(entries.begin("RiskAssessment", risk_identity), analysis, context, risk_identity, basis,
                  preliminary);
  entries.end("RiskAssessment", "identifier", risk_identity);
  std::optional<StableIdentity> plan_identity;
  if (!analysis.finding_proposals.empty() || !analysis.timing_proposals.empty()) {
    plan_identity = stable_identity("CarePlan|", analysis_key);
    draft_care_plan(entries.begin("CarePlan", *plan_identity), analysis, context, *plan_identity,
                    risk_identity.full_url, derived_urls);
    entries.end("CarePlan", "identifier", *plan_identity);
  }

  std::vector<std::string>& targets = derived_urls;  // the Provenance's: every resource written before it
  targets.push_back(risk_identity.full_url);
  if (plan_identity) targets.push_back(plan_identity->full_url);
  const auto provenance_identity = stable_identity("Provenance|", analysis_key);
  provenance(entries.begin("Provenance", provenance_identity), context, provenance_identity, targets, basis);
  entries.end("Provenance", "_tag", provenance_identity);
  return entries.count();
}

std::vector<fhir::BundleEntry> write_back_entries(const analytics::Analysis& analysis,
                                                  const WriteBackContext& context) {
  std::string json = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  if (append_write_back(analysis, context, WriteBackForm::bundle_entries, json) == 0) return {};
  json += "]}";
  auto decoded = fhir::decode_bundle(json);
  if (!decoded.ok() || !decoded.issues.empty()) {
    // The gateway's own JSON: a problem decoding it is a bug here, never bad input.
    throw std::logic_error("write-back JSON does not decode: " +
                           fhir::to_json(fhir::Resource{fhir::to_operation_outcome(decoded.issues)}));
  }
  return std::move(decoded.value->entry);
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
