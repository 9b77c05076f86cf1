// Which suggestions answer a finding (the catalogue in config/rules/suggestions.yaml is data).
#include "analytics/suggestions.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "analytics/analysis.hpp"
#include "test_knowledge.hpp"

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
  out.reserve(found.size());
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

Gradient gradient(std::string code, std::string display) {
  Gradient g;
  g.code = std::move(code);
  g.display = std::move(display);
  return g;
}

// A proposal carries what the CarePlan activity needs from its catalogue entry: id, kind, title, times of day, and
// the description followed by the entry's source.
TEST(Suggestions, ProposalsCarryTheMatchingEntriesInCatalogueOrder) {
  auto all = catalogue();
  all[0].kind = "ServiceRequest";
  all[0].description = "Repeat it.";
  all[0].source = "Test guideline G-1";
  all[0].time_of_day = {"08:00:00"};
  all[1].description = "Screen for it.";
  const auto proposals =
      proposals_for(gradient("homa-ir", "HOMA-IR"), finding("homa-ir", Direction::above, RiskLevel::high), 3, all);
  ASSERT_EQ(proposals.size(), 2u);
  EXPECT_EQ(
      proposals[0],
      (FindingProposal{
          3, "confirm", "ServiceRequest", "Confirm", "Repeat it. Source: Test guideline G-1", {"08:00:00"}}));
  EXPECT_EQ(proposals[1], (FindingProposal{3, "screen", "", "Screen", "Screen for it.", {}}));
}

// No finding outside its target goes without an activity: when no entry answers it, the proposal is its review.
TEST(Suggestions, AFindingNoEntryAnswersGetsAReviewOfItself) {
  const auto proposals =
      proposals_for(gradient("free-androgen-index", "Free androgen index"),
                    finding("free-androgen-index", Direction::above, RiskLevel::moderate), 0, catalogue());
  ASSERT_EQ(proposals.size(), 1u);
  EXPECT_EQ(proposals[0], (FindingProposal{0,
                                           "",
                                           "",
                                           "Review the Free androgen index finding",
                                           "No suggestion in the site's catalogue answers this finding.",
                                           {}}));
  EXPECT_EQ(
      proposals_for(gradient("homa-ir", "HOMA-IR"), finding("homa-ir", Direction::above, RiskLevel::high), 0, {})
          .size(),
      1u);
}

TEST(Suggestions, NothingIsProposedForAFindingWithinItsTargetOrWithoutALevel) {
  const auto all = catalogue();
  EXPECT_TRUE(
      proposals_for(gradient("homa-ir", "HOMA-IR"), finding("homa-ir", Direction::within, RiskLevel::low), 0, all)
          .empty());
  Finding unassessed;  // no target range, or a level withdrawn by dose timing
  unassessed.gradient_code = "homa-ir";
  EXPECT_TRUE(proposals_for(gradient("homa-ir", "HOMA-IR"), unassessed, 0, all).empty());
}

// The analysis selects the proposals from its knowledge's catalogue, one set per finding outside its target.
TEST(Suggestions, TheAnalysisProposesFromItsCatalogue) {
  using namespace std::chrono;
  const sys_seconds as_of = sys_days{year{2024} / month{3} / day{2}};
  // A morning cortisol (14.5 ug/dL = 400.0 nmol/L) and DHEA-S (3300 nmol/L): a ratio of 0.121.
  const std::vector<fhir::Observation> panel{
      testing::lab_result("cort", "2143-6", 14.5, "ug/dL", "2024-03-01T08:10:00+01:00"),
      testing::lab_result("dheas", "14688-6", 3.3, "umol/L", "2024-03-01T08:12:00+01:00")};
  Suggestion repeat;
  repeat.id = "repeat-morning";
  repeat.gradients = {"cortisol-dheas-ratio"};
  repeat.kind = "ServiceRequest";
  repeat.title = "Repeat";
  repeat.time_of_day = {"08:00:00"};

  auto knowledge = testing::test_knowledge({testing::site_range(0.01, 0.05)});
  knowledge.suggestions = {repeat};
  const auto above = analyze(PatientFacts{}, panel, knowledge, as_of);
  ASSERT_EQ(above.findings.size(), 1u);
  ASSERT_EQ(above.findings[0].level, RiskLevel::high);
  EXPECT_EQ(above.finding_proposals,
            (std::vector<FindingProposal>{{0, "repeat-morning", "ServiceRequest", "Repeat", "", {"08:00:00"}}}));

  knowledge.suggestions.clear();
  const auto unanswered = analyze(PatientFacts{}, panel, knowledge, as_of);
  ASSERT_EQ(unanswered.finding_proposals.size(), 1u);
  EXPECT_EQ(unanswered.finding_proposals[0].title, "Review the " + unanswered.gradients[0].display + " finding");

  knowledge = testing::test_knowledge({testing::site_range(0.05, 0.2)});
  knowledge.suggestions = {repeat};
  const auto within = analyze(PatientFacts{}, panel, knowledge, as_of);
  ASSERT_EQ(within.findings[0].level, RiskLevel::low);
  EXPECT_TRUE(within.finding_proposals.empty());
}

TEST(Suggestions, ValidationNamesEveryProblem) {
  auto all = catalogue();
  all[1].id = "confirm";                     // duplicate
  all[1].gradients.emplace_back("no-such");  // unknown gradient
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
