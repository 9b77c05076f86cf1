// Loads one file of config/rules/ (gradients.yaml, suggestions.yaml, a site's own): the rule set's name, the
// assessment and trend settings, the ratio, derived and rhythm rules, the suggestions and the target ranges. The
// schema is documented at the top of config/rules/gradients.yaml (suggestions: of suggestions.yaml). Several files
// are joined in name order: lists are appended to, and a setting (rule_set, assessment, trends) from a later file
// replaces an earlier one's.
#pragma once

#include <string>
#include <vector>

#include "analytics/knowledge.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

// The rule set every RiskAssessment.method names (rule_set: {id, version}).
struct RuleSetName {
  std::string id;
  std::string version;
};

// Reads `file` into `knowledge` (rules, assessment, suggestions) and `rule_set`; shape problems only, with their
// locations. What the rules mean together (unknown analytes, duplicate codes, overlapping ranges) is
// analytics::validate_knowledge()'s.
void read_rules(const std::string& file, analytics::Knowledge& knowledge, RuleSetName& rule_set,
                std::vector<ConfigProblem>& problems);

}  // namespace gg::gateway
