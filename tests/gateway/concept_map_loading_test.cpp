// A site's own lab codes reach the catalogue through FHIR ConceptMaps in the terminology directory (issue 3,
// item 2). R4 ConceptMap: http://hl7.org/fhir/R4/conceptmap.html; equivalence codes:
// http://hl7.org/fhir/R4/valueset-concept-map-equivalence.html.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "analytics/normalise.hpp"
#include "gateway/config/knowledge_loader.hpp"

namespace gg::gateway {
namespace {

const std::string kConfig = std::string(GG_SOURCE_DIR) + "/config";
constexpr std::string_view kSite = "http://lab.example.org/codes";

std::string concept_map(const std::string& elements, const std::string& target = "http://loinc.org",
                        const std::string& status = "active") {
  return R"({"resourceType":"ConceptMap","url":"http://lab.example.org/ConceptMap/test","status":")" + status +
         R"(","group":[{"source":"http://lab.example.org/codes","target":")" + target + R"(","element":[)" +
         elements + "]}]}";
}

std::string element(const std::string& code, const std::string& loinc, const std::string& equivalence) {
  return R"({"code":")" + code + R"(","target":[{"code":")" + loinc + R"(","equivalence":")" + equivalence +
         R"("}]})";
}

class ConceptMapLoadingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           (std::string("gg-conceptmap-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::filesystem::copy(kConfig + "/terminology/analytes.yaml", dir_ / "analytes.yaml");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  KnowledgeLoad load() { return load_knowledge(dir_.string(), kConfig + "/rules"); }

  static std::string problems_text(const KnowledgeLoad& loaded) {
    std::string text;
    for (const auto& problem : loaded.error()) text += problem.location + ": " + problem.message + "\n";
    return text;
  }

  std::filesystem::path dir_;
};

fhir::Observation coded(std::string_view system, std::string_view code) {
  fhir::Observation observation;
  observation.id = "o1";
  observation.status = "final";
  observation.code.coding.push_back({std::string(system), "", std::string(code), ""});
  observation.subject.reference = "Patient/p1";
  observation.effective_date_time = "2026-03-01T08:00:00+01:00";
  observation.value_quantity = fhir::Quantity{14.5, "", "ug/dL", "http://unitsofmeasure.org", "ug/dL"};
  return observation;
}

TEST_F(ConceptMapLoadingTest, ShippedExampleMapLoadsAndMapsALocalCortisol) {
  auto loaded = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(loaded.has_value()) << problems_text(loaded);
  const auto& catalogue = loaded->knowledge.catalogue;
  const auto normalised =
      analytics::normalise(coded("http://lab.example.org/fhir/CodeSystem/test-codes", "CORT"), catalogue);
  ASSERT_TRUE(std::holds_alternative<analytics::Measurement>(normalised));
  const auto& measurement = std::get<analytics::Measurement>(normalised);
  EXPECT_EQ(measurement.analyte_id, "cortisol");
  EXPECT_EQ(measurement.loinc_code, "2143-6");
  EXPECT_EQ(measurement.local_code, "http://lab.example.org/fhir/CodeSystem/test-codes|CORT");
  // A narrower mapping in the same file does not map.
  EXPECT_TRUE(std::holds_alternative<analytics::NotHormone>(analytics::normalise(
      coded("http://lab.example.org/fhir/CodeSystem/test-codes", "STEROID-SCREEN"), catalogue)));
}

TEST_F(ConceptMapLoadingTest, OnlyEquivalencesThatMeanTheSameOrMoreMapAResult) {
  write("site.json",
        concept_map(element("A", "2143-6", "equivalent") + "," + element("B", "2143-6", "equal") + "," +
                    element("C", "2143-6", "wider") + "," + element("D", "2143-6", "subsumes") + "," +
                    element("E", "2143-6", "narrower") + "," + element("F", "2143-6", "inexact") + "," +
                    element("G", "2143-6", "relatedto") + "," + element("H", "2143-6", "disjoint")));
  auto loaded = load();
  ASSERT_TRUE(loaded.has_value()) << problems_text(loaded);
  const auto& catalogue = loaded->knowledge.catalogue;
  for (const char* code : {"A", "B", "C", "D"}) {
    EXPECT_TRUE(catalogue.find_local(kSite, code).has_value()) << code;
  }
  for (const char* code : {"E", "F", "G", "H"}) {
    EXPECT_FALSE(catalogue.find_local(kSite, code).has_value()) << code;
  }
}

TEST_F(ConceptMapLoadingTest, MappedLocalCodesJoinTheSubscriptionCriteriaAndTheDecoderFilter) {
  write("site.json", concept_map(element("CORT", "2143-6", "equivalent") + "," +
                                 element("WEIGHT", "29463-7", "equivalent")));  // body weight: not a hormone
  auto loaded = load();
  ASSERT_TRUE(loaded.has_value()) << problems_text(loaded);
  const auto codes = loaded->subscription_codes();
  const auto has = [&](std::string_view system, std::string_view code) {
    return std::find(codes.begin(), codes.end(), std::pair<std::string, std::string>{system, code}) != codes.end();
  };
  EXPECT_TRUE(has(kSite, "CORT"));
  EXPECT_FALSE(has(kSite, "WEIGHT"));  // mapped, but to a code the catalogue does not know
  const auto wanted = loaded->decode_options().observation_wanted;
  EXPECT_TRUE(wanted(fhir::CodeableConcept{{{std::string(kSite), "", "CORT", ""}}, ""}));
  EXPECT_FALSE(wanted(fhir::CodeableConcept{{{std::string(kSite), "", "WEIGHT", ""}}, ""}));
  EXPECT_FALSE(wanted(fhir::CodeableConcept{{{"http://other.example.org", "", "CORT", ""}}, ""}));
}

TEST_F(ConceptMapLoadingTest, RetiredMapIsIgnored) {
  write("site.json", concept_map(element("CORT", "2143-6", "equivalent"), "http://loinc.org", "retired"));
  auto loaded = load();
  ASSERT_TRUE(loaded.has_value()) << problems_text(loaded);
  EXPECT_FALSE(loaded->knowledge.catalogue.find_local(kSite, "CORT").has_value());
}

TEST_F(ConceptMapLoadingTest, ProblemsNameTheFileAndTheElement) {
  write("a-not-loinc.json", concept_map(element("CORT", "2143-6", "equivalent"), "http://snomed.info/sct"));
  write("b-bad-equivalence.json", concept_map(element("CORT", "2143-6", "same-ish")));
  write("c-bad-loinc.json", concept_map(element("CORT", "2143-7", "equivalent")));  // wrong check digit
  write("d-patient.json", R"({"resourceType":"Patient","id":"x"})");
  write("e-broken.json", R"({"resourceType":"ConceptMap","group":[)");
  auto loaded = load();
  EXPECT_FALSE(loaded.has_value());
  const std::string text = problems_text(loaded);
  EXPECT_NE(text.find("a-not-loinc.json (ConceptMap.group[0].target)"), std::string::npos) << text;
  EXPECT_NE(text.find("b-bad-equivalence.json (ConceptMap.group[0].element[0].target[0])"), std::string::npos)
      << text;
  EXPECT_NE(text.find("'same-ish' is not an R4 ConceptMapEquivalence"), std::string::npos) << text;
  EXPECT_NE(text.find("c-bad-loinc.json"), std::string::npos) << text;
  EXPECT_NE(text.find("d-patient.json: expected a ConceptMap, found Patient"), std::string::npos) << text;
  EXPECT_NE(text.find("e-broken.json"), std::string::npos) << text;
}

TEST_F(ConceptMapLoadingTest, OneLocalCodeMappedToTwoLoincCodesIsAProblem) {
  write("one.json", concept_map(element("CORT", "2143-6", "equivalent")));
  write("two.json", concept_map(element("CORT", "2191-5", "equivalent")));
  auto loaded = load();
  EXPECT_FALSE(loaded.has_value());
  EXPECT_NE(problems_text(loaded).find("mapped to both LOINC 2143-6 and 2191-5"), std::string::npos)
      << problems_text(loaded);
}

}  // namespace
}  // namespace gg::gateway
