// Loads the hormone knowledge from config/: terminology/analytes.yaml (the analyte catalogue),
// terminology/biological-variation.yaml when present (per analyte and specimen type, the analytical and
// within-subject biological CVs that trends are judged with; without it changes are reported, not judged), every
// *.json in terminology/ (FHIR R4 ConceptMaps from a site's own lab codes to LOINC; equivalence equivalent, equal,
// wider or subsumes maps a result, the others never do), and every *.yaml in rules/ (gradient rules, trend
// settings and target ranges; several files are joined in name order, so a site adds its own ranges in a file of
// its own beside the shipped one). The schemas are documented at the top of the shipped files. Unknown keys, wrong
// types and everything validate_knowledge() finds are reported with their locations.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analytics/knowledge.hpp"
#include "fhir/json_codec.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

struct LoadedKnowledge {
  analytics::Knowledge knowledge;
  std::string rule_set_id = "gradient-gateway-default";
  std::string rule_set_version = "1";

  // Decoding that materialises only Observations carrying one of the catalogue's codes.
  fhir::DecodeOptions decode_options() const;
  // (system, code) of every code that identifies a hormone result, for the Subscription criteria and searches.
  std::vector<std::pair<std::string, std::string>> subscription_codes() const;
};

struct KnowledgeLoad {
  std::optional<LoadedKnowledge> knowledge;  // present only when there are no problems
  std::vector<ConfigProblem> problems;
};

KnowledgeLoad load_knowledge(const std::string& terminology_dir, const std::string& rules_dir);

}  // namespace gg::gateway
