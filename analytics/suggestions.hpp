// The suggestion catalogue (config/rules/, data): what a draft CarePlan proposes for a finding outside its target,
// e.g. a confirmatory draw, a review of dose timing at a time of day, a precursor or cofactor review. Each is a
// proposal for a clinician, never an order; the write-back says so on every activity.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analytics/assessment.hpp"
#include "analytics/knowledge_problem.hpp"

namespace gg::analytics {

struct Suggestion {
  std::string id;                      // "confirm-paired-morning-draw"
  std::vector<std::string> gradients;  // the gradient codes whose findings it answers
  std::optional<Direction> direction;  // above or below the target; none: either
  RiskLevel min_level = RiskLevel::moderate;
  std::string kind;                      // CarePlan.activity.detail.kind (ServiceRequest, Task, ...); may be empty
  std::string title;                     // CarePlan.activity.detail.code.text
  std::string description;               // what to consider, one or two sentences
  std::vector<std::string> time_of_day;  // scheduledTiming.repeat.timeOfDay, "07:00:00"
  std::string source;                    // the citation behind it, when there is one
  friend bool operator==(const Suggestion&, const Suggestion&) = default;
};

// The suggestions that answer a finding, in catalogue order: the finding has a level at least min_level, its
// gradient is listed, and the direction matches when one is set.
std::vector<const Suggestion*> suggestions_for(const Finding& finding, std::span<const Suggestion> catalogue);

// Missing ids, titles or gradients, duplicate ids, malformed times of day (hh:mm:ss), gradients no rule emits, a
// kind that is not an R4 CarePlanActivityKind, and kind MedicationRequest (refused: never a medication proposal).
std::vector<KnowledgeProblem> validate_suggestions(std::span<const Suggestion> catalogue,
                                                   std::span<const std::string> gradient_codes);

}  // namespace gg::analytics
