#include "gateway/medication_loader.hpp"

#include <filesystem>
#include <set>

#include "gateway/yaml_reader.hpp"

namespace gg::gateway {
namespace {

bool valid_id(const std::string& id) {
  return !id.empty() && id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
}

std::optional<analytics::MedicationRoute> read_route(YamlReader& reader, const YAML::Node& node,
                                                     const std::string& path) {
  if (!reader.expect_map(node, path,
                         {"route", "peak_hours", "peak_source", "dosing_interval_hours", "interval_source"})) {
    return std::nullopt;
  }
  analytics::MedicationRoute route;
  const auto name = reader.text(node, "route", path, true);
  if (name) {
    const auto parsed = analytics::route_from_string(*name);
    if (!parsed || *parsed == analytics::Route::topical) {
      reader.problem(
          node["route"], path + ".route",
          "unknown route '" + *name +
              "' (oral | sublingual | intramuscular | subcutaneous | intravenous | transdermal | vaginal)");
    } else {
      route.route = *parsed;
    }
  }
  if (const YAML::Node peak = node["peak_hours"]) {
    const auto values = string_list(reader, peak, path + ".peak_hours");
    std::vector<double> hours;
    for (const auto& value : values) {
      try {
        std::size_t used = 0;
        const double number = std::stod(value, &used);
        if (used == value.size()) hours.push_back(number);
      } catch (const std::exception&) {
      }
    }
    if (hours.size() != 2 || hours.size() != values.size() || hours[0] < 0 || hours[1] < hours[0]) {
      reader.problem(peak, path + ".peak_hours", "expected [from, to] hours with 0 <= from <= to");
    } else {
      route.peak_from_hours = hours[0];
      route.peak_to_hours = hours[1];
    }
    route.peak_source = reader.text(node, "peak_source", path, true).value_or("");
  } else if (node["peak_source"]) {
    reader.problem(node["peak_source"], path + ".peak_source", "a peak_source without peak_hours");
  }
  const auto interval = reader.number(node, "dosing_interval_hours", path, true);
  if (interval && *interval <= 0) {
    reader.problem(node["dosing_interval_hours"], path + ".dosing_interval_hours", "must be greater than 0");
  } else if (interval) {
    route.dosing_interval_hours = *interval;
  }
  route.interval_source = reader.text(node, "interval_source", path, true).value_or("");
  return route;
}

}  // namespace

analytics::MedicationCatalogue read_medications(const std::string& file, const analytics::Catalogue& analytes,
                                                std::vector<ConfigProblem>& problems) {
  analytics::MedicationCatalogue catalogue;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return catalogue;
  auto root = load_yaml(file, problems);
  if (!root) return catalogue;
  YamlReader reader(file, problems);
  if (!reader.expect_map(*root, "", {"version", "local_product_words", "medications"})) return catalogue;
  check_version(reader, *root);
  catalogue.local_product_words = string_list(reader, (*root)["local_product_words"], "local_product_words");
  const YAML::Node list = (*root)["medications"];
  if (!list || !list.IsSequence()) {
    reader.problem(*root, "medications", "required list 'medications' is missing");
    return catalogue;
  }
  std::set<std::string> ids;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node node = list[i];
    const std::string path = "medications[" + std::to_string(i) + "]";
    if (!reader.expect_map(node, path,
                           {"id", "display", "affects", "glucocorticoid", "codes", "names", "routes"})) {
      continue;
    }
    analytics::Medication medication;
    medication.id = reader.text(node, "id", path, true).value_or("");
    if (!medication.id.empty() && !valid_id(medication.id)) {
      reader.problem(node["id"], path + ".id", "expected [a-z0-9-]+");
    } else if (!medication.id.empty() && !ids.insert(medication.id).second) {
      reader.problem(node["id"], path + ".id", "duplicate medication id '" + medication.id + "'");
    }
    medication.display = reader.text(node, "display", path, true).value_or("");
    if (!node["affects"]) reader.problem(node, path + ".affects", "required key 'affects' is missing");
    medication.affects = string_list(reader, node["affects"], path + ".affects");
    for (std::size_t a = 0; a < medication.affects.size(); ++a) {
      if (analytes.find(medication.affects[a]) == nullptr) {
        reader.problem(node["affects"][a], path + ".affects[" + std::to_string(a) + "]",
                       "unknown analyte '" + medication.affects[a] + "' (analytes.yaml)");
      }
    }
    if (const auto flag = reader.text(node, "glucocorticoid", path, false)) {
      if (*flag != "true" && *flag != "false") {
        reader.problem(node["glucocorticoid"], path + ".glucocorticoid", "expected true or false");
      }
      medication.glucocorticoid = *flag == "true";
    }
    if (const YAML::Node codes = node["codes"]) {
      if (!codes.IsSequence()) reader.problem(codes, path + ".codes", "expected a list");
      for (std::size_t c = 0; codes.IsSequence() && c < codes.size(); ++c) {
        const std::string code_path = path + ".codes[" + std::to_string(c) + "]";
        if (!reader.expect_map(codes[c], code_path, {"system", "code"})) continue;
        medication.codes.push_back({reader.text(codes[c], "system", code_path, true).value_or(""),
                                    reader.text(codes[c], "code", code_path, true).value_or("")});
      }
    }
    medication.names = string_list(reader, node["names"], path + ".names");
    const YAML::Node routes = node["routes"];
    if (!routes || !routes.IsSequence() || routes.size() == 0) {
      reader.problem(node, path + ".routes", "required non-empty list 'routes' is missing");
    } else {
      for (std::size_t r = 0; r < routes.size(); ++r) {
        if (auto route = read_route(reader, routes[r], path + ".routes[" + std::to_string(r) + "]")) {
          medication.routes.push_back(std::move(*route));
        }
      }
    }
    catalogue.medications.push_back(std::move(medication));
  }
  return catalogue;
}

}  // namespace gg::gateway
