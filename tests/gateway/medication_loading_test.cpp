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
  ASSERT_TRUE(loaded.has_value()) << problems_text(loaded);
  const auto& medications = loaded->knowledge.medications;
  for (const char* id : {"hydrocortisone", "prednisolone", "testosterone", "estradiol", "progesterone",
                         "levothyroxine", "liothyronine", "dhea", "insulin"}) {
    const auto* medication = medications.find(id);
    ASSERT_NE(medication, nullptr) << id;
    EXPECT_FALSE(medication->routes.empty()) << id;
    for (const auto& route : medication->routes) {
      EXPECT_FALSE(route.interval_source.empty()) << id;
      if (route.peak_from_hours) {
        EXPECT_FALSE(route.peak_source.empty()) << id;  // a peak window cites its source
      }
      if (route.sampling) {
        EXPECT_FALSE(route.sampling->source.empty()) << id;  // so does a sampling time
        EXPECT_FALSE(route.sampling->advice.empty()) << id;
      }
    }
  }
  EXPECT_TRUE(medications.find("hydrocortisone")->glucocorticoid);
  EXPECT_FALSE(medications.find("testosterone")->glucocorticoid);
}

// Issue 8: the shipped data carry the clinical review's fixes (H1, M6, M8, M9, L10, L11).
TEST_F(MedicationLoadingTest, ShippedCatalogueCarriesSamplingWindowsAndInterpretations) {
  const auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value()) << problems_text(loaded);
  const auto& medications = loaded->knowledge.medications;
  const auto entry = [&](const char* id, analytics::Route route,
                         std::vector<std::string> forms) -> const analytics::MedicationRoute& {
    for (const auto& candidate : medications.find(id)->routes) {
      if (candidate.route == route && candidate.forms == forms) return candidate;
    }
    ADD_FAILURE() << id << " has no such route entry";
    return medications.find(id)->routes.front();
  };
  using analytics::Route;
  using analytics::SamplingTime;
  // H1: testosterone's IM peak cites Nankin 1987 and its sample is mid-interval; the gel's is 2-8 h after
  // application (Bhasin 2018), the patch's 3-12 h (Bhasin 2010); a gel recorded "topical" is transdermal.
  const auto& injection = entry("testosterone", Route::intramuscular, {});
  EXPECT_NE(injection.peak_source.find("Nankin HR, Fertil Steril 1987;47:1004-1009"), std::string::npos);
  EXPECT_EQ(injection.peak_source.find("label"), std::string::npos);
  ASSERT_TRUE(injection.sampling);
  EXPECT_EQ(injection.sampling->at, SamplingTime::mid_interval);
  EXPECT_GT(injection.sampling->site_tolerance_fraction, 0);
  const auto& gel = entry("testosterone", Route::transdermal, {"gel", "androgel", "testogel"});
  ASSERT_TRUE(gel.sampling);
  EXPECT_EQ(gel.sampling->at, SamplingTime::after_dose);
  EXPECT_EQ(gel.sampling->from_hours, 2.0);
  EXPECT_EQ(gel.sampling->to_hours, 8.0);
  EXPECT_FALSE(gel.peak_from_hours);  // 2-8 h is when to sample, not a peak to avoid
  EXPECT_EQ(gel.recorded_as, (std::vector<Route>{Route::topical}));
  const auto& patch = entry("testosterone", Route::transdermal, {"patch"});
  EXPECT_EQ(patch.sampling->from_hours, 3.0);
  EXPECT_EQ(patch.sampling->to_hours, 12.0);
  for (const char* id : {"levothyroxine", "liothyronine", "hydrocortisone"}) {
    EXPECT_EQ(entry(id, Route::oral, {}).sampling->at, SamplingTime::pre_dose) << id;
  }
  // M6: only hydrocortisone and prednisolone drop local products by name.
  for (const auto& medication : medications.medications) {
    const bool local = medication.id == "hydrocortisone" || medication.id == "prednisolone";
    EXPECT_EQ(!medication.local_product_words.empty(), local) << medication.id;
  }
  // M8 and M9: insulin makes insulin (HOMA-IR) uninterpretable; prednisolone cortisol, and is no dose curve.
  ASSERT_TRUE(medications.find("insulin")->not_assessed);
  EXPECT_EQ(medications.find("insulin")->not_assessed->analytes, (std::vector<std::string>{"insulin"}));
  const auto* prednisolone = medications.find("prednisolone");
  EXPECT_FALSE(prednisolone->glucocorticoid);
  ASSERT_TRUE(prednisolone->not_assessed);
  EXPECT_EQ(
      prednisolone->not_assessed->reason.rfind("interpret with care: glucocorticoid other than hydrocortisone", 0),
      0u);
  // L10: a recorded hydrocortisone dose covers 8 h (2-3 doses a day); L11: estradiol patches 84 h, gels 24 h.
  EXPECT_EQ(entry("hydrocortisone", Route::oral, {}).dosing_interval_hours, 8);
  EXPECT_EQ(entry("estradiol", Route::transdermal, {"patch"}).dosing_interval_hours, 84);
  EXPECT_EQ(entry("estradiol", Route::transdermal, {"gel", "spray", "emulsion"}).dosing_interval_hours, 24);
}

TEST_F(MedicationLoadingTest, AMissingFileMeansNoMedicationIsRecognised) {
  const auto loaded = load_knowledge(scratch_.path().string(), kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value()) << problems_text(loaded);
  EXPECT_TRUE(loaded->knowledge.medications.medications.empty());
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
    not_assessed:
      analytes: [cortisol]
      reason: "r"
    routes:
      - route: oral
        peak_source: "a source without a window"
        dosing_interval_hours: 24
        recorded_as: [by-skin]
        sampling:
          at: whenever
  - id: testosterone
    display: Testosterone
    affects: [testosterone]
    routes:
      - route: transdermal
        sampling: {at: after-dose, advice: "2-8 h after applying the gel", source: "s"}
        dosing_interval_hours: 24
        interval_source: "label"
      - route: intramuscular
        sampling: {at: mid-interval, hours: [1, 2], site_tolerance_fraction: 0.6, advice: "a", source: "s"}
        dosing_interval_hours: 336
        interval_source: "label"
)");
  EXPECT_FALSE(loaded.has_value());
  const auto text = problems_text(loaded);
  for (const char* expected : {"medications[0].affects[1]",
                               "unknown analyte 'cortisol-ish'",
                               "medications[0].routes[0].route",
                               "unknown route 'by-mouth'",
                               "medications[1].id",
                               "duplicate medication id",
                               "medications[1].colour",
                               "medications[1].routes[0].peak_hours",
                               "medications[1].routes[0].dosing_interval_hours",
                               "medications[2].routes[0].peak_source",
                               "a peak_source without peak_hours",
                               "medications[2].routes[0].interval_source",
                               "medications[2].not_assessed.analytes[0]",
                               "'cortisol' is not in this medication's affects",
                               "medications[2].not_assessed.source",
                               "medications[2].routes[0].recorded_as[0]",
                               "unknown route 'by-skin'",
                               "medications[2].routes[0].sampling.at",
                               "unknown sampling time 'whenever'",
                               "medications[3].routes[0].sampling.hours",
                               "an after-dose window needs hours",
                               "medications[3].routes[1].sampling.hours",
                               "hours belong to an after-dose window only",
                               "medications[3].routes[1].sampling.site_tolerance_fraction",
                               "greater than 0 and less than 0.5"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

}  // namespace
}  // namespace gg::gateway

namespace gg::gateway {
namespace {

// The top-level list of local product words became per medication (clinical review M6): an old file is told so.
TEST_F(MedicationLoadingTest, ATopLevelLocalProductListIsRefusedWithWhereItWent) {
  const auto loaded = load(R"(version: 1
local_product_words: [cream]
medications: []
)");
  EXPECT_FALSE(loaded.has_value());
  EXPECT_NE(problems_text(loaded).find("local_product_words is now per medication"), std::string::npos)
      << problems_text(loaded);
}

}  // namespace
}  // namespace gg::gateway
