#include "gateway/config/knowledge_loader.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>

#include "analytics/catalogue.hpp"
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
// scan asks once per coding of every Observation in a bulk input, the decoder again for each one it decodes
// (issue 12). A few hundred codes: an open-addressed table of a power of two at least four times their number,
// hashed by the code alone (the same code in two systems shares a probe sequence, and both are compared), so a
// lookup is one hash of a few bytes and one or two comparisons, without std::unordered_map's hashing of the system
// URL, its modulo and its chasing of nodes.
class WantedCodes {
 public:
  explicit WantedCodes(std::vector<std::pair<std::string, std::string>> codes) : codes_(std::move(codes)) {
    std::size_t size = 16;
    while (size < 4 * codes_.size()) size *= 2;
    slots_.assign(size, kEmpty);
    for (std::uint32_t i = 0; i < codes_.size(); ++i) {
      if (contains(codes_[i].first, codes_[i].second)) continue;  // listed twice
      std::size_t slot = hash(codes_[i].second) & (size - 1);
      while (slots_[slot] != kEmpty) slot = (slot + 1) & (size - 1);
      slots_[slot] = i;
    }
  }

  bool contains(std::string_view system, std::string_view code) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = hash(code) & mask; slots_[slot] != kEmpty; slot = (slot + 1) & mask) {
      const auto& [wanted_system, wanted_code] = codes_[slots_[slot]];
      if (wanted_code == code && wanted_system == system) return true;
    }
    return false;
  }

 private:
  static constexpr std::uint32_t kEmpty = UINT32_MAX;

  // The code's first eight bytes (all of a shorter one), its last eight and its length, mixed by multiplication.
  static std::size_t hash(std::string_view code) {
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    const std::size_t n = code.size();
    if (n > 0) std::memcpy(&head, code.data(), std::min<std::size_t>(n, 8));
    if (n > 8) std::memcpy(&tail, code.data() + n - 8, 8);
    std::uint64_t mixed = (head ^ (tail * 0xC2B2AE3D27D4EB4FULL) ^ n) * 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(mixed ^ (mixed >> 31));
  }

  std::vector<std::pair<std::string, std::string>> codes_;
  std::vector<std::uint32_t> slots_;  // indices into codes_, kEmpty where none
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
