#include "analytics/knowledge.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using testing::site_range;
using testing::test_knowledge;

bool has_problem_at(const std::vector<KnowledgeProblem>& problems, std::string_view path) {
  return std::any_of(problems.begin(), problems.end(), [&](const auto& p) { return p.path == path; });
}

TEST(LoincCheckDigit, AcceptsTheCataloguedCodes) {
  // Codes and long common names checked against published LOINC listings (see config/terminology/analytes.yaml).
  for (const char* code : {"2143-6", "14675-3", "2142-8", "51844-9", "2191-5", "14688-6", "83090-1"}) {
    SCOPED_TRACE(code);
    EXPECT_TRUE(loinc_check_digit_valid(code));
  }
}

TEST(LoincCheckDigit, RejectsWrongCheckDigitsAndMalformedCodes) {
  for (const char* code : {"14675-0", "83090-8", "2191-4", "2143", "2143-", "-6", "21a3-6", "2143-66", ""}) {
    SCOPED_TRACE(code);
    EXPECT_FALSE(loinc_check_digit_valid(code));
  }
}

TEST(Knowledge, TestKnowledgeIsValid) {
  const auto problems = validate_knowledge(test_knowledge({site_range(0.05, 0.2)}));
  for (const auto& problem : problems) ADD_FAILURE() << problem.path << ": " << problem.message;
}

TEST(Catalogue, IndexesLoincCodes) {
  const auto knowledge = test_knowledge();
  const auto match = knowledge.catalogue.find_loinc("14688-6");
  ASSERT_TRUE(match);
  EXPECT_EQ(match->analyte->id, "dhea-s");
  EXPECT_EQ(match->code->property, LoincProperty::substance_concentration);
  EXPECT_FALSE(knowledge.catalogue.find_loinc("2345-7"));
  EXPECT_EQ(knowledge.catalogue.loinc_codes(),
            (std::vector<std::string>{"14675-3", "14688-6", "2142-8", "2143-6", "2191-5", "51844-9", "83090-1"}));
}

TEST(Catalogue, ReportsDuplicateCodesAndIds) {
  auto twice = testing::cortisol();
  const std::vector<Analyte> analytes = {testing::cortisol(), twice};
  const auto problems = validate_catalogue(analytes);
  EXPECT_TRUE(has_problem_at(problems, "analytes[1].id"));
  EXPECT_TRUE(has_problem_at(problems, "analytes[1].loinc[0].code"));
}

TEST(Catalogue, ReportsBadCheckDigitAndMissingSource) {
  auto analyte = testing::cortisol();
  analyte.loinc[1].code = "14675-0";
  analyte.molar_mass->source.clear();
  const std::vector<Analyte> analytes = {analyte};
  const auto problems = validate_catalogue(analytes);
  EXPECT_TRUE(has_problem_at(problems, "analytes[0].loinc[1].code"));
  EXPECT_TRUE(has_problem_at(problems, "analytes[0].molar_mass.source"));
}

TEST(Catalogue, ReportsAcceptedUnitThatCannotReachCanonicalUnit) {
  auto analyte = testing::cortisol();
  analyte.accepted_units.push_back("[IU]/L");
  analyte.accepted_units.push_back("mcg/dL");  // free text, not UCUM
  const std::vector<Analyte> analytes = {analyte};
  const auto problems = validate_catalogue(analytes);
  EXPECT_TRUE(has_problem_at(problems, "analytes[0].accepted_units[7]"));
  EXPECT_TRUE(has_problem_at(problems, "analytes[0].accepted_units[8]"));
}

TEST(Catalogue, ReportsMassCodeWithoutMolarMassForMolarCanonicalUnit) {
  auto analyte = testing::cortisol();
  analyte.molar_mass.reset();
  analyte.accepted_units = {"nmol/L"};
  const std::vector<Analyte> analytes = {analyte};
  const auto problems = validate_catalogue(analytes);
  EXPECT_TRUE(has_problem_at(problems, "analytes[0].loinc[0].property"));
  EXPECT_FALSE(has_problem_at(problems, "analytes[0].loinc[1].property"));
}

TEST(Knowledge, ReportsRuleNamingUnknownAnalyte) {
  auto knowledge = test_knowledge();
  knowledge.rules.ratios[0].denominator = "dhea";
  EXPECT_TRUE(has_problem_at(validate_knowledge(knowledge), "ratios[0].denominator"));
}

// RatioRule::numerator_timings name timings as analytes.yaml writes them; one that no code of the numerator
// carries would silently admit no result by its code.
TEST(Knowledge, ReportsANumeratorTimingThatNoCodeOfTheAnalyteCarries) {
  auto knowledge = test_knowledge();
  Analyte cortisol = testing::cortisol();
  // LOINC 14679-5, "--AM peak specimen" (config/terminology/analytes.yaml, timing am).
  cortisol.loinc.push_back({"14679-5", "Cortisol [Moles/volume] in Serum or Plasma --AM peak specimen",
                            LoincProperty::substance_concentration, Specimen::serum_plasma, "am", ""});
  knowledge.catalogue = Catalogue({cortisol, testing::dhea_s()});
  knowledge.rules.ratios[0].numerator_timings = {"am"};
  EXPECT_FALSE(has_problem_at(validate_knowledge(knowledge), "ratios[0].numerator_timing"));
  knowledge.rules.ratios[0].numerator_timings = {"AM"};
  EXPECT_TRUE(has_problem_at(validate_knowledge(knowledge), "ratios[0].numerator_timing"));
}

TEST(Knowledge, ReportsRuleWhoseInputUnitCannotHoldTheAnalyte) {
  auto knowledge = test_knowledge();
  knowledge.rules.ratios[0].input_unit = "ug/dL";  // a molar ratio needs molar inputs
  const auto problems = validate_knowledge(knowledge);
  EXPECT_TRUE(has_problem_at(problems, "ratios[0].numerator"));
  EXPECT_TRUE(has_problem_at(problems, "ratios[0].denominator"));
}

TEST(Knowledge, ReportsTargetRangeWithoutSource) {
  auto range = site_range(0.05, 0.2);
  range.source.clear();
  EXPECT_TRUE(has_problem_at(validate_knowledge(test_knowledge({range})), "target_ranges[0].source"));
}

TEST(Knowledge, ReportsTargetRangeWithoutBoundsOrInverted) {
  auto no_bounds = site_range(0.05, 0.2);
  no_bounds.low.reset();
  no_bounds.high.reset();
  auto inverted = site_range(0.3, 0.2);
  const auto problems = validate_knowledge(test_knowledge({no_bounds, inverted}));
  EXPECT_TRUE(has_problem_at(problems, "target_ranges[0]"));
  EXPECT_TRUE(has_problem_at(problems, "target_ranges[1].low"));
}

TEST(Knowledge, ReportsTargetRangeForUnknownGradient) {
  auto range = site_range(0.05, 0.2);
  range.gradient_code = "cortisol-dhea-ratio";
  EXPECT_TRUE(has_problem_at(validate_knowledge(test_knowledge({range})), "target_ranges[0].gradient"));
}

TEST(Knowledge, ReportsOverlappingAgeBandsForTheSameSex) {
  const auto problems =
      validate_knowledge(test_knowledge({site_range(0.1, 0.2, SexCriterion::male, AgeBand{18, 50}),
                                         site_range(0.1, 0.3, SexCriterion::male, AgeBand{40, 60}),
                                         site_range(0.1, 0.3, SexCriterion::female, AgeBand{40, 60}),
                                         site_range(0.1, 0.3, SexCriterion::male, AgeBand{60, {}})}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "target_ranges[1].age");
}

}  // namespace
}  // namespace gg::analytics
