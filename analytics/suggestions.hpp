// The suggestion catalogue (config/rules/, data): what a draft CarePlan proposes for a finding outside its target,
// e.g. a confirmatory draw, a review of dose timing at a time of day, a precursor or cofactor review. Each is a
// proposal for a clinician, never an order; the write-back says so on every activity.
#pragma once

#include <cstddef>
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

// What a draft CarePlan proposes for one finding outside its target (level moderate or high): each catalogue
// suggestion that answers it, or, when none does, a review of the finding itself. The write-back maps each to a
// CarePlan activity whose reason is the finding's rationale.
struct FindingProposal {
  std::size_t gradient = 0;              // index into Analysis::gradients and Analysis::findings
  std::string suggestion_id;             // the catalogue entry; empty for the review of a finding nothing answers
  std::string kind;                      // CarePlan.activity.detail.kind; empty for a plain review
  std::string title;                     // CarePlan.activity.detail.code.text
  std::string description;               // what to consider, then "Source: ..." when the entry cites one
  std::vector<std::string> time_of_day;  // scheduledTiming.repeat.timeOfDay, "07:00:00"
  friend bool operator==(const FindingProposal&, const FindingProposal&) = default;
};

// The proposals for a gradient's finding, in catalogue order; none when the finding has no level or is within its
// target (low). `gradient_index` is the gradient's position in the analysis, carried into each proposal.
std::vector<FindingProposal> proposals_for(const Gradient& gradient, const Finding& finding,
                                           std::size_t gradient_index, std::span<const Suggestion> catalogue);

// Missing ids, titles or gradients, duplicate ids, malformed times of day (hh:mm:ss), gradients no rule emits, a
// kind that is not an R4 CarePlanActivityKind, and kind MedicationRequest (refused: never a medication proposal).
std::vector<KnowledgeProblem> validate_suggestions(std::span<const Suggestion> catalogue,
                                                   std::span<const std::string> gradient_codes);

}  // namespace gg::analytics
