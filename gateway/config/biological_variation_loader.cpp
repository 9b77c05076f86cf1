#include "gateway/config/biological_variation_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>

#include "gateway/config/yaml_reader.hpp"

namespace gg::gateway {

std::vector<analytics::BiologicalVariation> read_biological_variation(const std::string& file,
                                                                      const analytics::Catalogue& catalogue,
                                                                      std::vector<ConfigProblem>& problems) {
  std::vector<analytics::BiologicalVariation> entries;
  auto root = load_versioned_map(file, problems, {"version", "analytes"});
  if (!root) return entries;
  YamlReader reader(file, problems);
  for_each_map(
      reader, required_list(reader, *root, "", "analytes"), "analytes",
      {"id", "specimen", "sex", "cvi_percent", "cvi_population", "cvi_source", "cva_percent", "cva_source"},
      [&](const YAML::Node& node, const std::string& path) {
        analytics::BiologicalVariation entry;
        bool complete = true;
        if (auto id = reader.text(node, "id", path, true)) {
          entry.analyte_id = *id;
          if (catalogue.find(*id) == nullptr) {
            reader.problem(node["id"], path + ".id", "unknown analyte '" + *id + "' (not in analytes.yaml)");
            complete = false;
          }
        } else {
          complete = false;
        }
        if (auto specimen = reader.choice(node, "specimen", path, true, analytics::kSpecimenText)) {
          entry.specimen = *specimen;
        } else {
          complete = false;
        }
        if (auto sex = reader.text(node, "sex", path, false)) {
          const auto parsed = analytics::sex_criterion_from_string(*sex);
          if (!parsed || *parsed == analytics::SexCriterion::any) {
            reader.problem(node["sex"], path + ".sex", "expected male or female (leave it out for both)");
          } else {
            entry.sex = *parsed;
          }
        }
        const auto percent = [&](const char* key) {
          const auto value = reader.number(node, key, path, true);
          if (value && !(*value > 0 && std::isfinite(*value))) {
            reader.problem(node[key], path + "." + key, "must be a percentage above 0");
          }
          return value.value_or(0);
        };
        entry.cvi_percent = percent("cvi_percent");
        entry.cva_percent = percent("cva_percent");
        const auto cited = [&](const char* key) {
          auto value = reader.text(node, key, path, true);
          if (value && value->empty()) reader.problem(node[key], path + "." + key, "must not be empty");
          return value.value_or("");
        };
        entry.cvi_population = cited("cvi_population");
        entry.cvi_source = cited("cvi_source");
        entry.cva_source = cited("cva_source");
        if (complete) {
          if (analytics::find_biological_variation(entries, entry.analyte_id, entry.specimen) != nullptr) {
            reader.problem(node, path,
                           "duplicate entry for '" + entry.analyte_id + "' in " +
                               std::string(analytics::to_string(entry.specimen)));
            return;
          }
        }
        entries.push_back(std::move(entry));
      });
  return entries;
}

}  // namespace gg::gateway
