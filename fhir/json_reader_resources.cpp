// Decoders for the modelled resources (R4 resource pages: Observation, Patient, RiskAssessment, CarePlan,
// Provenance, Subscription, OperationOutcome) and for every other resourceType (id and meta only). Each receives
// the resource's properties once, in document order, from the driver in json_reader.cpp.
#include <memory>
#include <string>
#include <utility>

#include "fhir/json_reader_detail.hpp"

namespace gg::fhir::json_detail {

// ---- Backbone elements -----------------------------------------------------------------------------------------
// -------------------------------------------------------------------------------------------- Declared in this
// namespace (not an unnamed one) so the list and optional templates of the detail header find them by
// argument-dependent lookup on Reader.

static void read_value(Reader& r, od::value& value, ObservationReferenceRange& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "low") {
      read_value(r, element, out.low);
    } else if (key == "high") {
      read_value(r, element, out.high);
    } else if (key == "text") {
      r.read(element, out.text);
    }
  });
}

static void read_value(Reader& r, od::value& value, ObservationComponent& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "code") {
      read_value(r, element, out.code);
    } else if (key == "valueQuantity") {
      read_value(r, element, out.value_quantity);
    } else if (key == "valueString") {
      r.read(element, out.value_string);
    } else if (key == "valueTime") {
      r.read(element, out.value_time);
    } else if (key == "valueDateTime") {
      r.read(element, out.value_date_time);
    }
  });
}

static void read_value(Reader& r, od::value& value, RiskAssessmentPrediction& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "outcome") {
      read_value(r, element, out.outcome);
    } else if (key == "qualitativeRisk") {
      read_value(r, element, out.qualitative_risk);
    } else if (key == "rationale") {
      r.read(element, out.rationale);
    }
  });
}

// CarePlan.activity.detail.scheduledTiming: only Timing.repeat.timeOfDay is modelled (R4 2.24.0.14 Timing).
static void read_time_of_day(Reader& r, od::value& timing, std::vector<std::string>& out) {
  r.for_each_field(timing, [&](std::string_view key, od::value& element) {
    if (key != "repeat") return;
    r.for_each_field(element, [&](std::string_view repeat_key, od::value& repeat_element) {
      if (repeat_key == "timeOfDay") r.read(repeat_element, out);
    });
  });
}

static void read_value(Reader& r, od::value& value, CarePlanActivityDetail& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "kind") {
      r.read(element, out.kind);
    } else if (key == "code") {
      read_value(r, element, out.code);
    } else if (key == "reasonCode") {
      read_value(r, element, out.reason_code);
    } else if (key == "reasonReference") {
      read_value(r, element, out.reason_reference);
    } else if (key == "status") {
      r.read(element, out.status);
    } else if (key == "scheduledTiming") {
      read_time_of_day(r, element, out.scheduled_timing_time_of_day);
    } else if (key == "description") {
      r.read(element, out.description);
    }
  });
}

static void read_value(Reader& r, od::value& value, CarePlanActivity& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "detail") read_value(r, element, out.detail);
  });
}

static void read_value(Reader& r, od::value& value, ProvenanceAgent& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "type") {
      read_value(r, element, out.type);
    } else if (key == "who") {
      read_value(r, element, out.who);
    }
  });
}

static void read_value(Reader& r, od::value& value, ProvenanceEntity& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "role") {
      r.read(element, out.role);
    } else if (key == "what") {
      read_value(r, element, out.what);
    }
  });
}

// Observation.contained: Specimens keep their id and type; other contained resources are skipped.
static void read_contained_specimens(Reader& r, od::value& value, std::vector<ContainedSpecimen>& out) {
  r.for_each_element(value, [&](od::value& item) {
    std::string type_name;
    ContainedSpecimen specimen;
    r.for_each_field(item, [&](std::string_view key, od::value& element) {
      if (key == "resourceType") {
        r.read(element, type_name);
      } else if (key == "id") {
        r.read(element, specimen.id);
      } else if (key == "type") {
        read_value(r, element, specimen.type);
      }
    });
    if (type_name == "Specimen") out.push_back(std::move(specimen));
  });
}

static void read_value(Reader& r, od::value& value, ConceptMapTarget& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "code") {
      r.read(element, out.code);
    } else if (key == "display") {
      r.read(element, out.display);
    } else if (key == "equivalence") {
      r.read(element, out.equivalence);
    }
  });
}

static void read_value(Reader& r, od::value& value, ConceptMapElement& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "code") {
      r.read(element, out.code);
    } else if (key == "display") {
      r.read(element, out.display);
    } else if (key == "target") {
      read_value(r, element, out.target);
    }
  });
}

static void read_value(Reader& r, od::value& value, ConceptMapGroup& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "source") {
      r.read(element, out.source);
    } else if (key == "target") {
      r.read(element, out.target);
    } else if (key == "element") {
      read_value(r, element, out.element);
    }
  });
}

// Extensions are ignored everywhere except Subscription.channel, where HAPI's boolean channel extensions (e.g.
// send-delete-messages) are kept as (url, valueBoolean); extensions with other value types are skipped.
static void read_channel_extensions(Reader& r, od::value& value, std::vector<std::pair<std::string, bool>>& out) {
  r.for_each_element(value, [&](od::value& extension) {
    std::string url;
    std::optional<bool> flag;
    r.for_each_field(extension, [&](std::string_view key, od::value& element) {
      if (key == "url") {
        r.read(element, url);
      } else if (key == "valueBoolean") {
        r.read(element, flag.emplace());
      }
    });
    if (flag) out.emplace_back(std::move(url), *flag);
  });
}

static void read_value(Reader& r, od::value& value, SubscriptionChannel& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "type") {
      r.read(element, out.type);
    } else if (key == "endpoint") {
      r.read(element, out.endpoint);
    } else if (key == "payload") {
      r.read(element, out.payload);
    } else if (key == "header") {
      r.read(element, out.header);
    } else if (key == "extension") {
      read_channel_extensions(r, element, out.extension_flags);
    }
  });
}

static void read_value(Reader& r, od::value& value, OperationOutcomeIssue& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "severity") {
      r.read(element, out.severity);
    } else if (key == "code") {
      r.read(element, out.code);
    } else if (key == "details") {
      read_value(r, element, out.details);
    } else if (key == "diagnostics") {
      r.read(element, out.diagnostics);
    } else if (key == "expression") {
      r.read(element, out.expression);
    }
  });
}

static void read_value(Reader& r, od::value& value, TimingRepeat& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "boundsPeriod") {
      read_value(r, element, out.bounds_period);
    } else if (key == "frequency") {
      r.read(element, out.frequency);
    } else if (key == "period") {
      r.read(element, out.period);
    } else if (key == "periodUnit") {
      r.read(element, out.period_unit);
    } else if (key == "dayOfWeek") {
      r.read(element, out.day_of_week);
    } else if (key == "timeOfDay") {
      r.read(element, out.time_of_day);
    } else if (key == "when") {
      r.read(element, out.when);
    }
  });
}

static void read_value(Reader& r, od::value& value, Timing& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "event") {
      r.read(element, out.event);
    } else if (key == "repeat") {
      read_value(r, element, out.repeat);
    } else if (key == "code") {
      read_value(r, element, out.code);
    }
  });
}

// Dosage.doseAndRate[0].doseQuantity (R4 2.24.0.15): the first dose given as a quantity.
static void read_dose_and_rate(Reader& r, od::value& value, std::optional<Quantity>& out) {
  r.for_each_element(value, [&](od::value& item) {
    r.for_each_field(item, [&](std::string_view key, od::value& element) {
      if (key == "doseQuantity" && !out) read_value(r, element, out);
    });
  });
}

static void read_value(Reader& r, od::value& value, Dosage& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "text") {
      r.read(element, out.text);
    } else if (key == "timing") {
      read_value(r, element, out.timing);
    } else if (key == "route") {
      read_value(r, element, out.route);
    } else if (key == "doseAndRate") {
      read_dose_and_rate(r, element, out.dose_quantity);
    } else if (key == "dose") {  // MedicationAdministration.dosage.dose
      read_value(r, element, out.dose_quantity);
    }
  });
}

// MedicationX.contained: Medications keep their id and code; other contained resources are skipped.
static void read_contained_medications(Reader& r, od::value& value, std::vector<ContainedMedication>& out) {
  r.for_each_element(value, [&](od::value& item) {
    std::string type_name;
    ContainedMedication medication;
    r.for_each_field(item, [&](std::string_view key, od::value& element) {
      if (key == "resourceType") {
        r.read(element, type_name);
      } else if (key == "id") {
        r.read(element, medication.id);
      } else if (key == "code") {
        read_value(r, element, medication.code);
      }
    });
    if (type_name == "Medication") out.push_back(std::move(medication));
  });
}

namespace {

// ---- Resources -------------------------------------------------------------------------------------------------

// Decodes in place, into the resource the caller holds: an Observation is the largest value decoded and the one
// decoded most, so it is not moved from decoder to result.
class ObservationDecoder final : public ResourceDecoder {
 public:
  ObservationDecoder(Reader& r, Observation& observation)
      : observation_(observation), first_issue_(r.issues().size()) {}

  void field(Reader& r, std::string_view key, od::value& value) override {
    if (is(key, "id")) return r.read(value, observation_.id);
    if (is(key, "meta")) return read_value(r, value, observation_.meta);
    // Not wanted: what follows is skipped by On-Demand without being materialised.
    if (unwanted_) return;
    if (is(key, "code")) return read_code(r, value);
    if (is(key, "contained")) return read_contained_specimens(r, value, observation_.contained_specimens);
    if (is(key, "status")) {
      const std::size_t errors_before = r.error_count();
      r.read(value, observation_.status);
      status_unreadable_ = r.error_count() != errors_before;
      return;
    }
    if (is(key, "identifier")) return read_unanalysed(r, value, observation_.identifier);
    if (is(key, "category")) {
      thread_local RepeatedElements<std::vector<CodeableConcept>> categories;
      return read_unanalysed_repeated(r, value, categories, observation_.category);
    }
    if (is(key, "subject")) return read_value(r, value, observation_.subject);
    // effective[x] (R4 Observation.effective[x]): an instant is a dateTime with seconds and a zone, kept as text.
    if (is(key, "effectiveDateTime") || is(key, "effectiveInstant")) {
      return r.read(value, observation_.effective_date_time);
    }
    if (is(key, "effectivePeriod")) return read_value(r, value, observation_.effective_period);
    if (is(key, "issued")) return r.read(value, observation_.issued);
    if (is(key, "valueQuantity")) return read_value(r, value, observation_.value_quantity);
    if (is(key, "valueString")) return r.read(value, observation_.value_string);
    if (is(key, "valueCodeableConcept")) return read_value(r, value, observation_.value_codeable_concept);
    if (is(key, "valueDateTime")) return r.read(value, observation_.value_date_time);
    if (is(key, "dataAbsentReason")) return read_value(r, value, observation_.data_absent_reason);
    if (is(key, "interpretation")) {
      thread_local RepeatedElements<std::vector<CodeableConcept>> interpretations;
      return read_unanalysed_repeated(r, value, interpretations, observation_.interpretation);
    }
    if (is(key, "note")) {
      thread_local RepeatedElements<std::vector<Annotation>, 24> notes;
      return read_unanalysed_repeated(r, value, notes, observation_.note);
    }
    if (is(key, "method")) return read_value(r, value, observation_.method);
    if (is(key, "specimen")) return read_value(r, value, observation_.specimen);
    if (is(key, "referenceRange")) {
      // Read for the unit of a valueString that has none; beside a valueQuantity only shown
      // (analytics::lab_report).
      thread_local RepeatedElements<std::vector<ObservationReferenceRange>> ranges;
      const bool beside_quantity = observation_.value_quantity.has_value();
      return read_repeated(r, value, ranges, beside_quantity ? 1 : 0, observation_.reference_range, [&] {
        if (beside_quantity) return read_unanalysed(r, value, observation_.reference_range);
        read_value(r, value, observation_.reference_range);
      });
    }
    if (is(key, "derivedFrom")) return read_value(r, value, observation_.derived_from);
    if (is(key, "component")) return read_value(r, value, observation_.component);
    // Every other value[x], extensions, narrative: not modelled, skipped.
  }

  void finish(Reader& r, std::optional<Resource>& out) override {
    if (unwanted_) {
      // Problems in an Observation nobody asked for do not make the input rejected; malformed JSON still does.
      r.discard_issues_since(first_issue_);
      OtherResource other{"Observation", std::move(observation_.id), std::move(observation_.meta)};
      out.emplace(std::move(other));  // observation_ is gone from here on
      return;
    }
    // A reference range read before the valueQuantity (see field): dropped the same, whatever the order.
    if (!r.options().keep_unanalysed_elements && observation_.value_quantity) observation_.reference_range.clear();
    // Observation.status and Observation.code have cardinality 1..1 (R4 Observation resource content). An empty
    // value counts as missing: FHIR JSON has no empty strings or objects (R4 2.6.2), and a code with neither
    // coding nor text cannot be judged. One that could not be read has been reported already.
    if (observation_.status.empty() && !status_unreadable_) {
      auto segment = r.element("status");
      r.error("required", "missing required element Observation.status");
    }
    if (observation_.code == CodeableConcept{} && !code_unreadable_) {
      auto segment = r.element("code");
      r.error("required", "missing required element Observation.code (or it has neither coding nor text)");
    }
  }

 private:
  void read_code(Reader& r, od::value& value) {
    const std::size_t errors_before = r.error_count();
    thread_local RepeatedElements<CodeableConcept> codes;
    read_repeated(r, value, codes, 0, observation_.code, [&] {
      if (r.options().keep_unanalysed_elements) return read_value(r, value, observation_.code);
      const Reader::DisplayNotKept display_not_kept(r);
      read_value(r, value, observation_.code);
    });
    code_unreadable_ = r.error_count() != errors_before;
    // A code that could not be read cannot be judged; keep the Observation so its errors are reported.
    const auto& wanted = r.options().observation_wanted;
    if (wanted && !code_unreadable_) unwanted_ = !wanted(observation_.code);
  }

  Observation& observation_;  // in the caller's resource
  std::size_t first_issue_;
  bool status_unreadable_ = false;
  bool code_unreadable_ = false;
  bool unwanted_ = false;
};

class PatientDecoder final : public ResourceDecoder {
 public:
  void field(Reader& r, std::string_view key, od::value& value) override {
    if (key == "id") return r.read(value, patient_.id);
    if (key == "meta") return read_value(r, value, patient_.meta);
    if (key == "identifier") return read_value(r, value, patient_.identifier);
    if (key == "gender") return r.read(value, patient_.gender);
    if (key == "birthDate") return r.read(value, patient_.birth_date);
  }
  void finish(Reader&, std::optional<Resource>& out) override { out.emplace(std::move(patient_)); }

 private:
  Patient patient_;
};

// MedicationStatement, MedicationAdministration and MedicationRequest: what was or is to be taken, and when.
class MedicationUseDecoder final : public ResourceDecoder {
 public:
  explicit MedicationUseDecoder(std::string_view resource_type) { use_.resource_type = resource_type; }

  void field(Reader& r, std::string_view key, od::value& value) override {
    if (key == "id") return r.read(value, use_.id);
    if (key == "meta") return read_value(r, value, use_.meta);
    if (key == "contained") return read_contained_medications(r, value, use_.contained_medications);
    if (key == "status") return r.read(value, use_.status);
    if (key == "intent") return r.read(value, use_.intent);
    if (key == "medicationCodeableConcept") return read_value(r, value, use_.medication_codeable_concept);
    if (key == "medicationReference") return read_value(r, value, use_.medication_reference);
    if (key == "subject") return read_value(r, value, use_.subject);
    if (key == "effectiveDateTime") return r.read(value, use_.effective_date_time);
    if (key == "effectivePeriod") return read_value(r, value, use_.effective_period);
    if (key == "authoredOn") return r.read(value, use_.authored_on);
    if (key == "dateAsserted") return r.read(value, use_.date_asserted);
    // MedicationStatement.dosage and MedicationRequest.dosageInstruction are Dosage lists;
    // MedicationAdministration.dosage is one backbone element (text, route, dose).
    if (key == "dosageInstruction") return read_value(r, value, use_.dosage);
    if (key == "dosage") {
      if (use_.resource_type == "MedicationAdministration")
        return read_value(r, value, use_.dosage.emplace_back());
      return read_value(r, value, use_.dosage);
    }
  }
  void finish(Reader& r, std::optional<Resource>& out) override {
    // status and medication[x] are 1..1 in all three (R4 resource content tables).
    if (use_.status.empty()) {
      auto segment = r.element("status");
      r.error("required", "missing required element " + use_.resource_type + ".status");
    }
    if (!use_.medication_codeable_concept && !use_.medication_reference) {
      auto segment = r.element("medication[x]");
      r.error("required", "missing required element " + use_.resource_type + ".medication[x]");
    }
    out.emplace(std::move(use_));
  }

 private:
  MedicationUse use_;
};

class MedicationDecoder final : public ResourceDecoder {
 public:
  void field(Reader& r, std::string_view key, od::value& value) override {
    if (key == "id") return r.read(value, medication_.id);
    if (key == "meta") return read_value(r, value, medication_.meta);
    if (key == "code") return read_value(r, value, medication_.code);
  }
  void finish(Reader&, std::optional<Resource>& out) override { out.emplace(std::move(medication_)); }

 private:
  Medication medication_;
};

class RiskAssessmentDecoder final : public ResourceDecoder {
 public:
  void field(Reader& r, std::string_view key, od::value& value) override {
    if (key == "id") return r.read(value, risk_.id);
    if (key == "meta") return read_value(r, value, risk_.meta);
    if (key == "identifier") return read_value(r, value, risk_.identifier);
    if (key == "status") return r.read(value, risk_.status);
    if (key == "method") return read_value(r, value, risk_.method);
    if (key == "code") return read_value(r, value, risk_.code);
    if (key == "subject") return read_value(r, value, risk_.subject);
    if (key == "occurrenceDateTime") return r.read(value, risk_.occurrence_date_time);
    if (key == "basis") return read_value(r, value, risk_.basis);
    if (key == "prediction") return read_value(r, value, risk_.prediction);
    if (key == "note") return read_value(r, value, risk_.note);
  }
  void finish(Reader&, std::optional<Resource>& out) override { out.emplace(std::move(risk_)); }

 private:
  RiskAssessment risk_;
};

class CarePlanDecoder final : public ResourceDecoder {
 public:
  void field(Reader& r, std::string_view key, od::value& value) override {
    if (key == "id") return r.read(value, plan_.id);
    if (key == "meta") return read_value(r, value, plan_.meta);
    if (key == "identifier") return read_value(r, value, plan_.identifier);
    if (key == "status") return r.read(value, plan_.status);
    if (key == "intent") return r.read(value, plan_.intent);
    if (key == "category") return read_value(r, value, plan_.category);
    if (key == "title") return r.read(value, plan_.title);
    if (key == "description") return r.read(value, plan_.description);
    if (key == "subject") return read_value(r, value, plan_.subject);
    if (key == "created") return r.read(value, plan_.created);
    if (key == "supportingInfo") return read_value(r, value, plan_.supporting_info);
    if (key == "activity") return read_value(r, value, plan_.activity);
    if (key == "note") return read_value(r, value, plan_.note);
  }
  void finish(Reader&, std::optional<Resource>& out) override { out.emplace(std::move(plan_)); }

 private:
  CarePlan plan_;
};

class ProvenanceDecoder final : public ResourceDecoder {
 public:
  void field(Reader& r, std::string_view key, od::value& value) override {
    if (key == "id") return r.read(value, provenance_.id);
    if (key == "meta") return read_value(r, value, provenance_.meta);
    if (key == "target") return read_value(r, value, provenance_.target);
    if (key == "recorded") return r.read(value, provenance_.recorded);
    if (key == "activity") return read_value(r, value, provenance_.activity);
    if (key == "agent") return read_value(r, value, provenance_.agent);
    if (key == "entity") return read_value(r, value, provenance_.entity);
  }
  void finish(Reader&, std::optional<Resource>& out) override { out.emplace(std::move(provenance_)); }

 private:
  Provenance provenance_;
};

class SubscriptionDecoder final : public ResourceDecoder {
 public:
  void field(Reader& r, std::string_view key, od::value& value) override {
    if (key == "id") return r.read(value, subscription_.id);
    if (key == "meta") return read_value(r, value, subscription_.meta);
    if (key == "status") return r.read(value, subscription_.status);
    if (key == "reason") return r.read(value, subscription_.reason);
    if (key == "criteria") return r.read(value, subscription_.criteria);
    if (key == "error") return r.read(value, subscription_.error);
    if (key == "channel") return read_value(r, value, subscription_.channel);
  }
  void finish(Reader&, std::optional<Resource>& out) override { out.emplace(std::move(subscription_)); }

 private:
  Subscription subscription_;
};

class ConceptMapDecoder final : public ResourceDecoder {
 public:
  void field(Reader& r, std::string_view key, od::value& value) override {
    if (key == "id") return r.read(value, map_.id);
    if (key == "meta") return read_value(r, value, map_.meta);
    if (key == "url") return r.read(value, map_.url);
    if (key == "version") return r.read(value, map_.version);
    if (key == "name") return r.read(value, map_.name);
    if (key == "status") return r.read(value, map_.status);
    if (key == "group") return read_value(r, value, map_.group);
  }
  void finish(Reader&, std::optional<Resource>& out) override { out.emplace(std::move(map_)); }

 private:
  ConceptMap map_;
};

class OperationOutcomeDecoder final : public ResourceDecoder {
 public:
  void field(Reader& r, std::string_view key, od::value& value) override {
    if (key == "id") return r.read(value, outcome_.id);
    if (key == "issue") return read_value(r, value, outcome_.issue);
  }
  void finish(Reader&, std::optional<Resource>& out) override { out.emplace(std::move(outcome_)); }

 private:
  OperationOutcome outcome_;
};

// Any other resourceType: counted and skipped by the caller, so only what identifies it is kept.
class OtherResourceDecoder final : public ResourceDecoder {
 public:
  explicit OtherResourceDecoder(std::string_view resource_type) { other_.resource_type = resource_type; }
  void field(Reader& r, std::string_view key, od::value& value) override {
    if (key == "id") return r.read(value, other_.id);
    if (key == "meta") return read_value(r, value, other_.meta);
  }
  void finish(Reader&, std::optional<Resource>& out) override { out.emplace(std::move(other_)); }

 private:
  OtherResource other_;
};

}  // namespace

std::unique_ptr<ResourceDecoder> make_resource_decoder(Reader& r, std::string_view resource_type,
                                                       std::optional<Resource>& out) {
  if (resource_type == "Observation") {
    Observation* target = r.take_observation_target();
    auto& observation =
        target != nullptr ? *target : std::get<Observation>(out.emplace(std::in_place_type<Observation>));
    return std::make_unique<ObservationDecoder>(r, observation);
  }
  if (resource_type == "Patient") return std::make_unique<PatientDecoder>();
  if (resource_type == "Medication") return std::make_unique<MedicationDecoder>();
  if (resource_type == "MedicationStatement" || resource_type == "MedicationAdministration" ||
      resource_type == "MedicationRequest") {
    return std::make_unique<MedicationUseDecoder>(resource_type);
  }
  if (resource_type == "RiskAssessment") return std::make_unique<RiskAssessmentDecoder>();
  if (resource_type == "CarePlan") return std::make_unique<CarePlanDecoder>();
  if (resource_type == "Provenance") return std::make_unique<ProvenanceDecoder>();
  if (resource_type == "Subscription") return std::make_unique<SubscriptionDecoder>();
  if (resource_type == "OperationOutcome") return std::make_unique<OperationOutcomeDecoder>();
  if (resource_type == "ConceptMap") return std::make_unique<ConceptMapDecoder>();
  return std::make_unique<OtherResourceDecoder>(resource_type);
}

}  // namespace gg::fhir::json_detail
