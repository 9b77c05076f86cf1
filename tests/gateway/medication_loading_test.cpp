// config/terminology/medications.yaml: the shipped catalogue loads and recognises its medications; a broken file
// is refused with every problem's location (the schema at the top of the shipped file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "knowledge_test_support.hpp"

namespace gg::gateway {
namespace {

using testing::kConfig;
using testing::problems_text;

class MedicationLoadingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy(kConfig + "/terminology/analytes.yaml", scratch_.path() / "analytes.yaml");
  }
  KnowledgeLoad load(const std::string& medications) {
    std::ofstream(scratch_.path() / "medications.yaml") << medications;
    return load_knowledge(scratch_.path().string(), kConfig + "/rules");
  }
  testing::ScratchDirectory scratch_{"medications"};
};

TEST_F(MedicationLoadingTest, ShippedCatalogueLoadsTheHormoneMedications) {
  const auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.knowledge) << problems_text(loaded);
  const auto& medications = loaded.knowledge->knowledge.medications;
  for (const char* id : {"hydrocortisone", "prednisolone", "testosterone", "estradiol", "progesterone",
                         "levothyroxine", "liothyronine", "dhea"}) {
    const auto* medication = medications.find(id);
    ASSERT_NE(medication, nullptr) << id;
    EXPECT_FALSE(medication->routes.empty()) << id;
    for (const auto& route : medication->routes) {
      EXPECT_FALSE(route.interval_source.empty()) << id;
      if (route.peak_from_hours) {
        EXPECT_FALSE(route.peak_source.empty()) << id;  // a peak window cites its source
      }
    }
  }
  EXPECT_TRUE(medications.find("hydrocortisone")->glucocorticoid);
  EXPECT_FALSE(medications.find("testosterone")->glucocorticoid);
}

TEST_F(MedicationLoadingTest, AMissingFileMeansNoMedicationIsRecognised) {
  const auto loaded = load_knowledge(scratch_.path().string(), kConfig + "/rules");
  ASSERT_TRUE(loaded.knowledge) << problems_text(loaded);
  EXPECT_TRUE(loaded.knowledge->knowledge.medications.medications.empty());
}

TEST_F(MedicationLoadingTest, EveryProblemIsReportedWithItsPath) {
  const auto loaded = load(R"(version: 1
medications:
  - id: hydrocortisone
    display: Hydrocortisone
    affects: [cortisol, cortisol-ish]
    routes:
      - route: by-mouth
        dosing_interval_hours: 24
        interval_source: "label"
  - id: hydrocortisone
    display: Again
    affects: [cortisol]
    colour: blue
    routes:
      - route: oral
        peak_hours: [2, 1]
        peak_source: "label"
        dosing_interval_hours: 0
        interval_source: "label"
  - id: levothyroxine
    display: Levothyroxine
    affects: [t4-free]
    routes:
      - route: oral
        peak_source: "a source without a window"
        dosing_interval_hours: 24
)");
  EXPECT_FALSE(loaded.knowledge);
  const auto text = problems_text(loaded);
  for (const char* expected :
       {"medications[0].affects[1]", "unknown analyte 'cortisol-ish'", "medications[0].routes[0].route",
        "unknown route 'by-mouth'", "medications[1].id", "duplicate medication id", "medications[1].colour",
        "medications[1].routes[0].peak_hours", "medications[1].routes[0].dosing_interval_hours",
        "medications[2].routes[0].peak_source", "a peak_source without peak_hours",
        "medications[2].routes[0].interval_source"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

}  // namespace
}  // namespace gg::gateway
