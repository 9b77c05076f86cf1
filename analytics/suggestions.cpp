#include "analytics/suggestions.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

namespace gg::analytics {
namespace {

int rank(RiskLevel level) {
  switch (level) {
    case RiskLevel::low:
      return 0;
    case RiskLevel::moderate:
      return 1;
    case RiskLevel::high:
      return 2;
  }
  return 0;
}

// FHIR time: hh:mm:ss (R4 2.24.0.1).
bool fhir_time(const std::string& text) {
  if (text.size() != 8 || text[2] != ':' || text[5] != ':') return false;
  for (const std::size_t i : {0u, 1u, 3u, 4u, 6u, 7u}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return (text[0] - '0') * 10 + (text[1] - '0') < 24 && text[3] < '6' && text[6] < '6';
}

// FHIR R4 CarePlanActivityKind (CarePlan.activity.detail.kind, required binding), without MedicationRequest: the
// gateway proposes reviews and tests, never a medication order or a dosing schedule, which a CarePlan-to-order
// workflow could turn into a prescription (clinical review M4).
constexpr std::array<std::string_view, 7> kActivityKinds{
    "Appointment", "CommunicationRequest", "DeviceRequest",     "NutritionOrder",
    "Task",        "ServiceRequest",       "VisionPrescription"};

}  // namespace

std::vector<const Suggestion*> suggestions_for(const Finding& finding, std::span<const Suggestion> catalogue) {
  std::vector<const Suggestion*> out;
  if (!finding.level || !finding.direction) return out;
  for (const auto& suggestion : catalogue) {
    if (rank(*finding.level) < rank(suggestion.min_level)) continue;
    if (std::find(suggestion.gradients.begin(), suggestion.gradients.end(), finding.gradient_code) ==
        suggestion.gradients.end()) {
      continue;
    }
    if (suggestion.direction && *suggestion.direction != *finding.direction) continue;
    out.push_back(&suggestion);
  }
  return out;
}

std::vector<FindingProposal> proposals_for(const Gradient& gradient, const Finding& finding,
                                           std::size_t gradient_index, std::span<const Suggestion> catalogue) {
  std::vector<FindingProposal> out;
  if (!finding.level || *finding.level == RiskLevel::low) return out;
  for (const auto* suggestion : suggestions_for(finding, catalogue)) {
    out.push_back({gradient_index, suggestion->id, suggestion->kind, suggestion->title,
                   suggestion->description + (suggestion->source.empty() ? "" : " Source: " + suggestion->source),
                   suggestion->time_of_day});
  }
  if (out.empty()) {
    // No catalogue entry answers this finding: the proposal is the review itself, so that no finding outside its
    // target goes without an activity in the draft CarePlan.
    out.push_back({gradient_index,
                   "",
                   "",
                   "Review the " + gradient.display + " finding",
                   "No suggestion in the site's catalogue answers this finding.",
                   {}});
  }
  return out;
}

std::vector<KnowledgeProblem> validate_suggestions(std::span<const Suggestion> catalogue,
                                                   std::span<const std::string> gradient_codes) {
  std::vector<KnowledgeProblem> problems;
  std::set<std::string, std::less<>> ids;
  for (std::size_t i = 0; i < catalogue.size(); ++i) {
    const Suggestion& suggestion = catalogue[i];
    const std::string at = "suggestions[" + std::to_string(i) + "]";
    if (suggestion.id.empty()) {
      problems.push_back({at + ".id", "a suggestion needs an id"});
    } else if (!ids.insert(suggestion.id).second) {
      problems.push_back({at + ".id", "duplicate suggestion id '" + suggestion.id + "'"});
    }
    if (suggestion.title.empty()) problems.push_back({at + ".title", "a suggestion needs a title"});
    if (suggestion.gradients.empty()) problems.push_back({at + ".gradients", "name the gradients it answers"});
    for (const auto& code : suggestion.gradients) {
      if (std::find(gradient_codes.begin(), gradient_codes.end(), code) == gradient_codes.end()) {
        problems.push_back({at + ".gradients", "no rule emits gradient '" + code + "'"});
      }
    }
    if (suggestion.direction && *suggestion.direction == Direction::within) {
      problems.push_back({at + ".direction", "a suggestion answers a finding above or below its target"});
    }
    if (suggestion.min_level == RiskLevel::low) {
      problems.push_back({at + ".min_level", "a finding within its target needs no suggestion: moderate or high"});
    }
    if (suggestion.kind == "MedicationRequest") {
      problems.push_back({at + ".kind",
                          "MedicationRequest is refused: a suggestion proposes a review or a test, never a "
                          "medication order or dosing schedule"});
    } else if (!suggestion.kind.empty() &&
               std::find(kActivityKinds.begin(), kActivityKinds.end(), suggestion.kind) == kActivityKinds.end()) {
      problems.push_back({at + ".kind", "'" + suggestion.kind + "' is not an R4 CarePlanActivityKind"});
    }
    for (const auto& time : suggestion.time_of_day) {
      if (!fhir_time(time))
        problems.push_back({at + ".time_of_day", "'" + time + "' is not a FHIR time hh:mm:ss"});
    }
  }
  return problems;
}

}  // namespace gg::analytics
