#include "gateway/config/catalogue_loader.hpp"

#include <yaml-cpp/yaml.h>

#include "gateway/config/yaml_reader.hpp"

namespace gg::gateway {
namespace {

// analytes[i].loinc[j]: one LOINC code of the analyte.
const std::initializer_list<std::string_view> kLoincKeys{"code",     "long_common_name", "property",
                                                         "specimen", "timing",           "method"};
analytics::LoincCode read_loinc(YamlReader& reader, const YAML::Node& node, const std::string& path) {
  analytics::LoincCode loinc;
  loinc.code = reader.text(node, "code", path, true).value_or("");
  loinc.long_common_name = reader.text(node, "long_common_name", path, true).value_or("");
  if (auto property = reader.choice(node, "property", path, true, analytics::kLoincPropertyText)) {
    loinc.property = *property;
  }
  if (auto specimen = reader.choice(node, "specimen", path, true, analytics::kSpecimenText)) {
    loinc.specimen = *specimen;
  }
  loinc.timing = reader.text(node, "timing", path, false).value_or("");
  loinc.method = reader.text(node, "method", path, false).value_or("");
  return loinc;
}

// analytes[i] (schema at the top of config/terminology/analytes.yaml).
const std::initializer_list<std::string_view> kAnalyteKeys{"id",           "display",       "canonical_unit",
                                                           "molar_mass",   "iu_equivalent", "accepted_units",
                                                           "unit_aliases", "loinc",         "plausible_range"};
analytics::Analyte read_analyte(YamlReader& reader, const YAML::Node& node, const std::string& path) {
  analytics::Analyte analyte;
  analyte.id = reader.text(node, "id", path, true).value_or("");
  analyte.display = reader.text(node, "display", path, true).value_or("");
  analyte.canonical_unit = reader.text(node, "canonical_unit", path, true).value_or("");
  if (const YAML::Node mass = node["molar_mass"]) {
    if (reader.expect_map(mass, path + ".molar_mass", {"g_per_mol", "source"})) {
      analytics::MolarMass molar;
      molar.g_per_mol = reader.number(mass, "g_per_mol", path + ".molar_mass", true).value_or(0);
      molar.source = reader.text(mass, "source", path + ".molar_mass", true).value_or("");
      analyte.molar_mass = molar;
    }
  }
  if (const YAML::Node iu = node["iu_equivalent"]) {
    const std::string iu_path = path + ".iu_equivalent";
    if (reader.expect_map(iu, iu_path, {"quantity", "unit", "standard", "source"})) {
      analytics::InternationalUnitEquivalent equivalent;
      equivalent.quantity = reader.number(iu, "quantity", iu_path, true).value_or(0);
      equivalent.unit = reader.text(iu, "unit", iu_path, true).value_or("");
      equivalent.standard = reader.text(iu, "standard", iu_path, true).value_or("");
      equivalent.source = reader.text(iu, "source", iu_path, true).value_or("");
      analyte.iu_equivalent = equivalent;
    }
  }
  if (const YAML::Node aliases = node["unit_aliases"]) {
    if (!aliases.IsMap()) {
      reader.problem(aliases, path + ".unit_aliases", "expected a mapping of unit text to UCUM code");
    } else {
      for (const auto& alias : aliases) {
        if (!alias.second.IsScalar()) {
          reader.problem(alias.second, path + ".unit_aliases", "expected a UCUM code");
          continue;
        }
        analyte.unit_aliases.push_back({alias.first.as<std::string>(), alias.second.Scalar()});
      }
    }
  }
  analyte.accepted_units = string_list(reader, node["accepted_units"], path + ".accepted_units");
  if (const YAML::Node range = node["plausible_range"]) {
    // Bounds, unit and source are checked against the analyte by validate_catalogue().
    const std::string range_path = path + ".plausible_range";
    if (reader.expect_map(range, range_path, {"low", "high", "unit", "source"})) {
      analytics::PlausibleRange plausible;
      plausible.low = reader.number(range, "low", range_path, false);
      plausible.high = reader.number(range, "high", range_path, false);
      plausible.unit = reader.text(range, "unit", range_path, true).value_or("");
      plausible.source = reader.text(range, "source", range_path, true).value_or("");
      analyte.plausible_range = std::move(plausible);
    }
  }
  read_each_map(reader, required_list(reader, node, path, "loinc"), path + ".loinc", kLoincKeys, read_loinc,
                analyte.loinc);
  return analyte;
}

}  // namespace

std::vector<analytics::Analyte> read_catalogue(const std::string& file, std::vector<ConfigProblem>& problems) {
  std::vector<analytics::Analyte> analytes;
  auto root = load_versioned_map(file, problems, {"version", "analytes"});
  if (!root) return analytes;
  YamlReader reader(file, problems);
  read_each_map(reader, required_list(reader, *root, "", "analytes"), "analytes", kAnalyteKeys, read_analyte,
                analytes);
  return analytes;
}

}  // namespace gg::gateway
