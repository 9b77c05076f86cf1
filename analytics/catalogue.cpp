#include "analytics/catalogue.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "analytics/unit_conversion.hpp"

namespace gg::analytics {
namespace {

// A plausible-range bound in the analyte's canonical unit; nullopt when absent or when it does not convert.
std::optional<double> plausible_bound(const Analyte& analyte, std::optional<double> bound,
                                      const ConversionBridges& bridges) {
  if (!bound) return std::nullopt;
  const auto unit = parse_unit(analyte.plausible_range->unit, UnitDialect::ucum);
  if (!unit.unit) return std::nullopt;
  const auto converted = convert(*bound, *unit.unit, analyte.canonical_unit, bridges);
  if (!converted.ok() || !std::isfinite(converted.value->value)) return std::nullopt;
  return converted.value->value;
}

}  // namespace

Catalogue::Catalogue(std::vector<Analyte> analytes, std::vector<LocalCodeMapping> local_codes)
    : analytes_(std::move(analytes)), local_codes_(std::move(local_codes)) {
  for (std::size_t a = 0; a < analytes_.size(); ++a) {
    for (std::size_t c = 0; c < analytes_[a].loinc.size(); ++c) {
      by_loinc_.try_emplace(analytes_[a].loinc[c].code, a, c);
    }
  }
  for (const auto& analyte : analytes_) {
    AnalyteUnits units{conversion_bridges(analyte), {}, std::nullopt, std::nullopt};
    for (const auto& text : analyte.accepted_units) {
      if (auto parsed = parse_unit(text, UnitDialect::ucum); parsed.unit) units.accepted.push_back(*parsed.unit);
    }
    if (analyte.plausible_range) {
      units.plausible_low = plausible_bound(analyte, analyte.plausible_range->low, units.bridges);
      units.plausible_high = plausible_bound(analyte, analyte.plausible_range->high, units.bridges);
    }
    units_.push_back(std::move(units));
  }
  for (std::size_t m = 0; m < local_codes_.size(); ++m) {
    by_local_.try_emplace({local_codes_[m].system, local_codes_[m].code}, m);
  }
}

const Analyte* Catalogue::find(std::string_view analyte_id) const {
  const auto it = std::find_if(analytes_.begin(), analytes_.end(),
                               [&](const Analyte& analyte) { return analyte.id == analyte_id; });
  return it == analytes_.end() ? nullptr : &*it;
}

std::optional<Catalogue::LoincMatch> Catalogue::find_loinc(std::string_view code) const {
  const auto it = by_loinc_.find(code);
  if (it == by_loinc_.end()) return std::nullopt;
  const auto& analyte = analytes_[it->second.first];
  return LoincMatch{&analyte, &analyte.loinc[it->second.second]};
}

std::optional<Catalogue::LoincMatch> Catalogue::find_local(std::string_view system, std::string_view code) const {
  const auto it = by_local_.find(std::pair<std::string_view, std::string_view>(system, code));
  if (it == by_local_.end()) return std::nullopt;
  const LocalCodeMapping& mapping = local_codes_[it->second];
  auto match = find_loinc(mapping.loinc_code);
  if (match) match->via = &mapping;
  return match;
}

std::vector<std::pair<std::string, std::string>> Catalogue::mapped_local_codes() const {
  std::vector<std::pair<std::string, std::string>> codes;
  for (const auto& [key, index] : by_local_) {
    if (by_loinc_.contains(local_codes_[index].loinc_code)) codes.push_back(key);
  }
  return codes;  // std::map keeps them sorted
}

ConversionBridges conversion_bridges(const Analyte& analyte) {
  ConversionBridges bridges;
  if (analyte.molar_mass && analyte.molar_mass->g_per_mol > 0)
    bridges.molar_mass_g_per_mol = analyte.molar_mass->g_per_mol;
  if (analyte.iu_equivalent && analyte.iu_equivalent->quantity > 0) {
    const auto unit = parse_unit(analyte.iu_equivalent->unit, UnitDialect::ucum);
    if (unit.unit &&
        (unit.unit->dimension == Dimension{.mass = 1} || unit.unit->dimension == Dimension{.amount = 1})) {
      bridges.per_international_unit =
          UnitOfMeasure{analyte.iu_equivalent->quantity * unit.unit->factor, unit.unit->dimension};
    }
  }
  return bridges;
}

std::vector<std::string> Catalogue::loinc_codes() const {
  std::vector<std::string> codes;
  codes.reserve(by_loinc_.size());
  for (const auto& entry : by_loinc_) codes.push_back(entry.first);
  std::sort(codes.begin(), codes.end());
  return codes;
}

bool loinc_check_digit_valid(std::string_view code) {
  const auto dash = code.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 7 || dash + 2 != code.size()) return false;
  const std::string_view number = code.substr(0, dash);
  const char check = code.back();
  if (check < '0' || check > '9') return false;
  if (number.find_first_not_of("0123456789") != std::string_view::npos) return false;
  // Luhn: from the right, double every other digit starting with the rightmost, sum the digits of the products and
  // the untouched digits; the check digit brings the sum to a multiple of ten.
  int sum = 0;
  bool doubled = true;
  for (std::size_t i = number.size(); i-- > 0;) {
    int digit = number[i] - '0';
    if (doubled) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    doubled = !doubled;
  }
  return (10 - sum % 10) % 10 == check - '0';
}

namespace {

// Problems of one plausible range, with paths relative to it (".low", ".unit", ...).
std::vector<KnowledgeProblem> validate_plausible_range(const PlausibleRange& range, const Analyte& analyte,
                                                       const ConversionBridges& bridges, bool canonical_parses) {
  std::vector<KnowledgeProblem> problems;
  if (!range.low && !range.high) problems.push_back({"", "a plausible range needs a low or a high bound"});
  for (const auto& [bound, name] : {std::pair{range.low, ".low"}, std::pair{range.high, ".high"}}) {
    if (bound && !(std::isfinite(*bound) && *bound > 0)) {
      problems.push_back({name, "a bound must be a finite number above zero"});
    }
  }
  if (range.low && range.high && !(*range.low < *range.high)) {
    problems.push_back({".high", "the high bound must be above the low bound"});
  }
  if (range.source.empty()) problems.push_back({".source", "a plausible range needs a cited source"});
  const auto unit = parse_unit(range.unit, UnitDialect::ucum);
  if (!unit.unit) {
    problems.push_back({".unit", "the unit is not UCUM: " + unit.error});
  } else if (canonical_parses) {
    const auto reached = convert(1.0, *unit.unit, analyte.canonical_unit, bridges);
    if (!reached.ok()) {
      problems.push_back({".unit", "'" + range.unit + "' cannot be converted to " + analyte.canonical_unit + ": " +
                                       reached.rejection->message});
    }
  }
  return problems;
}

}  // namespace

std::vector<KnowledgeProblem> validate_catalogue(std::span<const Analyte> analytes) {
  std::vector<KnowledgeProblem> problems;
  std::set<std::string, std::less<>> ids;
  std::set<std::string, std::less<>> codes;
  for (std::size_t a = 0; a < analytes.size(); ++a) {
    const Analyte& analyte = analytes[a];
    const std::string at = "analytes[" + std::to_string(a) + "]";
    if (analyte.id.empty()) {
      problems.push_back({at + ".id", "an analyte needs an id"});
    } else if (!ids.insert(analyte.id).second) {
      problems.push_back({at + ".id", "duplicate analyte id '" + analyte.id + "'"});
    }
    if (analyte.display.empty()) problems.push_back({at + ".display", "an analyte needs a display name"});

    if (analyte.molar_mass) {
      if (!(analyte.molar_mass->g_per_mol > 0)) {
        problems.push_back({at + ".molar_mass.g_per_mol", "a molar mass must be positive"});
      }
      if (analyte.molar_mass->source.empty()) {
        problems.push_back({at + ".molar_mass.source", "a molar mass needs a cited source"});
      }
    }
    if (analyte.iu_equivalent) {
      const auto& iu = *analyte.iu_equivalent;
      if (!(iu.quantity > 0))
        problems.push_back({at + ".iu_equivalent.quantity", "the quantity must be positive"});
      const auto unit = parse_unit(iu.unit, UnitDialect::ucum);
      if (!unit.unit ||
          (unit.unit->dimension != Dimension{.mass = 1} && unit.unit->dimension != Dimension{.amount = 1})) {
        problems.push_back({at + ".iu_equivalent.unit", "'" + iu.unit + "' is not a UCUM mass or amount unit"});
      }
      if (iu.standard.empty()) {
        problems.push_back({at + ".iu_equivalent.standard", "name the reference standard the unit belongs to"});
      }
      if (iu.source.empty())
        problems.push_back({at + ".iu_equivalent.source", "an equivalence needs a cited source"});
    }
    const ConversionBridges bridges = conversion_bridges(analyte);

    const auto canonical = parse_unit(analyte.canonical_unit, UnitDialect::ucum);
    if (!canonical.unit) {
      problems.push_back({at + ".canonical_unit", "canonical unit is not UCUM: " + canonical.error});
    }

    if (analyte.loinc.empty()) problems.push_back({at + ".loinc", "an analyte needs at least one LOINC code"});
    for (std::size_t c = 0; c < analyte.loinc.size(); ++c) {
      const LoincCode& code = analyte.loinc[c];
      const std::string code_at = at + ".loinc[" + std::to_string(c) + "]";
      if (!loinc_check_digit_valid(code.code)) {
        problems.push_back({code_at + ".code", "'" + code.code + "' is not a LOINC code (format or check digit)"});
      }
      if (!codes.insert(code.code).second) {
        problems.push_back({code_at + ".code", "LOINC code " + code.code + " is listed twice"});
      }
      if (code.long_common_name.empty()) {
        problems.push_back({code_at + ".long_common_name", "a LOINC code needs its long common name"});
      }
      // Results under a code arrive in units of its property; they must reach the canonical unit.
      if (canonical.unit) {
        const auto typical = parse_unit(typical_unit(code.property), UnitDialect::ucum);
        const auto reached = convert(1.0, *typical.unit, analyte.canonical_unit, bridges);
        if (!reached.ok()) {
          problems.push_back({code_at + ".property",
                              "results of property " + std::string(to_string(code.property)) + " cannot reach " +
                                  analyte.canonical_unit + ": " + reached.rejection->message});
        }
      }
    }

    for (std::size_t u = 0; u < analyte.unit_aliases.size(); ++u) {
      const auto& alias = analyte.unit_aliases[u];
      const std::string alias_at = at + ".unit_aliases[" + std::to_string(u) + "]";
      const auto parsed = parse_unit(alias.ucum, UnitDialect::ucum);
      if (alias.text.empty()) problems.push_back({alias_at, "an alias needs the text labs send"});
      if (!parsed.unit) problems.push_back({alias_at, "alias target is not UCUM: " + parsed.error});
    }

    if (analyte.plausible_range) {
      const auto range_problems =
          validate_plausible_range(*analyte.plausible_range, analyte, bridges, canonical.unit.has_value());
      for (auto problem : range_problems) {
        problem.path = at + ".plausible_range" + problem.path;
        problems.push_back(std::move(problem));
      }
    }

    for (std::size_t u = 0; u < analyte.accepted_units.size(); ++u) {
      const std::string unit_at = at + ".accepted_units[" + std::to_string(u) + "]";
      const auto parsed = parse_unit(analyte.accepted_units[u], UnitDialect::ucum);
      if (!parsed.unit) {
        problems.push_back({unit_at, "accepted unit is not UCUM: " + parsed.error});
        continue;
      }
      if (!canonical.unit) continue;
      const auto converted = convert(1.0, *parsed.unit, analyte.canonical_unit, bridges);
      if (!converted.ok()) {
        problems.push_back({unit_at, "accepted unit '" + analyte.accepted_units[u] + "' cannot be converted to " +
                                         analyte.canonical_unit + ": " + converted.rejection->message});
      }
    }
  }
  return problems;
}

std::vector<KnowledgeProblem> validate_local_codes(std::span<const LocalCodeMapping> mappings) {
  std::vector<KnowledgeProblem> problems;
  std::map<std::pair<std::string, std::string>, std::string> seen;
  for (const auto& mapping : mappings) {
    const std::string at = mapping.concept_map + " " + mapping.system + "|" + mapping.code;
    if (mapping.system.empty() || mapping.code.empty() || mapping.loinc_code.empty()) {
      problems.push_back({at, "a mapping needs a source system, a source code and a LOINC target"});
      continue;
    }
    const auto [it, inserted] = seen.try_emplace({mapping.system, mapping.code}, mapping.loinc_code);
    if (!inserted && it->second != mapping.loinc_code) {
      problems.push_back({at, "mapped to both LOINC " + it->second + " and " + mapping.loinc_code});
    }
  }
  return problems;
}

std::string_view to_string(Specimen specimen) {
  return text_of(kSpecimenText, specimen);
}

std::string_view to_string(LoincProperty property) {
  return text_of(kLoincPropertyText, property);
}

std::string_view typical_unit(LoincProperty property) {
  for (const auto& entry : kLoincPropertyText) {
    if (entry.value == property) return entry.typical_unit;
  }
  return {};
}

std::optional<Specimen> specimen_from_string(std::string_view text) {
  return value_of(kSpecimenText, text);
}

std::optional<LoincProperty> loinc_property_from_string(std::string_view text) {
  return value_of(kLoincPropertyText, text);
}

}  // namespace gg::analytics
