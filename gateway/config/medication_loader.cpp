#include "gateway/config/medication_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

#include "gateway/config/yaml_reader.hpp"

namespace gg::gateway {
namespace {

bool valid_id(const std::string& id) {
  return !id.empty() && id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
}

// [from, to] hours with 0 <= from <= to; reported at `path` otherwise.
std::optional<std::pair<double, double>> hours_pair(YamlReader& reader, const YAML::Node& node,
                                                    const std::string& path) {
  const auto values = string_list(reader, node, path);
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
    reader.problem(node, path, "expected [from, to] hours with 0 <= from <= to");
    return std::nullopt;
  }
  return std::pair{hours[0], hours[1]};
}

std::optional<analytics::SamplingWindow> read_sampling(YamlReader& reader, const YAML::Node& node,
                                                       const std::string& path) {
  if (!reader.expect_map(node, path, {"at", "hours", "site_tolerance_fraction", "advice", "source"})) {
    return std::nullopt;
  }
  analytics::SamplingWindow sampling;
  if (const auto at = reader.text(node, "at", path, true)) {
    if (const auto parsed = analytics::sampling_time_from_string(*at)) {
      sampling.at = *parsed;
    } else {
      reader.problem(
          node["at"], path + ".at",
          "unknown sampling time '" + *at + "' (" + analytics::alternatives(analytics::kSamplingTimeText) + ")");
      return std::nullopt;
    }
  }
  const bool after_dose = sampling.at == analytics::SamplingTime::after_dose;
  const bool mid_interval = sampling.at == analytics::SamplingTime::mid_interval;
  if (const YAML::Node hours = node["hours"]) {
    if (!after_dose) {
      reader.problem(hours, path + ".hours", "hours belong to an after-dose window only");
    } else if (const auto pair = hours_pair(reader, hours, path + ".hours")) {
      sampling.from_hours = pair->first;
      sampling.to_hours = pair->second;
    }
  } else if (after_dose) {
    reader.problem(node, path + ".hours", "an after-dose window needs hours: [from, to]");
  }
  if (node["site_tolerance_fraction"] && !mid_interval) {
    reader.problem(node["site_tolerance_fraction"], path + ".site_tolerance_fraction",
                   "a tolerance belongs to a mid-interval window only");
  } else if (mid_interval) {
    const auto fraction = reader.number(node, "site_tolerance_fraction", path, true);
    if (fraction && (*fraction <= 0 || *fraction >= 0.5)) {
      reader.problem(node["site_tolerance_fraction"], path + ".site_tolerance_fraction",
                     "expected a fraction of the dosing interval greater than 0 and less than 0.5");
    } else if (fraction) {
      sampling.site_tolerance_fraction = *fraction;
    }
  }
  sampling.advice = reader.text(node, "advice", path, true).value_or("");
  sampling.source = reader.text(node, "source", path, true).value_or("");
  return sampling;
}

// medications[i].routes[j]: how the medication is given on one route.
const std::initializer_list<std::string_view> kRouteKeys{
    "route",       "forms",    "recorded_as",           "peak_hours",
    "peak_source", "sampling", "dosing_interval_hours", "interval_source"};
analytics::MedicationRoute read_route(YamlReader& reader, const YAML::Node& node, const std::string& path) {
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
  route.forms = string_list(reader, node["forms"], path + ".forms");
  const auto recorded_as = string_list(reader, node["recorded_as"], path + ".recorded_as");
  for (std::size_t i = 0; i < recorded_as.size(); ++i) {
    if (const auto parsed = analytics::route_from_string(recorded_as[i])) {
      route.recorded_as.push_back(*parsed);
    } else {
      reader.problem(node["recorded_as"][i], path + ".recorded_as[" + std::to_string(i) + "]",
                     "unknown route '" + recorded_as[i] + "'");
    }
  }
  if (const YAML::Node sampling = node["sampling"])
    route.sampling = read_sampling(reader, sampling, path + ".sampling");
  if (const YAML::Node peak = node["peak_hours"]) {
    if (const auto pair = hours_pair(reader, peak, path + ".peak_hours")) {
      route.peak_from_hours = pair->first;
      route.peak_to_hours = pair->second;
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

// medications[i]; `ids` holds the ids read so far, to report a repeated one.
const std::initializer_list<std::string_view> kMedicationKeys{
    "id",           "display", "affects", "glucocorticoid", "codes", "names", "local_product_words",
    "not_assessed", "routes"};
analytics::Medication read_medication(YamlReader& reader, const YAML::Node& node, const std::string& path,
                                      const analytics::Catalogue& analytes, std::set<std::string>& ids) {
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
  for_each_map(reader, node["codes"], path + ".codes", {"system", "code"},
               [&](const YAML::Node& code, const std::string& code_path) {
                 medication.codes.push_back({reader.text(code, "system", code_path, true).value_or(""),
                                             reader.text(code, "code", code_path, true).value_or("")});
               });
  medication.names = string_list(reader, node["names"], path + ".names");
  medication.local_product_words = string_list(reader, node["local_product_words"], path + ".local_product_words");
  if (const YAML::Node not_assessed = node["not_assessed"]) {
    const std::string block = path + ".not_assessed";
    if (reader.expect_map(not_assessed, block, {"analytes", "reason", "source"})) {
      analytics::NotAssessed interpretation;
      if (!not_assessed["analytes"])
        reader.problem(not_assessed, block + ".analytes", "required key 'analytes' is missing");
      interpretation.analytes = string_list(reader, not_assessed["analytes"], block + ".analytes");
      for (std::size_t a = 0; a < interpretation.analytes.size(); ++a) {
        const auto& id = interpretation.analytes[a];
        if (std::find(medication.affects.begin(), medication.affects.end(), id) == medication.affects.end()) {
          reader.problem(
              not_assessed["analytes"][a], block + ".analytes[" + std::to_string(a) + "]",
              "'" + id + "' is not in this medication's affects: its results are never timed against it");
        }
      }
      interpretation.reason = reader.text(not_assessed, "reason", block, true).value_or("");
      interpretation.source = reader.text(not_assessed, "source", block, true).value_or("");
      medication.not_assessed = std::move(interpretation);
    }
  }
  const YAML::Node routes = node["routes"];
  if (!routes || !routes.IsSequence() || routes.size() == 0) {
    reader.problem(node, path + ".routes", "required non-empty list 'routes' is missing");
  } else {
    read_each_map(reader, routes, path + ".routes", kRouteKeys, read_route, medication.routes);
  }
  return medication;
}

}  // namespace

analytics::MedicationCatalogue read_medications(const std::string& file, const analytics::Catalogue& analytes,
                                                std::vector<ConfigProblem>& problems) {
  analytics::MedicationCatalogue catalogue;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return catalogue;
  auto root = load_versioned_map(file, problems, {"version", "local_product_words", "medications"});
  if (!root) return catalogue;
  YamlReader reader(file, problems);
  if (const YAML::Node moved = (*root)["local_product_words"]) {
    reader.problem(moved, "local_product_words",
                   "local_product_words is now per medication (a systemic testosterone gel must not be dropped "
                   "for hydrocortisone cream's sake): list it under each medication that has local products");
  }
  std::set<std::string> ids;
  const auto read = [&](YamlReader& r, const YAML::Node& node, const std::string& path) {
    return read_medication(r, node, path, analytes, ids);
  };
  read_each_map(reader, required_list(reader, *root, "", "medications"), "medications", kMedicationKeys, read,
                catalogue.medications);
  return catalogue;
}

}  // namespace gg::gateway
