// Loads the hormone knowledge from config/, one loader per file format (each file of this directory):
// - terminology/analytes.yaml, the analyte catalogue (catalogue_loader.hpp);
// - every FHIR R4 ConceptMap *.json in terminology/, a site's own lab codes mapped to LOINC
// (concept_map_loader.hpp);
// - terminology/reproductive-status.yaml and terminology/medications.yaml, when present
//   (reproductive_status_loader.hpp, medication_loader.hpp);
// - terminology/biological-variation.yaml, when present: the CVs trends are judged with; without it changes are
//   reported, not judged (biological_variation_loader.hpp);
// - every *.yaml in rules/, joined in name order so that a site adds its own ranges in a file of its own beside
//   the shipped one (rules_loader.hpp).
// The schemas are documented at the top of the shipped files. Unknown keys, wrong types and everything
// validate_knowledge() finds are reported with their locations; knowledge comes back only without any problem.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analytics/knowledge.hpp"
#include "fhir/json_codec.hpp"
#include "fhir/json_scan.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

struct LoadedKnowledge {
  analytics::Knowledge knowledge;
  std::string rule_set_id = "gradient-gateway-default";
  std::string rule_set_version = "1";

  // Decoding that materialises only Observations carrying one of the catalogue's codes.
  fhir::DecodeOptions decode_options() const;
  // The same codes for the scan that runs before decoding (fhir/json_scan.hpp), asked per coding.
  fhir::ScanOptions scan_options() const;
  // (system, code) of every code that identifies a hormone result, for the Subscription criteria and searches.
  std::vector<std::pair<std::string, std::string>> subscription_codes() const;
};

// "system|code,system|code" of every hormone code, percent-encoded for a search's code parameter (the patient's
// context and the reconcile search).
std::string hormone_code_list(const LoadedKnowledge& knowledge);

// The knowledge, or every problem found in its files (never both: one problem is enough not to run).
using KnowledgeLoad = boost::system::result<LoadedKnowledge, ConfigProblems>;

KnowledgeLoad load_knowledge(const std::string& terminology_dir, const std::string& rules_dir);

}  // namespace gg::gateway
