// terminology/biological-variation.yaml: the CVs trends are judged with (issue 4, "Trends"), read strictly: each
// problem with its file, line, column and path. And the trends.z setting of the rules.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "analytics/trend.hpp"
#include "knowledge_test_support.hpp"

namespace gg::gateway {
namespace {

using testing::kConfig;

// One complete entry; `extra` is appended inside it, `id` and `specimen` replace the defaults.
std::string entry(const std::string& id = "cortisol", const std::string& specimen = "serum-plasma",
                  const std::string& cvi = "18", const std::string& extra = "") {
  return "  - id: " + id + "\n    specimen: " + specimen + "\n    cvi_percent: " + cvi +
         "\n    cvi_population: \"adults\"\n    cvi_source: \"Source A\"\n    cva_percent: 9\n"
         "    cva_source: \"Source B\"\n" +
         extra;
}

class BiologicalVariationLoadingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "terminology");
    std::filesystem::create_directories(dir_ / "rules");
    std::filesystem::copy(kConfig + "/terminology/analytes.yaml", dir_ / "terminology/analytes.yaml");
    std::filesystem::copy(kConfig + "/rules/gradients.yaml", dir_ / "rules/gradients.yaml");
  }
  void write_variation(const std::string& entries) {
    std::ofstream(dir_ / "terminology/biological-variation.yaml") << "version: 1\nanalytes:\n" << entries;
  }
  KnowledgeLoad load() { return load_knowledge((dir_ / "terminology").string(), (dir_ / "rules").string()); }

  static bool has_problem(const KnowledgeLoad& loaded, const std::string& location, const std::string& message) {
    for (const auto& problem : loaded.error()) {
      if (problem.location == location && problem.message.find(message) != std::string::npos) return true;
    }
    return false;
  }
  static std::string all(const KnowledgeLoad& loaded) { return testing::problems_text(loaded); }

  testing::ScratchDirectory scratch_{"variation"};
  const std::filesystem::path& dir_ = scratch_.path();
};

TEST_F(BiologicalVariationLoadingTest, ShippedFileIsReadIntoTheKnowledge) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value()) << all(loaded);
  const auto& variation = loaded->knowledge.biological_variation;
  // The shipped figures (config/terminology/biological-variation.yaml): serum cortisol CVi 18 %, CVa 9 %
  // (Guldhaug et al.); saliva cortisol CVi 34.1 %, CVa 15.4 % (Casals G et al., Clin Biochem 2011;44:665-8).
  const auto* serum =
      analytics::find_biological_variation(variation, "cortisol", analytics::Specimen::serum_plasma);
  ASSERT_NE(serum, nullptr);
  EXPECT_DOUBLE_EQ(serum->cvi_percent, 18);
  EXPECT_DOUBLE_EQ(serum->cva_percent, 9.0);
  EXPECT_NE(serum->cvi_source.find("Guldhaug"), std::string::npos);
  const auto* saliva = analytics::find_biological_variation(variation, "cortisol", analytics::Specimen::saliva);
  ASSERT_NE(saliva, nullptr);
  EXPECT_DOUBLE_EQ(saliva->cvi_percent, 34.1);
  EXPECT_DOUBLE_EQ(saliva->cva_percent, 15.4);
  EXPECT_DOUBLE_EQ(loaded->knowledge.rules.trends.z, 1.96);
}

TEST_F(BiologicalVariationLoadingTest, MenOnlyFiguresAreMarkedAndABadSexIsReported) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value()) << all(loaded);
  const auto& variation = loaded->knowledge.biological_variation;
  // Insulin: Clin Chem 1999;45:561, whose methods open "Six healthy male" (clinical review L7).
  for (const char* id : {"estradiol", "lh", "fsh", "insulin"}) {
    const auto* entry = analytics::find_biological_variation(variation, id, analytics::Specimen::serum_plasma);
    ASSERT_NE(entry, nullptr) << id;
    EXPECT_EQ(entry->sex, analytics::SexCriterion::male) << id;  // "healthy MEN" in cvi_population
  }
  write_variation(entry("cortisol", "serum-plasma", "18", "    sex: any\n"));
  auto bad = load();
  EXPECT_FALSE(bad.has_value());
  EXPECT_TRUE(has_problem(bad, "biological-variation.yaml:10:10 (analytes[0].sex)", "expected male or female"))
      << all(bad);
}

TEST_F(BiologicalVariationLoadingTest, MissingFileMeansNoVariationData) {
  auto loaded = load();
  ASSERT_TRUE(loaded.has_value()) << all(loaded);
  EXPECT_TRUE(loaded->knowledge.biological_variation.empty());
}

TEST_F(BiologicalVariationLoadingTest, UnknownKeyIsReportedWithFileLineAndPath) {
  write_variation(entry("cortisol", "serum-plasma", "18", "    cvi_note: x\n"));
  auto loaded = load();
  EXPECT_FALSE(loaded.has_value());
  EXPECT_TRUE(has_problem(loaded, "biological-variation.yaml:10:5 (analytes[0].cvi_note)", "unknown key"))
      << all(loaded);
}

TEST_F(BiologicalVariationLoadingTest, MissingRequiredKeyIsReported) {
  write_variation(
      "  - id: cortisol\n    specimen: serum-plasma\n    cvi_percent: 18\n    cva_percent: 9\n"
      "    cvi_population: adults\n    cvi_source: A\n");
  auto loaded = load();
  EXPECT_FALSE(loaded.has_value());
  EXPECT_TRUE(has_problem(loaded, "biological-variation.yaml:3:5 (analytes[0].cva_source)", "is missing"))
      << all(loaded);
}

TEST_F(BiologicalVariationLoadingTest, UnknownAnalyteAndSpecimenAreReported) {
  write_variation(entry("nosuch") + entry("cortisol", "sweat"));
  auto loaded = load();
  EXPECT_FALSE(loaded.has_value());
  EXPECT_TRUE(has_problem(loaded, "biological-variation.yaml:3:9 (analytes[0].id)", "unknown analyte 'nosuch'"))
      << all(loaded);
  EXPECT_TRUE(
      has_problem(loaded, "biological-variation.yaml:11:15 (analytes[1].specimen)", "expected serum-plasma"))
      << all(loaded);
}

TEST_F(BiologicalVariationLoadingTest, DuplicateAnalyteAndSpecimenIsReported) {
  write_variation(entry() + entry("cortisol", "saliva") + entry());
  auto loaded = load();
  EXPECT_FALSE(loaded.has_value());
  EXPECT_TRUE(
      has_problem(loaded, "biological-variation.yaml:17:5 (analytes[2])", "duplicate entry for 'cortisol'"))
      << all(loaded);
  EXPECT_EQ(loaded.error().size(), 1u) << all(loaded);
}

TEST_F(BiologicalVariationLoadingTest, NonPositivePercentIsReported) {
  write_variation(entry("cortisol", "serum-plasma", "0"));
  auto loaded = load();
  EXPECT_FALSE(loaded.has_value());
  EXPECT_TRUE(has_problem(loaded, "biological-variation.yaml:5:18 (analytes[0].cvi_percent)", "above 0"))
      << all(loaded);
}

TEST_F(BiologicalVariationLoadingTest, TrendZIsReadAndMustBePositive) {
  std::ofstream(dir_ / "rules/zz-site.yaml") << "version: 1\ntrends:\n  z: 2.58\n";
  auto loaded = load();
  ASSERT_TRUE(loaded.has_value()) << all(loaded);
  EXPECT_DOUBLE_EQ(loaded->knowledge.rules.trends.z, 2.58);

  std::ofstream(dir_ / "rules/zz-site.yaml") << "version: 1\ntrends:\n  z: -1\n  tails: 2\n";
  loaded = load();
  EXPECT_FALSE(loaded.has_value());
  EXPECT_TRUE(has_problem(loaded, "zz-site.yaml:3:6 (trends.z)", "above 0")) << all(loaded);
  EXPECT_TRUE(has_problem(loaded, "zz-site.yaml:4:3 (trends.tails)", "unknown key")) << all(loaded);
}

}  // namespace
}  // namespace gg::gateway
