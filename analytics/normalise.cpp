#include "analytics/normalise.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace gg::analytics {
namespace {

std::optional<ResultStatus> usable_status(std::string_view status) {
  if (status == "preliminary") return ResultStatus::preliminary;
  if (status == "final") return ResultStatus::final;
  if (status == "amended") return ResultStatus::amended;
  if (status == "corrected") return ResultStatus::corrected;
  return std::nullopt;
}

RejectionReason from_unit_rejection(UnitRejection::Reason reason) {
  switch (reason) {
    case UnitRejection::Reason::missing_value:
      return RejectionReason::missing_value;
    case UnitRejection::Reason::missing_unit:
      return RejectionReason::missing_unit;
    case UnitRejection::Reason::unknown_unit:
      return RejectionReason::unknown_unit;
    case UnitRejection::Reason::incompatible_dimension:
      return RejectionReason::incompatible_unit;
    case UnitRejection::Reason::no_molar_mass:
      return RejectionReason::no_molar_mass;
  }
  return RejectionReason::unknown_unit;
}

struct CodeMatch {
  std::optional<Catalogue::LoincMatch> match;
  bool conflicting = false;
};

CodeMatch match_loinc(const fhir::CodeableConcept& code, const Catalogue& catalogue) {
  CodeMatch result;
  for (const auto& coding : code.coding) {
    if (coding.system != kLoincSystem) continue;
    const auto match = catalogue.find_loinc(coding.code);
    if (!match) continue;
    if (!result.match) {
      result.match = match;
    } else if (result.match->analyte != match->analyte || result.match->code->specimen != match->code->specimen) {
      result.conflicting = true;
    }
  }
  return result;
}

// Reads the value into the analyte's canonical unit, adding an issue for every problem.
std::optional<UcumValue> read_value(const fhir::Observation& observation, const Analyte& analyte,
                                    std::vector<RejectionIssue>& issues) {
  if (!observation.value_quantity) {
    if (observation.data_absent_reason) {
      issues.push_back({RejectionReason::data_absent, "the result is absent (dataAbsentReason)",
                        "Observation.dataAbsentReason"});
    } else {
      issues.push_back(
          {RejectionReason::missing_value, "a hormone result needs a valueQuantity", "Observation.value[x]"});
    }
    return std::nullopt;
  }
  const fhir::Quantity& quantity = *observation.value_quantity;
  const std::string at = "Observation.valueQuantity.";
  bool usable = true;
  if (!quantity.value) {
    issues.push_back({RejectionReason::missing_value, "the valueQuantity has no value", at + "value"});
    usable = false;
  } else if (!std::isfinite(*quantity.value) || *quantity.value < 0) {
    issues.push_back(
        {RejectionReason::invalid_value, "a concentration must be a finite number, zero or more", at + "value"});
    usable = false;
  }
  const auto unit = read_quantity_unit(quantity);
  if (!unit.unit) {
    issues.push_back(
        {from_unit_rejection(unit.rejection->reason), unit.rejection->message, at + unit.rejection->element});
    return std::nullopt;
  }
  const std::optional<double> molar_mass =
      analyte.molar_mass ? std::optional<double>(analyte.molar_mass->g_per_mol) : std::nullopt;
  const auto converted = convert(usable ? *quantity.value : 0.0, *unit.unit, analyte.canonical_unit, molar_mass);
  const std::string unit_element = at + unit.element;
  if (!converted.ok()) {
    issues.push_back(
        {from_unit_rejection(converted.rejection->reason),
         "unit " + quoted_unit(unit.text) + " for " + analyte.display + ": " + converted.rejection->message,
         unit_element});
    return std::nullopt;
  }
  if (!analyte.accepted_units.empty()) {
    const bool accepted = std::any_of(analyte.accepted_units.begin(), analyte.accepted_units.end(),
                                      [&](const std::string& accepted_unit) {
                                        const auto parsed = parse_unit(accepted_unit, UnitDialect::ucum);
                                        return parsed.unit && same_unit(*parsed.unit, *unit.unit);
                                      });
    if (!accepted) {
      issues.push_back(
          {RejectionReason::unit_not_accepted,
           "unit " + quoted_unit(unit.text) + " is not among the units accepted for " + analyte.display,
           unit_element});
      return std::nullopt;
    }
  }
  if (!usable) return std::nullopt;
  return converted.value;
}

std::optional<EffectiveTime> read_time(const fhir::Observation& observation, std::vector<RejectionIssue>& issues) {
  // FHIR R4 Observation: effective[x] is the clinically relevant time (for a specimen, its collection); issued is
  // when the result was released, used only when nothing better is given.
  std::string_view text;
  TimeSource source = TimeSource::effective_date_time;
  std::string element;
  if (!observation.effective_date_time.empty()) {
    text = observation.effective_date_time;
    element = "Observation.effectiveDateTime";
  } else if (observation.effective_period && !observation.effective_period->start.empty()) {
    text = observation.effective_period->start;
    source = TimeSource::effective_period_start;
    element = "Observation.effectivePeriod.start";
  } else if (!observation.issued.empty()) {
    text = observation.issued;
    source = TimeSource::issued;
    element = "Observation.issued";
  } else {
    issues.push_back({RejectionReason::missing_effective_time,
                      "no effectiveDateTime, effectivePeriod.start or issued", "Observation.effective[x]"});
    return std::nullopt;
  }
  const auto parsed = parse_fhir_date_time(text);
  switch (parsed.error) {
    case DateTimeParse::Error::none:
      return EffectiveTime{*parsed.instant, std::string(text), source};
    case DateTimeParse::Error::no_time_of_day:
      issues.push_back({RejectionReason::imprecise_effective_time,
                        "the time is a date without a time of day, too coarse to pair", element});
      break;
    case DateTimeParse::Error::no_time_zone:
      issues.push_back({RejectionReason::invalid_effective_time, "a time of day needs a time zone", element});
      break;
    case DateTimeParse::Error::malformed:
      issues.push_back({RejectionReason::invalid_effective_time, "not a FHIR dateTime", element});
      break;
  }
  return std::nullopt;
}

}  // namespace

Normalised normalise(const fhir::Observation& observation, const Catalogue& catalogue) {
  const std::string reference = observation.id.empty() ? std::string() : "Observation/" + observation.id;
  const auto code = match_loinc(observation.code, catalogue);
  if (!code.match) return NotHormone{};
  const Analyte& analyte = *code.match->analyte;
  if (code.conflicting) {
    return Rejected{reference,
                    observation.meta.version_id,
                    {},
                    {{RejectionReason::conflicting_codes, "LOINC codings name different analytes or specimens",
                      "Observation.code"}}};
  }
  const std::string subject = relative_reference(observation.subject.reference);
  if (observation.status == "cancelled" || observation.status == "entered-in-error") {
    return Excluded{reference, observation.meta.version_id, subject, analyte.id, observation.status};
  }

  std::vector<RejectionIssue> issues;
  const auto status = usable_status(observation.status);
  if (!status) {
    issues.push_back({RejectionReason::status_unusable,
                      observation.status.empty() ? std::string("the Observation has no status")
                                                 : "status '" + observation.status + "' carries no usable result",
                      "Observation.status"});
  }
  auto value = read_value(observation, analyte, issues);
  auto effective = read_time(observation, issues);
  if (!issues.empty()) return Rejected{reference, observation.meta.version_id, analyte.id, std::move(issues)};

  Measurement measurement;
  measurement.reference = reference;
  measurement.version_id = observation.meta.version_id;
  measurement.subject = subject;
  measurement.analyte_id = analyte.id;
  measurement.loinc_code = code.match->code->code;
  measurement.specimen = code.match->code->specimen;
  measurement.value = std::move(*value);
  measurement.comparator = observation.value_quantity->comparator;
  measurement.effective = std::move(*effective);
  measurement.status = *status;
  return measurement;
}

std::string_view to_string(RejectionReason reason) {
  switch (reason) {
    case RejectionReason::conflicting_codes:
      return "conflicting-codes";
    case RejectionReason::status_unusable:
      return "status-unusable";
    case RejectionReason::missing_value:
      return "missing-value";
    case RejectionReason::data_absent:
      return "data-absent";
    case RejectionReason::missing_unit:
      return "missing-unit";
    case RejectionReason::unknown_unit:
      return "unknown-unit";
    case RejectionReason::incompatible_unit:
      return "incompatible-unit";
    case RejectionReason::no_molar_mass:
      return "no-molar-mass";
    case RejectionReason::unit_not_accepted:
      return "unit-not-accepted";
    case RejectionReason::invalid_value:
      return "invalid-value";
    case RejectionReason::missing_effective_time:
      return "missing-effective-time";
    case RejectionReason::imprecise_effective_time:
      return "imprecise-effective-time";
    case RejectionReason::invalid_effective_time:
      return "invalid-effective-time";
    case RejectionReason::subject_mismatch:
      return "subject-mismatch";
  }
  return "invalid";
}

std::string relative_reference(std::string_view reference) {
  if (reference.starts_with("urn:") || reference.starts_with("#")) return std::string(reference);
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= reference.size()) {
    const auto slash = reference.find('/', start);
    const auto end = slash == std::string_view::npos ? reference.size() : slash;
    if (end > start) segments.push_back(reference.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (segments.size() >= 4 && segments[segments.size() - 2] == "_history") segments.resize(segments.size() - 2);
  if (segments.size() < 2) return std::string(reference);
  return std::string(segments[segments.size() - 2]) + "/" + std::string(segments.back());
}

}  // namespace gg::analytics
