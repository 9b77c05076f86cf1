#include "gateway/knowledge_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gg::gateway {
namespace {

const std::string kConfig = std::string(GG_SOURCE_DIR) + "/config";

class KnowledgeLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           (std::string("gg-knowledge-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "rules");
    std::filesystem::copy(kConfig + "/rules/gradients.yaml", dir_ / "rules/gradients.yaml");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write_rule(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / "rules" / name) << text;
  }
  KnowledgeLoad load() { return load_knowledge(kConfig + "/terminology", (dir_ / "rules").string()); }

  std::filesystem::path dir_;
};

TEST_F(KnowledgeLoaderTest, ShippedConfigurationLoadsWithoutProblems) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.problems.empty()) << loaded.problems[0].location << ": " << loaded.problems[0].message;
  const auto& knowledge = loaded.knowledge->knowledge;
  EXPECT_NE(knowledge.catalogue.find("cortisol"), nullptr);
  EXPECT_NE(knowledge.catalogue.find("dhea-s"), nullptr);
  std::vector<std::string> codes;
  for (const auto& rule : knowledge.rules.ratios) codes.push_back(rule.code);
  // The ratio codes of the contract (shared/ARCHITECTURE.md and the analytics issue).
  EXPECT_EQ(codes, (std::vector<std::string>{"cortisol-dheas-ratio", "testosterone-estradiol-ratio",
                                             "free-t3-reverse-t3-ratio", "lh-fsh-ratio",
                                             "progesterone-estradiol-ratio", "cortisol-cortisone-ratio"}));
  EXPECT_EQ(knowledge.rules.ratios[0].code, "cortisol-dheas-ratio");
  EXPECT_EQ(knowledge.rules.ratios[0].window, std::chrono::hours(24));
  EXPECT_EQ(loaded.knowledge->rule_set_id, "gradient-gateway-default");
}

TEST_F(KnowledgeLoaderTest, SubscriptionCodesAreTheCataloguesLoincCodes) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.knowledge);
  auto codes = loaded.knowledge->subscription_codes();
  EXPECT_NE(
      std::find(codes.begin(), codes.end(), std::pair<std::string, std::string>{"http://loinc.org", "2143-6"}),
      codes.end());
  EXPECT_NE(
      std::find(codes.begin(), codes.end(), std::pair<std::string, std::string>{"http://loinc.org", "2191-5"}),
      codes.end());
}

TEST_F(KnowledgeLoaderTest, DecodeOptionsWantOnlyCatalogueCodes) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.knowledge);
  auto wanted = loaded.knowledge->decode_options().observation_wanted;
  EXPECT_TRUE(wanted(fhir::CodeableConcept{{{"http://loinc.org", "", "2143-6", ""}}, ""}));
  EXPECT_FALSE(wanted(fhir::CodeableConcept{{{"http://loinc.org", "", "8867-4", ""}}, ""}));  // heart rate
  EXPECT_FALSE(wanted(fhir::CodeableConcept{{{"urn:local", "", "2143-6", ""}}, ""}));
}

TEST_F(KnowledgeLoaderTest, SiteRangeFileIsJoinedToTheShippedRules) {
  write_rule("site.yaml",
             "version: 1\ntarget_ranges:\n  - gradient: cortisol-dheas-ratio\n    low: 0.02\n    high: 0.2\n"
             "    source: \"Site protocol X\"\n");
  auto loaded = load();
  ASSERT_TRUE(loaded.problems.empty()) << loaded.problems[0].location << ": " << loaded.problems[0].message;
  const auto& ranges = loaded.knowledge->knowledge.assessment.target_ranges;
  ASSERT_FALSE(ranges.empty());
  EXPECT_EQ(ranges.back().gradient_code, "cortisol-dheas-ratio");  // after the shipped ones (file name order)
  EXPECT_EQ(ranges.back().source, "Site protocol X");
}

TEST_F(KnowledgeLoaderTest, RangeWithoutSourceIsRefused) {
  write_rule("site.yaml", "version: 1\ntarget_ranges:\n  - gradient: cortisol-dheas-ratio\n    high: 0.2\n");
  auto loaded = load();
  EXPECT_FALSE(loaded.knowledge);
  ASSERT_FALSE(loaded.problems.empty());
  EXPECT_NE(loaded.problems[0].location.find("target_ranges[0]"), std::string::npos)
      << loaded.problems[0].location;
}

TEST_F(KnowledgeLoaderTest, UnknownKeyIsReportedWithFileLineAndPath) {
  write_rule("site.yaml", "version: 1\nratios: []\ntarget_range: []\n");
  auto loaded = load();
  ASSERT_EQ(loaded.problems.size(), 1u);
  EXPECT_EQ(loaded.problems[0].location, "site.yaml:3:1 (target_range)");
}

TEST_F(KnowledgeLoaderTest, RatioNamingAnUnknownAnalyteIsReported) {
  write_rule("site.yaml",
             "version: 1\nratios:\n  - code: x-ratio\n    display: X\n    numerator: cortisol\n"
             "    denominator: nosuch\n");
  auto loaded = load();
  ASSERT_FALSE(loaded.problems.empty());
  EXPECT_NE(loaded.problems[0].location.find("denominator"), std::string::npos);
}

}  // namespace
}  // namespace gg::gateway
