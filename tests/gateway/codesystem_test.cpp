// config/terminology/gradient.codesystem.json, the published contract of the codes in
// http://gradient-gateway.dev/fhir/CodeSystem/gradient, agrees with the shipped rules both ways: every code the
// rules (and the components no rule names) can emit is a concept with its display, definition and unit, and no
// concept is orphaned. JSON is read with yaml-cpp (YAML 1.2 is a superset of JSON), as the loaders read YAML.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analytics/gradient_rules.hpp"
#include "knowledge_test_support.hpp"

namespace gg::gateway {
namespace {

using testing::kConfig;
using testing::problems_text;

struct Concept {
  std::string display;
  std::string definition;
  std::string kind;
  std::optional<std::string> unit;
};

class GradientCodeSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = YAML::LoadFile(kConfig + "/terminology/gradient.codesystem.json");
    for (const auto& node : root_["concept"]) {
      Concept c;
      c.display = node["display"].as<std::string>("");
      c.definition = node["definition"].as<std::string>("");
      for (const auto& property : node["property"]) {
        const auto code = property["code"].as<std::string>();
        if (code == "kind") c.kind = property["valueCode"].as<std::string>();
        if (code == "unit") c.unit = property["valueString"].as<std::string>();
      }
      const auto code = node["code"].as<std::string>();
      EXPECT_TRUE(concepts_.emplace(code, std::move(c)).second) << "duplicate concept " << code;
    }
    auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
    ASSERT_TRUE(loaded.has_value()) << problems_text(loaded);
    rules_ = loaded->knowledge.rules;
  }

  // Every code the shipped rules can write in the gradient system, gradients and components alike.
  std::set<std::string> emitted() const {
    std::set<std::string> codes;
    for (auto& code : analytics::gradient_codes(rules_)) codes.insert(std::move(code));
    for (const auto& rule : rules_.rhythms) {
      for (auto& code : analytics::rhythm_component_codes(rule)) codes.insert(std::move(code));
    }
    codes.insert(std::string(analytics::kHoursSinceDoseCode));
    for (const auto code : analytics::kTrendComponentCodes) codes.insert(std::string(code));
    return codes;
  }

  YAML::Node root_;
  std::map<std::string, Concept> concepts_;
  analytics::GradientRules rules_;
};

TEST_F(GradientCodeSystemTest, IsACompleteR4CodeSystemForTheGradientSystem) {
  EXPECT_EQ(root_["resourceType"].as<std::string>(), "CodeSystem");
  EXPECT_EQ(root_["url"].as<std::string>(), std::string(analytics::kGradientCodeSystem));
  EXPECT_EQ(root_["status"].as<std::string>(), "active");
  EXPECT_EQ(root_["content"].as<std::string>(), "complete");
  EXPECT_TRUE(root_["caseSensitive"].as<bool>());
  EXPECT_EQ(root_["count"].as<std::size_t>(), concepts_.size());
  for (const auto& [code, c] : concepts_) {
    EXPECT_FALSE(c.display.empty()) << code;
    EXPECT_FALSE(c.definition.empty()) << code;
    EXPECT_TRUE(c.kind == "ratio" || c.kind == "derived" || c.kind == "rhythm" || c.kind == "component") << code;
  }
}

TEST_F(GradientCodeSystemTest, EveryCodeTheRulesEmitIsAConcept) {
  for (const auto& code : emitted()) EXPECT_TRUE(concepts_.count(code)) << code << " is not in the CodeSystem";
}

TEST_F(GradientCodeSystemTest, NoConceptIsOrphaned) {
  const auto codes = emitted();
  for (const auto& [code, c] : concepts_) EXPECT_TRUE(codes.count(code)) << code << " is emitted by no rule";
}

TEST_F(GradientCodeSystemTest, RatioAndDerivedConceptsCarryTheRulesDisplayAndUnit) {
  for (const auto& rule : rules_.ratios) {
    ASSERT_TRUE(concepts_.count(rule.code)) << rule.code;
    EXPECT_EQ(concepts_.at(rule.code).display, rule.display);
    EXPECT_EQ(concepts_.at(rule.code).kind, "ratio");
  }
  for (const auto& rule : rules_.derived) {
    ASSERT_TRUE(concepts_.count(rule.code)) << rule.code;
    EXPECT_EQ(concepts_.at(rule.code).display, rule.display);
    EXPECT_EQ(concepts_.at(rule.code).kind, "derived");
  }
}

TEST_F(GradientCodeSystemTest, EveryGradientConceptStatesTheUnitItsRuleReportsIn) {
  for (const auto& code : analytics::gradient_codes(rules_)) {
    ASSERT_TRUE(concepts_.count(code)) << code;
    EXPECT_EQ(concepts_.at(code).unit, analytics::gradient_unit(rules_, code)) << code;
  }
  for (const auto& rule : rules_.rhythms) {
    for (const auto output :
         {analytics::RhythmOutput::cosinor_residual_standard_error, analytics::RhythmOutput::cosinor_p_value}) {
      if (rule.kind != analytics::RhythmRule::Kind::cosinor) continue;
      const auto code = analytics::rhythm_code(rule, output);
      ASSERT_TRUE(concepts_.count(code)) << code;
      EXPECT_EQ(concepts_.at(code).unit, analytics::rhythm_unit(rule, output)) << code;
      EXPECT_EQ(concepts_.at(code).kind, "component") << code;
    }
  }
}

}  // namespace
}  // namespace gg::gateway
