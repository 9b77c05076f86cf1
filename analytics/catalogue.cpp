#include "analytics/catalogue.hpp"

#include <algorithm>
#include <set>

#include "analytics/unit_conversion.hpp"

namespace gg::analytics {

Catalogue::Catalogue(std::vector<Analyte> analytes) : analytes_(std::move(analytes)) {
  for (std::size_t a = 0; a < analytes_.size(); ++a) {
    for (std::size_t c = 0; c < analytes_[a].loinc.size(); ++c) {
      by_loinc_.try_emplace(analytes_[a].loinc[c].code, a, c);
    }
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

std::vector<std::string> Catalogue::loinc_codes() const {
  std::vector<std::string> codes;
  codes.reserve(by_loinc_.size());
  for (const auto& entry : by_loinc_) codes.push_back(entry.first);
  return codes;  // std::map keeps them sorted
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
  for (auto it = number.rbegin(); it != number.rend(); ++it) {
    int digit = *it - '0';
    if (doubled) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    doubled = !doubled;
  }
  return (10 - sum % 10) % 10 == check - '0';
}

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

    std::optional<double> molar_mass;
    if (analyte.molar_mass) {
      if (!(analyte.molar_mass->g_per_mol > 0)) {
        problems.push_back({at + ".molar_mass.g_per_mol", "a molar mass must be positive"});
      } else {
        molar_mass = analyte.molar_mass->g_per_mol;
      }
      if (analyte.molar_mass->source.empty()) {
        problems.push_back({at + ".molar_mass.source", "a molar mass needs a cited source"});
      }
    }

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
      // A mass-concentration code with a molar canonical unit (or the reverse) converts through the molar mass.
      if (canonical.unit && !molar_mass) {
        const bool canonical_is_mass = canonical.unit->dimension == Dimension{.mass = 1, .length = -3};
        const bool canonical_is_substance = canonical.unit->dimension == Dimension{.amount = 1, .length = -3};
        if ((code.property == LoincProperty::mass_concentration && canonical_is_substance) ||
            (code.property == LoincProperty::substance_concentration && canonical_is_mass)) {
          problems.push_back({code_at + ".property",
                              "results under this code need the analyte's molar mass to "
                              "reach " +
                                  analyte.canonical_unit + ", and none is given"});
        }
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
      const auto converted = convert(1.0, *parsed.unit, analyte.canonical_unit, molar_mass);
      if (!converted.ok()) {
        problems.push_back({unit_at, "accepted unit '" + analyte.accepted_units[u] + "' cannot be converted to " +
                                         analyte.canonical_unit + ": " + converted.rejection->message});
      }
    }
  }
  return problems;
}

std::string_view to_string(Specimen specimen) {
  switch (specimen) {
    case Specimen::serum_plasma:
      return "serum-plasma";
    case Specimen::saliva:
      return "saliva";
    case Specimen::urine:
      return "urine";
  }
  return "serum-plasma";
}

std::string_view to_string(LoincProperty property) {
  return property == LoincProperty::mass_concentration ? "MCnc" : "SCnc";
}

std::optional<Specimen> specimen_from_string(std::string_view text) {
  if (text == "serum-plasma") return Specimen::serum_plasma;
  if (text == "saliva") return Specimen::saliva;
  if (text == "urine") return Specimen::urine;
  return std::nullopt;
}

std::optional<LoincProperty> loinc_property_from_string(std::string_view text) {
  if (text == "MCnc") return LoincProperty::mass_concentration;
  if (text == "SCnc") return LoincProperty::substance_concentration;
  return std::nullopt;
}

}  // namespace gg::analytics
