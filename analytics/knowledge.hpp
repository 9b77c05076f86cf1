// Everything the analysis knows about hormones, as data: the analyte catalogue, the gradient rules, the
// assessment rules (target ranges with their sources) and the biological variation trends are judged with. The
// gateway builds it from config/terminology/ and config/rules/ and validates it completely before anything starts.
#pragma once

#include <vector>

#include "analytics/assessment.hpp"
#include "analytics/catalogue.hpp"
#include "analytics/dosing.hpp"
#include "analytics/gradient_rules.hpp"
#include "analytics/knowledge_problem.hpp"
#include "analytics/reproductive.hpp"
#include "analytics/suggestions.hpp"
#include "analytics/trend.hpp"

namespace gg::analytics {

struct Knowledge {
  Catalogue catalogue;
  GradientRules rules;
  AssessmentRules assessment;
  std::vector<Suggestion> suggestions;
  ReproductiveCodes reproductive;   // config/terminology/reproductive-status.yaml; empty: no such ranges apply
  MedicationCatalogue medications;  // dose timing (config/terminology/medications.yaml); empty: none recognised
  // Per analyte and specimen, for trends' reference change values; empty: changes are reported, never judged.
  std::vector<BiologicalVariation> biological_variation;
};

// Every problem, each with its path ("ratios[0].denominator", "target_ranges[2].source"): the catalogue's (see
// validate_catalogue), rules naming unknown analytes or units that cannot hold their inputs, target ranges without
// a source, without bounds, with low above high, for unknown gradients, or overlapping another range's age band.
std::vector<KnowledgeProblem> validate_knowledge(const Knowledge& knowledge);

}  // namespace gg::analytics
