#include "gateway/config/knowledge_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <utility>

#include "analytics/catalogue.hpp"
#include "fhir/string_hash.hpp"
#include "fhir/url.hpp"
#include "gateway/config/biological_variation_loader.hpp"
#include "gateway/config/catalogue_loader.hpp"
#include "gateway/config/concept_map_loader.hpp"
#include "gateway/config/medication_loader.hpp"
#include "gateway/config/reproductive_status_loader.hpp"
#include "gateway/config/rules_loader.hpp"

namespace gg::gateway {

namespace {

// The codes that make an Observation wanted, looked up by (system, code) views without building a string: the
// scan asks once per coding of every Observation in a bulk input (issue 12).
class WantedCodes {
 public:
  explicit WantedCodes(const std::vector<std::pair<std::string, std::string>>& codes) {
    for (const auto& [system, code] : codes) by_system_[system].insert(code);
  }
  bool contains(std::string_view system, std::string_view code) const {
    const auto found = by_system_.find(system);
    return found != by_system_.end() && found->second.contains(code);
  }

 private:
  fhir::StringMap<fhir::StringSet> by_system_;
};

}  // namespace

fhir::DecodeOptions LoadedKnowledge::decode_options() const {
  fhir::DecodeOptions options;
  auto wanted = std::make_shared<const WantedCodes>(subscription_codes());
  options.observation_wanted = [wanted](const fhir::CodeableConcept& code) {
    return std::any_of(code.coding.begin(), code.coding.end(),
                       [&](const fhir::Coding& coding) { return wanted->contains(coding.system, coding.code); });
  };
  return options;
}

fhir::ScanOptions LoadedKnowledge::scan_options() const {
  fhir::ScanOptions options;
  auto wanted = std::make_shared<const WantedCodes>(subscription_codes());
  options.coding_wanted = [wanted](std::string_view system, std::string_view code) {
    return wanted->contains(system, code);
  };
  return options;
}

std::vector<std::pair<std::string, std::string>> LoadedKnowledge::subscription_codes() const {
  std::vector<std::pair<std::string, std::string>> codes;
  for (const auto& code : knowledge.catalogue.loinc_codes()) codes.emplace_back(analytics::kLoincSystem, code);
  for (auto& local : knowledge.catalogue.mapped_local_codes()) codes.push_back(std::move(local));
  // A new menopausal status or last menstrual period changes which target ranges apply.
  for (auto& context : knowledge.reproductive.observation_codes()) {
    codes.emplace_back(std::move(context.system), std::move(context.code));
  }
  return codes;
}

std::string hormone_code_list(const LoadedKnowledge& knowledge) {
  std::string list;
  for (const auto& [system, code] : knowledge.subscription_codes()) {
    if (!list.empty()) list += ',';
    list += system;
    list += '|';
    list += code;
  }
  return fhir::percent_encode(list);
}

KnowledgeLoad load_knowledge(const std::string& terminology_dir, const std::string& rules_dir) {
  ConfigProblems problems;
  LoadedKnowledge loaded;

  const std::string catalogue_file = (std::filesystem::path(terminology_dir) / "analytes.yaml").string();
  auto analytes = read_catalogue(catalogue_file, problems);
  auto local_codes = read_concept_maps(terminology_dir, problems);
  loaded.knowledge.catalogue = analytics::Catalogue(std::move(analytes), std::move(local_codes));
  loaded.knowledge.reproductive = read_reproductive_codes(
      (std::filesystem::path(terminology_dir) / "reproductive-status.yaml").string(), problems);
  loaded.knowledge.medications =
      read_medications((std::filesystem::path(terminology_dir) / "medications.yaml").string(),
                       loaded.knowledge.catalogue, problems);
  // Optional: without it every trend is reported and none is judged.
  const auto variation_file = std::filesystem::path(terminology_dir) / "biological-variation.yaml";
  if (std::filesystem::exists(variation_file)) {
    loaded.knowledge.biological_variation =
        read_biological_variation(variation_file.string(), loaded.knowledge.catalogue, problems);
  }

  std::vector<std::string> rule_files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(rules_dir, ec)) {
    const auto extension = entry.path().extension();
    if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml")) {
      rule_files.push_back(entry.path().string());
    }
  }
  if (ec) problems.push_back({rules_dir, "cannot read the rules directory: " + ec.message()});
  std::sort(rule_files.begin(), rule_files.end());
  if (!ec && rule_files.empty()) problems.push_back({rules_dir, "no rule files (*.yaml)"});
  RuleSetName rule_set{loaded.rule_set_id, loaded.rule_set_version};
  for (const auto& file : rule_files) read_rules(file, loaded.knowledge, rule_set, problems);
  loaded.rule_set_id = std::move(rule_set.id);
  loaded.rule_set_version = std::move(rule_set.version);

  // The data's own consistency: unknown analytes, units, ranges without sources, overlapping bands.
  if (problems.empty()) {
    for (const auto& problem : analytics::validate_knowledge(loaded.knowledge)) {
      problems.push_back({"knowledge (" + problem.path + ")", problem.message});
    }
  }
  if (!problems.empty()) return KnowledgeLoad(boost::system::in_place_error, std::move(problems));
  return loaded;
}

}  // namespace gg::gateway
