#include "analytics/normalise.hpp"

#include <algorithm>
#include <array>
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <cmath>
#include <optional>
#include <sstream>

#include "analytics/enum_text.hpp"

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

bool same_measurand(const Catalogue::LoincMatch& a, const Catalogue::LoincMatch& b) {
  return a.analyte == b.analyte && a.code->specimen == b.code->specimen;
}

struct CodeMatch {
  std::optional<Catalogue::LoincMatch> match;
  std::string conflict;  // why the codings disagree; empty when they agree
};

// LOINC first: a known LOINC coding decides. The site's own codings (through its ConceptMaps) decide only when no
// LOINC coding is known, and must agree with it when both are present.
CodeMatch match_codes(const fhir::CodeableConcept& code, const Catalogue& catalogue) {
  // A result has one or two codings: kept inline, so matching allocates nothing.
  boost::container::small_vector<Catalogue::LoincMatch, 2> loinc;
  boost::container::small_vector<Catalogue::LoincMatch, 2> local;
  for (const auto& coding : code.coding) {
    if (coding.system == kLoincSystem) {
      if (auto match = catalogue.find_loinc(coding.code)) loinc.push_back(*match);
    } else if (auto match = catalogue.find_local(coding.system, coding.code)) {
      local.push_back(*match);
    }
  }
  CodeMatch result;
  if (loinc.empty() && local.empty()) return result;
  result.match = loinc.empty() ? local.front() : loinc.front();
  // Every known coding, whatever its order, must name the same measurand as the one that decides.
  for (const auto& other : loinc) {
    if (!same_measurand(*result.match, other)) {
      result.conflict = "LOINC codings name different analytes or specimens";
      return result;
    }
  }
  for (const auto& other : local) {
    if (same_measurand(*result.match, other)) continue;
    result.conflict = loinc.empty() ? "the site's codings map to different analytes or specimens"
                                    : "the site's code " + other.via->system + "|" + other.via->code +
                                          " maps to LOINC " + other.via->loinc_code +
                                          ", another analyte or specimen than LOINC " + result.match->code->code;
    return result;
  }
  return result;
}

// Specimen type codes (SNOMED CT specimen hierarchy; HL7 v2 table 0487) as far as pairing cares.
struct SpecimenCode {
  std::string_view system;
  std::string_view code;
  Specimen specimen;
};
constexpr std::string_view kSnomed = "http://snomed.info/sct";
constexpr std::string_view kV2Specimen = "http://terminology.hl7.org/CodeSystem/v2-0487";
constexpr std::array kSpecimenCodes{
    SpecimenCode{kSnomed, "119364003", Specimen::serum_plasma},  // Serum specimen
    SpecimenCode{kSnomed, "119361006", Specimen::serum_plasma},  // Plasma specimen
    SpecimenCode{kSnomed, "119297000", Specimen::blood},         // Blood specimen
    SpecimenCode{kSnomed, "122555007", Specimen::blood},         // Venous blood specimen
    SpecimenCode{kSnomed, "122554006", Specimen::blood},         // Capillary blood specimen
    SpecimenCode{kSnomed, "119342007", Specimen::saliva},        // Saliva specimen
    SpecimenCode{kSnomed, "122575003", Specimen::urine},         // Urine specimen
    SpecimenCode{kSnomed, "276833005", Specimen::urine},         // 24 hour urine sample
    SpecimenCode{kV2Specimen, "SER", Specimen::serum_plasma},
    SpecimenCode{kV2Specimen, "PLAS", Specimen::serum_plasma},
    SpecimenCode{kV2Specimen, "BLD", Specimen::blood},
    SpecimenCode{kV2Specimen, "SAL", Specimen::saliva},
    SpecimenCode{kV2Specimen, "UR", Specimen::urine},
};

// The specimen type of a contained Specimen the Observation points at ("#id"); nullopt when it cannot be told.
std::optional<Specimen> referenced_specimen(const fhir::Observation& observation) {
  if (!observation.specimen || !observation.specimen->reference.starts_with("#")) return std::nullopt;
  const std::string_view id = std::string_view(observation.specimen->reference).substr(1);
  for (const auto& contained : observation.contained_specimens) {
    if (contained.id != id) continue;
    for (const auto& coding : contained.type.coding) {
      for (const auto& known : kSpecimenCodes) {
        if (known.system == coding.system && known.code == coding.code) return known.specimen;
      }
    }
  }
  return std::nullopt;
}

struct ReadValue {
  UcumValue value;
  std::string comparator;
  ValueSource source = ValueSource::value_quantity;
};

// A valueString such as "<0.5", "> 1000 ng/mL" or "12.5": an optional comparator, a plain decimal, an optional
// unit. Anything else ("negative", "see comment", "1,5") is not read.
struct StringValue {
  std::string comparator;
  double value = 0;
  std::string unit;
};
std::optional<StringValue> parse_value_string(std::string_view text) {
  auto skip_space = [&] {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  };
  skip_space();
  StringValue out;
  for (std::string_view comparator : {"<=", ">=", "<", ">"}) {
    if (text.starts_with(comparator)) {
      out.comparator = std::string(comparator);
      text.remove_prefix(comparator.size());
      break;
    }
  }
  skip_space();
  std::size_t digits = 0;
  bool point = false;
  std::size_t length = 0;
  while (length < text.size()) {
    const char c = text[length];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
    ++length;
  }
  if (digits == 0 || digits > 15) return std::nullopt;
  // "1,5" (a decimal comma) or "1.2.3" is not a number we read; a unit starts after a space or with a letter.
  if (length < text.size() && (text[length] == ',' || text[length] == '.')) return std::nullopt;
  const auto parsed = std::from_chars(text.data(), text.data() + length, out.value);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + length) return std::nullopt;
  text.remove_prefix(length);
  skip_space();
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  out.unit = std::string(text);
  return out;
}

// The unit of a lab's reference range, for a valueString that gives none: the lab's own statement of its unit.
std::optional<fhir::Quantity> reference_range_unit(const fhir::Observation& observation) {
  for (const auto& range : observation.reference_range) {
    for (const auto* bound : {&range.low, &range.high}) {
      if (*bound && (!(*bound)->code.empty() || !(*bound)->unit.empty())) return **bound;
    }
  }
  return std::nullopt;
}

// The element a problem is reported at ("Observation.valueQuantity." and "value"): made into text only when a
// problem is reported, since nearly every result has none.
struct At {
  std::string_view prefix;
  std::string_view name;
  std::string text() const { return std::string(prefix).append(name); }
};

std::optional<UcumValue> to_canonical(double value, const QuantityUnit& unit, const Analyte& analyte,
                                      const Catalogue::AnalyteUnits& units, At element,
                                      std::vector<RejectionIssue>& issues) {
  if (!unit.unit) {
    issues.push_back({from_unit_rejection(unit.rejection->reason), unit.rejection->message, element.text()});
    return std::nullopt;
  }
  const auto converted = convert(value, *unit.unit, analyte.canonical_unit, units.bridges);
  if (!converted.ok()) {
    issues.push_back(
        {from_unit_rejection(converted.rejection->reason),
         "unit " + quoted_unit(unit.text) + " for " + analyte.display + ": " + converted.rejection->message,
         element.text()});
    return std::nullopt;
  }
  if (!analyte.accepted_units.empty()) {
    const bool accepted =
        std::any_of(units.accepted.begin(), units.accepted.end(),
                    [&](const UnitOfMeasure& accepted_unit) { return same_unit(accepted_unit, *unit.unit); });
    if (!accepted) {
      issues.push_back(
          {RejectionReason::unit_not_accepted,
           "unit " + quoted_unit(unit.text) + " is not among the units accepted for " + analyte.display,
           element.text()});
      return std::nullopt;
    }
  }
  return converted.value;
}

bool usable_number(std::optional<double> value, At element, std::vector<RejectionIssue>& issues) {
  if (!value) {
    issues.push_back({RejectionReason::missing_value, "the valueQuantity has no value", element.text()});
    return false;
  }
  // Zero is not a measured value: a result below an assay's measuring range is sent as a bound ("<0.5"). A zero
  // denominator would otherwise leave a ratio out silently.
  if (!std::isfinite(*value) || *value <= 0) {
    issues.push_back({RejectionReason::invalid_value,
                      "a result must be a finite number above zero (below the measuring range it is sent with "
                      "'<')",
                      element.text()});
    return false;
  }
  return true;
}

std::string number_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// The value in the canonical unit must still be a usable number (a conversion can overflow to infinity or
// underflow to zero) and lie within the analyte's plausible range. A bound ("<", ">") is a statement about the
// value: an upper bound below the range is a more sensitive assay's "not detected" and passes; any number above
// the range, bound or not, cannot come from the assays the range cites.
bool plausible(const UcumValue& value, std::string_view comparator, const Analyte& analyte,
               const Catalogue::AnalyteUnits& units, At element, std::vector<RejectionIssue>& issues) {
  if (!std::isfinite(value.value)) {
    issues.push_back({RejectionReason::invalid_value,
                      "the value converted to " + analyte.canonical_unit + " is not a finite number",
                      element.text()});
    return false;
  }
  if (value.value <= 0) {
    issues.push_back({RejectionReason::invalid_value,
                      "the value in " + analyte.canonical_unit +
                          " is not above zero (below the measuring range a result is sent with '<')",
                      element.text()});
    return false;
  }
  if (!analyte.plausible_range) return true;
  const PlausibleRange& range = *analyte.plausible_range;
  const bool upper_bound = comparator == "<" || comparator == "<=";
  // The message's text only for a value that is rejected: most values pass, and formatting costs more than the
  // check.
  const auto limits = [&range] {
    return (range.low && range.high ? number_text(*range.low) + " to " + number_text(*range.high)
            : range.high            ? "at most " + number_text(*range.high)
                                    : "at least " + number_text(range.low.value_or(0))) +
           " " + range.unit + ", a measuring range cited in config/terminology/analytes.yaml";
  };
  if (units.plausible_high && value.value > *units.plausible_high) {
    issues.push_back({RejectionReason::implausible_value,
                      "above the plausible range for " + analyte.display + " (" + limits() +
                          "): a typing, unit or transmission error, or a dilution beyond that range",
                      element.text()});
    return false;
  }
  if (units.plausible_low && !upper_bound && value.value < *units.plausible_low) {
    issues.push_back({RejectionReason::implausible_value,
                      "below the plausible range for " + analyte.display + " (" + limits() +
                          "): a result below the measuring range is sent with '<'",
                      element.text()});
    return false;
  }
  return true;
}

// Reads the value (valueQuantity, else valueString) into the analyte's canonical unit, adding an issue for every
// problem.
std::optional<ReadValue> read_value(const fhir::Observation& observation, const Analyte& analyte,
                                    const Catalogue::AnalyteUnits& units, std::vector<RejectionIssue>& issues) {
  if (observation.value_quantity) {
    const fhir::Quantity& quantity = *observation.value_quantity;
    constexpr std::string_view at = "Observation.valueQuantity.";
    const bool usable = usable_number(quantity.value, {at, "value"}, issues);
    const auto unit = read_quantity_unit(quantity, analyte.unit_aliases);
    auto value = to_canonical(usable ? *quantity.value : 0.0, unit, analyte, units, {at, unit.element}, issues);
    if (!usable || !value) return std::nullopt;
    if (!plausible(*value, quantity.comparator, analyte, units, {at, "value"}, issues)) return std::nullopt;
    return ReadValue{std::move(*value), quantity.comparator, ValueSource::value_quantity};
  }
  if (!observation.value_string.empty()) {
    constexpr std::string_view at = "Observation.valueString";
    const auto parsed = parse_value_string(observation.value_string);
    if (!parsed) {
      issues.push_back({RejectionReason::unreadable_value,
                        "the valueString is not a number with an optional comparator and unit", std::string(at)});
      return std::nullopt;
    }
    QuantityUnit unit;
    At element{at, ""};
    if (!parsed->unit.empty()) {
      unit = read_unit_text(parsed->unit, analyte.unit_aliases);
    } else if (auto lab_unit = reference_range_unit(observation)) {
      unit = read_quantity_unit(*lab_unit, analyte.unit_aliases);
      element = {"Observation.referenceRange", ""};
    } else {
      issues.push_back({RejectionReason::missing_unit,
                        "the valueString has no unit and the reference range gives none", std::string(at)});
      return std::nullopt;
    }
    auto value = to_canonical(parsed->value, unit, analyte, units, element, issues);
    if (!value) return std::nullopt;
    if (!plausible(*value, parsed->comparator, analyte, units, {at, ""}, issues)) return std::nullopt;
    return ReadValue{std::move(*value), parsed->comparator, ValueSource::value_string};
  }
  issues.push_back({RejectionReason::missing_value, "a hormone result needs a valueQuantity or a valueString",
                    "Observation.value[x]"});
  return std::nullopt;
}

// The lab's first reference range with a bound, in the canonical unit; nullopt when there is none or its units
// cannot be read (it is informative only, so that is not a rejection).
std::optional<LabReferenceRange> read_reference_range(const fhir::Observation& observation, const Analyte& analyte,
                                                      const Catalogue::AnalyteUnits& units) {
  for (const auto& range : observation.reference_range) {
    LabReferenceRange out;
    out.text = range.text;
    bool readable = true;
    auto convert_bound = [&](const std::optional<fhir::Quantity>& bound, std::optional<double>& into) {
      if (!bound || !bound->value) return;
      const auto unit = read_quantity_unit(*bound, analyte.unit_aliases);
      const auto converted = unit.unit ? convert(*bound->value, *unit.unit, analyte.canonical_unit, units.bridges)
                                       : ConversionResult{};
      if (converted.ok() && std::isfinite(converted.value->value)) {
        into = converted.value->value;
      } else {
        readable = false;
      }
    };
    convert_bound(range.low, out.low);
    convert_bound(range.high, out.high);
    if (readable && (out.low || out.high || !out.text.empty())) return out;
  }
  return std::nullopt;
}

std::vector<std::string> interpretation_codes(const fhir::Observation& observation) {
  std::vector<std::string> codes;
  for (const auto& interpretation : observation.interpretation) {
    for (const auto& coding : interpretation.coding) {
      if (!coding.code.empty()) codes.push_back(coding.code);
    }
  }
  return codes;
}

// Writes the result's time into `out` (its text's memory reused), or an issue when there is none usable.
void read_time(const fhir::Observation& observation, std::vector<RejectionIssue>& issues, EffectiveTime& out) {
  // FHIR R4 Observation: effective[x] is the clinically relevant time (for a specimen, its collection); issued is
  // when the result was released, used only when nothing better is given.
  std::string_view text;
  TimeSource source = TimeSource::effective_date_time;
  std::string_view element;  // named only in a rejection: no string made for every result
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
    return;
  }
  const auto parsed = parse_fhir_date_time(text);
  switch (parsed.error) {
    case DateTimeParse::Error::none:
      out.instant = *parsed.instant;
      out.text.assign(text);
      out.source = source;
      return;
    case DateTimeParse::Error::no_time_of_day:
      issues.push_back({RejectionReason::imprecise_effective_time,
                        "the time is a date without a time of day, too coarse to pair", std::string(element)});
      break;
    case DateTimeParse::Error::no_time_zone:
      issues.push_back(
          {RejectionReason::invalid_effective_time, "a time of day needs a time zone", std::string(element)});
      break;
    case DateTimeParse::Error::malformed:
      issues.push_back({RejectionReason::invalid_effective_time, "not a FHIR dateTime", std::string(element)});
      break;
  }
}

// The components that state a time, whatever their code: which code means what is a rule's setting, not the
// decoder's (rhythm_rules.hpp reads the waking time from them).
std::vector<TimeComponent> time_components(const fhir::Observation& observation) {
  std::vector<TimeComponent> components;
  for (const auto& component : observation.component) {
    if (component.value_date_time.empty() && component.value_time.empty()) continue;
    components.push_back({component.code.coding, component.value_date_time, component.value_time});
  }
  return components;
}

std::string data_absent_code(const fhir::CodeableConcept& reason) {
  for (const auto& coding : reason.coding) {
    if (!coding.code.empty()) return coding.code;
  }
  return "unknown";
}

// The rest of the Measurement of a result that passed every check, written where the caller keeps it
// (normalise_into; its reference, subject and time are written there already): assigned element by element, so the
// strings of a Measurement reused from an earlier result keep their memory.
void measured(const fhir::Observation& observation, const Catalogue::LoincMatch& match, ReadValue&& value,
              ResultStatus status, Measurement& measurement) {
  measurement.version_id = observation.meta.version_id;
  measurement.analyte_id = match.analyte->id;
  measurement.loinc_code = match.code->code;
  measurement.local_code.clear();
  if (match.via != nullptr) measurement.local_code.append(match.via->system).append("|").append(match.via->code);
  measurement.specimen = match.code->specimen;
  measurement.timing = match.code->timing;
  measurement.method = match.code->method;
  measurement.value = std::move(value.value);
  measurement.comparator = std::move(value.comparator);
  measurement.value_source = value.source;
  measurement.status = status;
  measurement.time_components = time_components(observation);
}

}  // namespace

NormalisedInto normalise_into(const fhir::Observation& observation, const Catalogue& catalogue,
                              Measurement& measurement) {
  // The reference, the subject and the time are written where the Measurement keeps them (a reused one keeps their
  // memory), and copied from there for any other outcome.
  std::string& reference = measurement.reference;
  reference.clear();
  if (!observation.id.empty()) reference.append("Observation/").append(observation.id);
  const auto code = match_codes(observation.code, catalogue);
  if (!code.match) return NotHormone{};
  const Analyte& analyte = *code.match->analyte;
  if (!code.conflict.empty()) {
    return Rejected{reference,
                    observation.meta.version_id,
                    {},
                    {{RejectionReason::conflicting_codes, code.conflict, "Observation.code"}}};
  }
  std::string& subject = measurement.subject;
  relative_reference_into(observation.subject.reference, subject);
  // Results that by their own account carry no value: nothing to compute, earlier output is superseded.
  if (observation.status == "cancelled" || observation.status == "entered-in-error" ||
      observation.status == "registered") {
    return Excluded{reference, observation.meta.version_id, subject, analyte.id, observation.status, {}};
  }
  if (observation.data_absent_reason && !observation.value_quantity && observation.value_string.empty()) {
    return Excluded{reference,     observation.meta.version_id,
                    subject,       analyte.id,
                    "data-absent", data_absent_code(*observation.data_absent_reason)};
  }

  std::vector<RejectionIssue> issues;
  const auto status = usable_status(observation.status);
  if (!status) {
    issues.push_back({RejectionReason::status_unusable,
                      observation.status.empty() ? std::string("the Observation has no status")
                                                 : "status '" + observation.status + "' carries no usable result",
                      "Observation.status"});
  }
  const Specimen specimen = code.match->code->specimen;
  if (const auto declared = referenced_specimen(observation); declared && *declared != specimen) {
    issues.push_back({RejectionReason::specimen_conflict,
                      "the specimen is " + std::string(to_string(*declared)) + ", the code " +
                          code.match->code->code + " is for " + std::string(to_string(specimen)),
                      "Observation.specimen"});
  }
  const auto& units = catalogue.units(analyte);
  auto value = read_value(observation, analyte, units, issues);
  read_time(observation, issues, measurement.effective);
  if (!issues.empty()) return Rejected{reference, observation.meta.version_id, analyte.id, std::move(issues)};

  measured(observation, *code.match, std::move(*value), *status, measurement);
  return Measured{};
}

Normalised normalise(const fhir::Observation& observation, const Catalogue& catalogue) {
  Measurement measurement;
  return std::visit(
      [&](auto&& outcome) -> Normalised {
        if constexpr (std::is_same_v<std::decay_t<decltype(outcome)>, Measured>) {
          return std::move(measurement);
        } else {
          return std::forward<decltype(outcome)>(outcome);
        }
      },
      normalise_into(observation, catalogue, measurement));
}

LabReport lab_report(const fhir::Observation& observation, const Measurement& measurement,
                     const Catalogue& catalogue) {
  LabReport report;
  report.interpretation = interpretation_codes(observation);
  if (const Analyte* analyte = catalogue.find(measurement.analyte_id)) {
    report.reference_range = read_reference_range(observation, *analyte, catalogue.units(*analyte));
  }
  return report;
}

namespace {

constexpr std::array<EnumText<RejectionReason>, 17> kRejectionReasonText{{
    {RejectionReason::conflicting_codes, "conflicting-codes"},
    {RejectionReason::specimen_conflict, "specimen-conflict"},
    {RejectionReason::status_unusable, "status-unusable"},
    {RejectionReason::missing_value, "missing-value"},
    {RejectionReason::unreadable_value, "unreadable-value"},
    {RejectionReason::missing_unit, "missing-unit"},
    {RejectionReason::unknown_unit, "unknown-unit"},
    {RejectionReason::incompatible_unit, "incompatible-unit"},
    {RejectionReason::no_molar_mass, "no-molar-mass"},
    {RejectionReason::unit_not_accepted, "unit-not-accepted"},
    {RejectionReason::invalid_value, "invalid-value"},
    {RejectionReason::implausible_value, "implausible-value"},
    {RejectionReason::missing_effective_time, "missing-effective-time"},
    {RejectionReason::imprecise_effective_time, "imprecise-effective-time"},
    {RejectionReason::invalid_effective_time, "invalid-effective-time"},
    {RejectionReason::subject_mismatch, "subject-mismatch"},
    {RejectionReason::non_finite_gradient, "non-finite-gradient"},
}};

}  // namespace

std::string_view to_string(RejectionReason reason) {
  return text_of(kRejectionReasonText, reason);
}

void relative_reference_into(std::string_view reference, std::string& out) {
  if (reference.starts_with("urn:") || reference.starts_with("#")) {
    out.assign(reference);
    return;
  }
  // Nearly always "Type/id" already: one slash, between two non-empty segments.
  const auto slash = reference.find('/');
  if (slash != std::string_view::npos && slash > 0 && slash + 1 < reference.size() &&
      reference.find('/', slash + 1) == std::string_view::npos) {
    out.assign(reference);
    return;
  }
  // The non-empty segments between slashes: how many, and the last four (all that is looked at).
  std::array<std::string_view, 4> last{};
  std::size_t count = 0;
  std::size_t start = 0;
  while (start <= reference.size()) {
    const auto slash = reference.find('/', start);
    const auto end = slash == std::string_view::npos ? reference.size() : slash;
    if (end > start) last[count++ % last.size()] = reference.substr(start, end - start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  // from_end(1) is the last segment.
  const auto from_end = [&](std::size_t k) { return last[(count - k) % last.size()]; };
  std::size_t kept = count;
  if (count >= 4 && from_end(2) == "_history") kept = count - 2;
  if (kept < 2) {
    out.assign(reference);
    return;
  }
  const std::size_t skip = count - kept;
  const std::string_view type = from_end(skip + 2);
  const std::string_view id = from_end(skip + 1);
  out.clear();
  out.append(type).append("/").append(id);
}

std::string relative_reference(std::string_view reference) {
  std::string out;
  relative_reference_into(reference, out);
  return out;
}

}  // namespace gg::analytics
