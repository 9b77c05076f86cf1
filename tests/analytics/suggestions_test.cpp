// Which suggestions answer a finding (the catalogue in config/rules/suggestions.yaml is data).
#include "analytics/suggestions.hpp"

#include <gtest/gtest.h>

namespace gg::analytics {
namespace {

Finding finding(std::string code, Direction direction, RiskLevel level) {
  Finding f;
  f.gradient_code = std::move(code);
  f.direction = direction;
  f.level = level;
  return f;
}

std::vector<Suggestion> catalogue() {
  Suggestion any;
  any.id = "confirm";
  any.gradients = {"lh-fsh-ratio", "homa-ir"};
  any.title = "Confirm";
  Suggestion above_high;
  above_high.id = "screen";
  above_high.gradients = {"homa-ir"};
  above_high.direction = Direction::above;
  above_high.min_level = RiskLevel::high;
  above_high.title = "Screen";
  return {any, above_high};
}

std::vector<std::string> ids(const std::vector<const Suggestion*>& found) {
  std::vector<std::string> out;
  for (const auto* s : found) out.push_back(s->id);
  return out;
}

TEST(Suggestions, MatchGradientDirectionAndLevelInCatalogueOrder) {
  const auto all = catalogue();
  EXPECT_EQ(ids(suggestions_for(finding("homa-ir", Direction::above, RiskLevel::high), all)),
            (std::vector<std::string>{"confirm", "screen"}));
  EXPECT_EQ(ids(suggestions_for(finding("homa-ir", Direction::above, RiskLevel::moderate), all)),
            std::vector<std::string>{"confirm"});
  EXPECT_EQ(ids(suggestions_for(finding("homa-ir", Direction::below, RiskLevel::high), all)),
            std::vector<std::string>{"confirm"});
  EXPECT_TRUE(suggestions_for(finding("homa-ir", Direction::within, RiskLevel::low), all).empty());
  EXPECT_TRUE(suggestions_for(finding("free-androgen-index", Direction::above, RiskLevel::high), all).empty());
  Finding unassessed;  // no target range: no level, nothing to suggest
  unassessed.gradient_code = "homa-ir";
  EXPECT_TRUE(suggestions_for(unassessed, all).empty());
}

TEST(Suggestions, ValidationNamesEveryProblem) {
  auto all = catalogue();
  all[1].id = "confirm";                  // duplicate
  all[1].gradients.push_back("no-such");  // unknown gradient
  all[1].time_of_day = {"7:00", "25:00:00", "07:00:00"};
  all[1].min_level = RiskLevel::low;
  const std::vector<std::string> codes{"lh-fsh-ratio", "homa-ir"};
  const auto problems = validate_suggestions(all, codes);
  std::string text;
  for (const auto& p : problems) text += p.path + ": " + p.message + "\n";
  EXPECT_NE(text.find("suggestions[1].id: duplicate suggestion id 'confirm'"), std::string::npos) << text;
  EXPECT_NE(text.find("no rule emits gradient 'no-such'"), std::string::npos) << text;
  EXPECT_NE(text.find("'7:00' is not a FHIR time"), std::string::npos) << text;
  EXPECT_NE(text.find("'25:00:00' is not a FHIR time"), std::string::npos) << text;
  EXPECT_EQ(text.find("'07:00:00'"), std::string::npos) << text;
  EXPECT_NE(text.find("suggestions[1].min_level"), std::string::npos) << text;
  EXPECT_TRUE(validate_suggestions(catalogue(), codes).empty());
}

// Clinical review M4: an activity of kind MedicationRequest with clock times reads like a dosing schedule, and a
// CarePlan-to-order workflow could turn it into one. Such an entry is refused, with or without times.
TEST(Suggestions, KindMedicationRequestIsRefused) {
  auto all = catalogue();
  all[0].kind = "MedicationRequest";
  const std::vector<std::string> codes{"lh-fsh-ratio", "homa-ir"};
  auto problems = validate_suggestions(all, codes);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "suggestions[0].kind");
  EXPECT_NE(problems[0].message.find("MedicationRequest is refused"), std::string::npos);
  all[0].time_of_day = {"07:00:00", "13:00:00"};
  problems = validate_suggestions(all, codes);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "suggestions[0].kind");
}

// CarePlan.activity.detail.kind has a required binding to R4 CarePlanActivityKind; anything else fails $validate.
TEST(Suggestions, KindMustBeAnR4CarePlanActivityKind) {
  auto all = catalogue();
  const std::vector<std::string> codes{"lh-fsh-ratio", "homa-ir"};
  for (const char* kind : {"ServiceRequest", "Task", "Appointment", "CommunicationRequest"}) {
    all[0].kind = kind;
    EXPECT_TRUE(validate_suggestions(all, codes).empty()) << kind;
  }
  all[0].kind = "serviceRequest";
  const auto problems = validate_suggestions(all, codes);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message, "'serviceRequest' is not an R4 CarePlanActivityKind");
}

}  // namespace
}  // namespace gg::analytics
