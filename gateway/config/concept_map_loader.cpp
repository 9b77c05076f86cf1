#include "gateway/config/concept_map_loader.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include "fhir/json_codec.hpp"

namespace gg::gateway {
namespace {

// R4 ConceptMapEquivalence: the target may stand for the source when it means the same or more (the source is a
// narrower, site-specific code for a LOINC measurand). narrower, specializes, inexact, relatedto, unmatched and
// disjoint never map a result.
bool usable_equivalence(std::string_view equivalence) {
  return equivalence == "equivalent" || equivalence == "equal" || equivalence == "wider" ||
         equivalence == "subsumes";
}

constexpr std::array kEquivalences{"relatedto", "equivalent",  "equal",   "wider",     "subsumes",
                                   "narrower",  "specializes", "inexact", "unmatched", "disjoint"};

std::optional<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::vector<analytics::LocalCodeMapping> read_concept_maps(const std::string& dir,
                                                           std::vector<ConfigProblem>& problems) {
  std::vector<analytics::LocalCodeMapping> mappings;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    const auto text = read_text_file(file);
    if (!text) {
      problems.push_back({name, "cannot read the file"});
      continue;
    }
    auto decoded = fhir::decode_resource(*text);
    if (!decoded.ok()) {
      for (const auto& issue : decoded.issues) problems.push_back({name + " (" + issue.path + ")", issue.message});
      continue;
    }
    // The gateway's own vocabulary (gradient.codesystem.json) sits beside the maps; it maps nothing.
    if (fhir::resource_type(*decoded.value) == "CodeSystem") continue;
    const auto* map = std::get_if<fhir::ConceptMap>(&*decoded.value);
    if (map == nullptr) {
      problems.push_back(
          {name, "expected a ConceptMap, found " + std::string(fhir::resource_type(*decoded.value))});
      continue;
    }
    if (map->status == "retired") continue;
    const std::string label = map->url.empty() ? name : map->url;
    for (std::size_t g = 0; g < map->group.size(); ++g) {
      const auto& group = map->group[g];
      const std::string at = name + " (ConceptMap.group[" + std::to_string(g) + "]";
      if (group.target != analytics::kLoincSystem) {
        problems.push_back({at + ".target)", "'" + group.target + "': only maps to http://loinc.org are read"});
        continue;
      }
      if (group.source.empty()) {
        problems.push_back({at + ".source)", "a group needs the source code system"});
        continue;
      }
      for (std::size_t e = 0; e < group.element.size(); ++e) {
        const auto& element = group.element[e];
        for (std::size_t t = 0; t < element.target.size(); ++t) {
          const auto& target = element.target[t];
          const std::string target_at =
              at + ".element[" + std::to_string(e) + "].target[" + std::to_string(t) + "])";
          if (std::find(kEquivalences.begin(), kEquivalences.end(), target.equivalence) == kEquivalences.end()) {
            problems.push_back(
                {target_at, "equivalence '" + target.equivalence + "' is not an R4 ConceptMapEquivalence"});
            continue;
          }
          if (!usable_equivalence(target.equivalence)) continue;
          if (!analytics::loinc_check_digit_valid(target.code)) {
            problems.push_back({target_at, "'" + target.code + "' is not a LOINC code (format or check digit)"});
            continue;
          }
          mappings.push_back({group.source, element.code, target.code, label});
        }
      }
    }
  }
  for (const auto& problem : analytics::validate_local_codes(mappings))
    problems.push_back({problem.path, problem.message});
  return mappings;
}

}  // namespace gg::gateway
