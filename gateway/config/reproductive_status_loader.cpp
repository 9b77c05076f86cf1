#include "gateway/config/reproductive_status_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "gateway/config/yaml_reader.hpp"

namespace gg::gateway {
namespace {

std::vector<analytics::ConceptCode> concept_codes(YamlReader& reader, const YAML::Node& node,
                                                  const std::string& path) {
  std::vector<analytics::ConceptCode> codes;
  if (!node || !node.IsSequence()) {
    reader.problem(node, path, "expected a list of {system, code}");
    return codes;
  }
  for_each_map(reader, node, path, {"system", "code", "display"},
               [&](const YAML::Node& code, const std::string& at) {
                 codes.push_back({reader.text(code, "system", at, true).value_or(""),
                                  reader.text(code, "code", at, true).value_or("")});
               });
  return codes;
}

}  // namespace

analytics::ReproductiveCodes read_reproductive_codes(const std::string& file,
                                                     std::vector<ConfigProblem>& problems) {
  analytics::ReproductiveCodes codes;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return codes;
  auto root = load_versioned_map(file, problems, {"version", "menopausal_status", "last_menstrual_period"});
  if (!root) return codes;
  YamlReader reader(file, problems);
  if (const YAML::Node status = (*root)["menopausal_status"]) {
    if (reader.expect_map(status, "menopausal_status", {"questions", "answers"})) {
      codes.menopausal_status_questions =
          concept_codes(reader, status["questions"], "menopausal_status.questions");
      const YAML::Node answers = status["answers"];
      if (reader.expect_map(answers, "menopausal_status.answers",
                            {"premenopausal", "perimenopausal", "postmenopausal"})) {
        for (const auto& entry : answers) {
          const auto name = entry.first.as<std::string>();
          const auto parsed = analytics::menopausal_status_from_string(name);
          if (!parsed) continue;  // reported by expect_map
          for (auto& code : concept_codes(reader, entry.second, "menopausal_status.answers." + name)) {
            codes.menopausal_status_answers.emplace_back(*parsed, std::move(code));
          }
        }
      }
    }
  }
  if (const YAML::Node period = (*root)["last_menstrual_period"]) {
    if (reader.expect_map(period, "last_menstrual_period", {"questions"})) {
      codes.last_menstrual_period = concept_codes(reader, period["questions"], "last_menstrual_period.questions");
    }
  }
  return codes;
}

}  // namespace gg::gateway
