// FHIR R4 JSON encoding (R4 section 2.6.2) through JsonOut: compact, resourceType first, then the elements in the
// order of the specification's resource content tables, leaving out empty strings, empty arrays, absent optionals
// and complex elements with no content (R4 2.6.2: objects, arrays and strings are never empty).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>

#include "fhir/json_codec.hpp"
#include "fhir/json_out.hpp"

namespace gg::fhir {

namespace {

// ---- Emptiness: an element without content is not written ------------------------------------------------------

bool is_empty(const CodeableConcept& c) {
  return c.coding.empty() && c.text.empty();
}
bool is_empty(const Quantity& q) {
  return !q.value && q.comparator.empty() && q.unit.empty() && q.system.empty() && q.code.empty();
}
bool is_empty(const Reference& r) {
  return r.reference.empty() && r.display.empty();
}
bool is_empty(const Period& p) {
  return p.start.empty() && p.end.empty();
}
bool is_empty(const Meta& m) {
  return m.version_id.empty() && m.last_updated.empty() && m.profile.empty() && m.tag.empty();
}
// Empty means nothing would be written: an empty code or empty reasons write nothing either (found by fuzzing:
// {"detail":{"code":{}}} was written as {"detail":{}}, which FHIR JSON forbids).
bool is_empty(const CarePlanActivityDetail& d) {
  const auto all_empty_concepts = std::all_of(d.reason_code.begin(), d.reason_code.end(),
                                              [](const CodeableConcept& c) { return is_empty(c); });
  const auto all_empty_references = std::all_of(d.reason_reference.begin(), d.reason_reference.end(),
                                                [](const Reference& r) { return is_empty(r); });
  return d.kind.empty() && (!d.code || is_empty(*d.code)) && all_empty_concepts && all_empty_references &&
         d.status.empty() && d.scheduled_timing_time_of_day.empty() && d.description.empty();
}
bool is_empty(const TimingRepeat& t) {
  return t == TimingRepeat{} || (!t.bounds_period && !t.frequency && !t.period && t.period_unit.empty() &&
                                 t.day_of_week.empty() && t.time_of_day.empty() && t.when.empty());
}
bool is_empty(const Timing& t) {
  return t.event.empty() && (!t.repeat || is_empty(*t.repeat)) && (!t.code || is_empty(*t.code));
}
bool is_empty(const SubscriptionChannel& c) {
  return c == SubscriptionChannel{};
}

// The FHIR element-level writer over JsonOut: complex elements and arrays of them, left out when empty.
class JsonWriter : public JsonOut {
 public:
  using JsonOut::JsonOut;

  // A complex element written by `write_body` between braces, when it has content.
  template <typename T, typename WriteBody>
  void object(std::string_view key, const T& value, WriteBody&& write_body) {
    if (is_empty(value)) return;
    start_object(key);
    write_body(value);
    end_object();
  }
  template <typename T, typename WriteBody>
  void object(std::string_view key, const std::optional<T>& value, WriteBody&& write_body) {
    if (value) object(key, *value, write_body);
  }

  // An array element: each item in braces, also one without content, so indexes stay as given.
  template <typename T, typename WriteBody>
  void array(std::string_view key, const std::vector<T>& values, WriteBody&& write_body) {
    if (values.empty()) return;
    start_array(key);
    for (const T& value : values) {
      start_object();
      write_body(value);
      end_object();
    }
    end_array();
  }
};

// ---- Data types (R4 2.24), element order as in the specification -----------------------------------------------

void body(JsonWriter& w, const Coding& c) {
  w.string("system", c.system);
  w.string("version", c.version);
  w.string("code", c.code);
  w.string("display", c.display);
}

void body(JsonWriter& w, const CodeableConcept& c) {
  w.array("coding", c.coding, [&](const Coding& coding) { body(w, coding); });
  w.string("text", c.text);
}

void body(JsonWriter& w, const Quantity& q) {
  w.decimal("value", q.value);
  w.string("comparator", q.comparator);
  w.string("unit", q.unit);
  w.string("system", q.system);
  w.string("code", q.code);
}

void body(JsonWriter& w, const Identifier& i) {
  w.string("system", i.system);
  w.string("value", i.value);
}

void body(JsonWriter& w, const Reference& r) {
  w.string("reference", r.reference);
  w.string("display", r.display);
}

void body(JsonWriter& w, const Period& p) {
  w.string("start", p.start);
  w.string("end", p.end);
}

void body(JsonWriter& w, const Annotation& a) {
  w.string("text", a.text);
}

void body(JsonWriter& w, const Meta& m) {
  w.string("versionId", m.version_id);
  w.string("lastUpdated", m.last_updated);
  w.strings("profile", m.profile);
  w.array("tag", m.tag, [&](const Coding& c) { body(w, c); });
}

// Writes an element of any data type above through its body().
template <typename T>
void element(JsonWriter& w, std::string_view key, const T& value) {
  w.object(key, value, [&](const auto& v) { body(w, v); });
}
// Items without content are left out: FHIR JSON has no empty objects, in arrays either.
template <typename T>
void elements(JsonWriter& w, std::string_view key, const std::vector<T>& values) {
  if constexpr (requires(const T& v) { is_empty(v); }) {
    if (std::any_of(values.begin(), values.end(), [](const T& v) { return is_empty(v); })) {
      std::vector<T> kept;
      for (const T& v : values) {
        if (!is_empty(v)) kept.push_back(v);
      }
      w.array(key, kept, [&](const T& v) { body(w, v); });
      return;
    }
  }
  w.array(key, values, [&](const T& v) { body(w, v); });
}

// resourceType, then Resource.id and Resource.meta (R4 Resource).
void resource_header(JsonWriter& w, std::string_view resource_type, const std::string& id, const Meta& meta) {
  w.key("resourceType");
  w.text(resource_type);
  w.string("id", id);
  element(w, "meta", meta);
}

// ---- Resources -------------------------------------------------------------------------------------------------

// R4 Observation: identifier, status, category, code, subject, effective[x], issued, value[x], dataAbsentReason,
// interpretation, note, method, specimen, referenceRange, derivedFrom, component.
void write(JsonWriter& w, const Observation& o) {
  resource_header(w, "Observation", o.id, o.meta);
  w.array("contained", o.contained_specimens, [&](const ContainedSpecimen& specimen) {
    w.string("resourceType", "Specimen");
    w.string("id", specimen.id);
    element(w, "type", specimen.type);
  });
  elements(w, "identifier", o.identifier);
  w.string("status", o.status);
  elements(w, "category", o.category);
  element(w, "code", o.code);
  element(w, "subject", o.subject);
  // effective[x] and value[x] are choice elements: one of them is written.
  if (!o.effective_date_time.empty()) {
    w.string("effectiveDateTime", o.effective_date_time);
  } else {
    element(w, "effectivePeriod", o.effective_period);
  }
  w.string("issued", o.issued);
  if (o.value_quantity) {
    element(w, "valueQuantity", o.value_quantity);
  } else if (o.value_codeable_concept) {
    element(w, "valueCodeableConcept", o.value_codeable_concept);
  } else if (!o.value_date_time.empty()) {
    w.string("valueDateTime", o.value_date_time);
  } else {
    w.string("valueString", o.value_string);
  }
  element(w, "dataAbsentReason", o.data_absent_reason);
  elements(w, "interpretation", o.interpretation);
  elements(w, "note", o.note);
  element(w, "method", o.method);
  element(w, "specimen", o.specimen);
  w.array("referenceRange", o.reference_range, [&](const ObservationReferenceRange& range) {
    element(w, "low", range.low);
    element(w, "high", range.high);
    w.string("text", range.text);
  });
  elements(w, "derivedFrom", o.derived_from);
  // component.value[x] is a choice element: one of them is written, in the order R4 lists them (valueQuantity,
  // ..., valueString, ..., valueTime, valueDateTime).
  w.array("component", o.component, [&](const ObservationComponent& component) {
    element(w, "code", component.code);
    if (component.value_quantity) {
      element(w, "valueQuantity", component.value_quantity);
    } else if (!component.value_string.empty()) {
      w.string("valueString", component.value_string);
    } else if (!component.value_time.empty()) {
      w.string("valueTime", component.value_time);
    } else {
      w.string("valueDateTime", component.value_date_time);
    }
  });
}

// R4 Patient: identifier, gender, birthDate.
void write(JsonWriter& w, const Patient& p) {
  resource_header(w, "Patient", p.id, p.meta);
  elements(w, "identifier", p.identifier);
  w.string("gender", p.gender);
  w.string("birthDate", p.birth_date);
}

void body(JsonWriter& w, const TimingRepeat& t) {
  element(w, "boundsPeriod", t.bounds_period);
  w.integer("frequency", t.frequency);
  w.decimal("period", t.period);
  w.string("periodUnit", t.period_unit);
  w.strings("dayOfWeek", t.day_of_week);
  w.strings("timeOfDay", t.time_of_day);
  w.strings("when", t.when);
}

void body(JsonWriter& w, const Timing& t) {
  w.strings("event", t.event);
  element(w, "repeat", t.repeat);
  element(w, "code", t.code);
}

// R4 Dosage: text, timing, route, doseAndRate; MedicationAdministration.dosage: text, route, dose.
void write_dosage(JsonWriter& w, const Dosage& d, bool administration) {
  w.string("text", d.text);
  if (!administration) element(w, "timing", d.timing);
  element(w, "route", d.route);
  if (!d.dose_quantity) return;
  if (administration) return element(w, "dose", d.dose_quantity);
  w.start_array("doseAndRate");
  w.start_object();
  element(w, "doseQuantity", d.dose_quantity);
  w.end_object();
  w.end_array();
}

// R4 MedicationStatement (status, medication[x], subject, effective[x], dateAsserted, dosage),
// MedicationAdministration (status, medication[x], subject, effective[x], dosage) and MedicationRequest (status,
// intent, medication[x], subject, authoredOn, dosageInstruction).
void write(JsonWriter& w, const MedicationUse& m) {
  resource_header(w, m.resource_type, m.id, m.meta);
  w.array("contained", m.contained_medications, [&](const ContainedMedication& medication) {
    w.string("resourceType", "Medication");
    w.string("id", medication.id);
    element(w, "code", medication.code);
  });
  w.string("status", m.status);
  w.string("intent", m.intent);
  if (m.medication_codeable_concept) {
    element(w, "medicationCodeableConcept", m.medication_codeable_concept);
  } else {
    element(w, "medicationReference", m.medication_reference);
  }
  element(w, "subject", m.subject);
  if (!m.effective_date_time.empty()) {
    w.string("effectiveDateTime", m.effective_date_time);
  } else {
    element(w, "effectivePeriod", m.effective_period);
  }
  w.string("authoredOn", m.authored_on);
  w.string("dateAsserted", m.date_asserted);
  const bool administration = m.resource_type == "MedicationAdministration";
  if (administration) {
    if (!m.dosage.empty() && m.dosage.front() != Dosage{}) {
      w.key("dosage");
      w.start_object();
      write_dosage(w, m.dosage.front(), true);
      w.end_object();
    }
    return;
  }
  w.array(m.resource_type == "MedicationRequest" ? "dosageInstruction" : "dosage", m.dosage,
          [&](const Dosage& d) { write_dosage(w, d, false); });
}

// R4 Medication: code.
void write(JsonWriter& w, const Medication& m) {
  resource_header(w, "Medication", m.id, m.meta);
  element(w, "code", m.code);
}

// R4 RiskAssessment: identifier, status, method, code, subject, occurrence[x], basis, prediction, note.
void write(JsonWriter& w, const RiskAssessment& r) {
  resource_header(w, "RiskAssessment", r.id, r.meta);
  elements(w, "identifier", r.identifier);
  w.string("status", r.status);
  element(w, "method", r.method);
  element(w, "code", r.code);
  element(w, "subject", r.subject);
  w.string("occurrenceDateTime", r.occurrence_date_time);
  elements(w, "basis", r.basis);
  w.array("prediction", r.prediction, [&](const RiskAssessmentPrediction& prediction) {
    element(w, "outcome", prediction.outcome);
    element(w, "qualitativeRisk", prediction.qualitative_risk);
    w.string("rationale", prediction.rationale);
  });
  elements(w, "note", r.note);
}

// R4 CarePlan.activity.detail: kind, code, reasonCode, reasonReference, status, scheduled[x], description.
void body(JsonWriter& w, const CarePlanActivityDetail& d) {
  w.string("kind", d.kind);
  element(w, "code", d.code);
  elements(w, "reasonCode", d.reason_code);
  elements(w, "reasonReference", d.reason_reference);
  w.string("status", d.status);
  if (!d.scheduled_timing_time_of_day.empty()) {
    // Timing.repeat.timeOfDay (R4 2.24.0.14 Timing).
    w.key("scheduledTiming");
    w.start_object();
    w.key("repeat");
    w.start_object();
    w.strings("timeOfDay", d.scheduled_timing_time_of_day);
    w.end_object();
    w.end_object();
  }
  w.string("description", d.description);
}

// R4 CarePlan: identifier, status, intent, category, title, description, subject, created, supportingInfo,
// activity, note.
void write(JsonWriter& w, const CarePlan& c) {
  resource_header(w, "CarePlan", c.id, c.meta);
  elements(w, "identifier", c.identifier);
  w.string("status", c.status);
  w.string("intent", c.intent);
  elements(w, "category", c.category);
  w.string("title", c.title);
  w.string("description", c.description);
  element(w, "subject", c.subject);
  w.string("created", c.created);
  elements(w, "supportingInfo", c.supporting_info);
  // An activity whose detail has no content would be an empty object: it is left out.
  std::vector<CarePlanActivity> activities;
  for (const auto& activity : c.activity) {
    if (!is_empty(activity.detail)) activities.push_back(activity);
  }
  w.array("activity", activities,
          [&](const CarePlanActivity& activity) { element(w, "detail", activity.detail); });
  elements(w, "note", c.note);
}

// R4 Provenance: target, recorded, activity, agent (type, who), entity (role, what).
void write(JsonWriter& w, const Provenance& p) {
  resource_header(w, "Provenance", p.id, p.meta);
  elements(w, "target", p.target);
  w.string("recorded", p.recorded);
  element(w, "activity", p.activity);
  w.array("agent", p.agent, [&](const ProvenanceAgent& agent) {
    element(w, "type", agent.type);
    element(w, "who", agent.who);
  });
  w.array("entity", p.entity, [&](const ProvenanceEntity& entity) {
    w.string("role", entity.role);
    element(w, "what", entity.what);
  });
}

// R4 Subscription.channel: extension (Element.extension precedes the element's own children), type, endpoint,
// payload, header.
void body(JsonWriter& w, const SubscriptionChannel& c) {
  if (!c.extension_flags.empty()) {
    w.start_array("extension");
    for (const auto& [url, flag] : c.extension_flags) {
      w.start_object();
      w.string("url", url);
      w.boolean("valueBoolean", flag);
      w.end_object();
    }
    w.end_array();
  }
  w.string("type", c.type);
  w.string("endpoint", c.endpoint);
  w.string("payload", c.payload);
  w.strings("header", c.header);
}

// R4 Subscription: status, reason, criteria, error, channel.
void write(JsonWriter& w, const Subscription& s) {
  resource_header(w, "Subscription", s.id, s.meta);
  w.string("status", s.status);
  w.string("reason", s.reason);
  w.string("criteria", s.criteria);
  w.string("error", s.error);
  element(w, "channel", s.channel);
}

// R4 OperationOutcome: issue (severity, code, diagnostics, expression).
void write(JsonWriter& w, const OperationOutcome& o) {
  resource_header(w, "OperationOutcome", o.id, Meta{});
  w.array("issue", o.issue, [&](const OperationOutcomeIssue& issue) {
    w.string("severity", issue.severity);
    w.string("code", issue.code);
    element(w, "details", issue.details);
    w.string("diagnostics", issue.diagnostics);
    w.strings("expression", issue.expression);
  });
}

// R4 ConceptMap: url, version, name, status, group (source, target, element (code, display, target (code,
// display, equivalence))).
void write(JsonWriter& w, const ConceptMap& m) {
  resource_header(w, "ConceptMap", m.id, m.meta);
  w.string("url", m.url);
  w.string("version", m.version);
  w.string("name", m.name);
  w.string("status", m.status);
  w.array("group", m.group, [&](const ConceptMapGroup& group) {
    w.string("source", group.source);
    w.string("target", group.target);
    w.array("element", group.element, [&](const ConceptMapElement& element) {
      w.string("code", element.code);
      w.string("display", element.display);
      w.array("target", element.target, [&](const ConceptMapTarget& target) {
        w.string("code", target.code);
        w.string("display", target.display);
        w.string("equivalence", target.equivalence);
      });
    });
  });
}

void write(JsonWriter& w, const OtherResource& o) {
  resource_header(w, o.resource_type, o.id, o.meta);
}

void write_resource(JsonWriter& w, const Resource& resource) {
  w.start_object();
  std::visit([&](const auto& r) { write(w, r); }, resource);
  w.end_object();
}

// Bundle.entry's content: fullUrl, resource, request, response.
void write_entry_body(JsonWriter& w, const BundleEntry& entry) {
  w.string("fullUrl", entry.full_url);
  if (entry.resource) {
    w.key("resource");
    write_resource(w, *entry.resource);
  }
  if (entry.request) {
    w.key("request");
    w.start_object();
    w.string("method", entry.request->method);
    w.string("url", entry.request->url);
    w.string("ifNoneExist", entry.request->if_none_exist);
    w.string("ifMatch", entry.request->if_match);
    w.end_object();
  }
  if (entry.response) {
    w.key("response");
    w.start_object();
    w.string("status", entry.response->status);
    w.string("location", entry.response->location);
    w.string("etag", entry.response->etag);
    w.end_object();
  }
}

// R4 Bundle: id, meta, type, timestamp, total, link, entry (fullUrl, resource, request, response).
void write_bundle(JsonWriter& w, const Bundle& b) {
  w.start_object();
  resource_header(w, "Bundle", b.id, b.meta);
  w.string("type", b.type);
  w.string("timestamp", b.timestamp);
  w.integer("total", b.total);
  w.array("link", b.link, [&](const BundleLink& link) {
    w.string("relation", link.relation);
    w.string("url", link.url);
  });
  w.array("entry", b.entry, [&](const BundleEntry& entry) { write_entry_body(w, entry); });
  w.end_object();
}

}  // namespace

std::string to_json(const Resource& resource) {
  std::string out;
  append_json(resource, out);
  return out;
}

std::string to_json(const BundleEntry& entry) {
  std::string out;
  append_json(entry, out);
  return out;
}

void append_json(const BundleEntry& entry, std::string& out) {
  JsonWriter w(out);
  w.start_object();
  write_entry_body(w, entry);
  w.end_object();
}

void append_json(const Resource& resource, std::string& out) {
  JsonWriter w(out);
  write_resource(w, resource);
}

std::string to_json(const Bundle& bundle) {
  std::string out;
  JsonWriter w(out);
  write_bundle(w, bundle);
  return out;
}

}  // namespace gg::fhir
