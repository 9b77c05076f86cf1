#include "analytics/unit_conversion.hpp"

#include <gtest/gtest.h>

#include <string>

#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using testing::text_quantity;
using testing::ucum_quantity;

constexpr double kCortisolGPerMol = 362.46;  // C21H30O5, PubChem CID 5754
constexpr double kDheasGPerMol = 368.49;     // C19H28O5S, PubChem CID 12594

struct PublishedFactor {
  const char* what;
  double molar_mass_g_per_mol;
  const char* from;
  const char* to;
  double factor;  // 1 `from` = factor `to`
};

// Published conventional-to-SI factors: Young DS, "Implementation of SI units for clinical laboratory data", Ann
// Intern Med 1987;106:114-129 (reproduced in the AMA Manual of Style, 11th ed., section 17.5 "SI conversion
// table"): cortisol ug/dL x 27.59 = nmol/L; DHEA sulfate ug/dL x 0.02714 = umol/L. The other rows follow from
// those by powers of ten only (1 ug/mL = 1 mg/L = 100 ug/dL, 1 umol/L = 1000 nmol/L, 1 ng/mL = 1 ug/L = 0.1
// ug/dL).
const PublishedFactor kPublishedFactors[] = {
    {"cortisol ug/dL -> nmol/L (Young 1987)", kCortisolGPerMol, "ug/dL", "nmol/L", 27.59},
    {"cortisol nmol/L -> ug/dL (Young 1987, inverse)", kCortisolGPerMol, "nmol/L", "ug/dL", 1 / 27.59},
    {"cortisol ug/L -> nmol/L", kCortisolGPerMol, "ug/L", "nmol/L", 2.759},
    {"cortisol ng/mL -> nmol/L", kCortisolGPerMol, "ng/mL", "nmol/L", 2.759},
    {"cortisol nmol/L -> ng/mL", kCortisolGPerMol, "nmol/L", "ng/mL", 1 / 2.759},
    {"cortisol umol/L -> ug/dL", kCortisolGPerMol, "umol/L", "ug/dL", 1000 / 27.59},
    {"DHEA-S ug/dL -> umol/L (Young 1987)", kDheasGPerMol, "ug/dL", "umol/L", 0.02714},
    {"DHEA-S umol/L -> ug/dL (Young 1987, inverse)", kDheasGPerMol, "umol/L", "ug/dL", 1 / 0.02714},
    {"DHEA-S ug/dL -> nmol/L", kDheasGPerMol, "ug/dL", "nmol/L", 27.14},
    {"DHEA-S ug/mL -> umol/L", kDheasGPerMol, "ug/mL", "umol/L", 2.714},
    {"DHEA-S umol/L -> ug/mL", kDheasGPerMol, "umol/L", "ug/mL", 1 / 2.714},
    {"DHEA-S nmol/L -> ug/dL", kDheasGPerMol, "nmol/L", "ug/dL", 1 / 27.14},
    {"DHEA-S mg/L -> umol/L", kDheasGPerMol, "mg/L", "umol/L", 2.714},
};

TEST(UnitConversion, MatchesPublishedFactorsWithinOneTenthPercent) {
  for (const auto& row : kPublishedFactors) {
    SCOPED_TRACE(row.what);
    const auto result = convert_quantity(ucum_quantity(1.0, row.from), row.to, row.molar_mass_g_per_mol);
    ASSERT_TRUE(result.ok()) << result.rejection->message;
    EXPECT_NEAR(result.value->value, row.factor, row.factor * 0.001);
    EXPECT_EQ(result.value->unit, row.to);
  }
}

TEST(UnitConversion, RoundTripsMassToSubstanceAndBack) {
  const auto there = convert_quantity(ucum_quantity(14.5, "ug/dL"), "nmol/L", kCortisolGPerMol);
  ASSERT_TRUE(there.ok());
  const auto back = convert_quantity(ucum_quantity(there.value->value, "nmol/L"), "ug/dL", kCortisolGPerMol);
  ASSERT_TRUE(back.ok());
  EXPECT_NEAR(back.value->value, 14.5, 1e-9);
}

struct Spelling {
  const char* unit;
};

// The free-text spellings labs use for micrograms per decilitre, and capitals from HL7 v2 feeds.
const Spelling kMicrogramPerDecilitreSpellings[] = {
    {"ug/dL"}, {"ug/dl"}, {"\u00b5g/dL"}, {"\u03bcg/dL"}, {"mcg/dL"}, {"UG/DL"}, {"MCG/DL"}, {" ug / dL "},
};

TEST(UnitConversion, ReadsLabSpellingsOfMicrogramsInFreeText) {
  for (const auto& spelling : kMicrogramPerDecilitreSpellings) {
    SCOPED_TRACE(spelling.unit);
    const auto result = convert_quantity(text_quantity(1.0, spelling.unit), "nmol/L", kCortisolGPerMol);
    ASSERT_TRUE(result.ok()) << result.rejection->message;
    EXPECT_NEAR(result.value->value, 27.59, 27.59 * 0.001);
  }
}

TEST(UnitConversion, ReadsCapitalisedMolarUnitInFreeText) {
  const auto result = convert_quantity(text_quantity(400, "NMOL/L"), "nmol/L", kCortisolGPerMol);
  ASSERT_TRUE(result.ok());
  EXPECT_DOUBLE_EQ(result.value->value, 400);
}

TEST(UnitConversion, PrefersUcumCodeOverFreeTextUnit) {
  fhir::Quantity quantity = ucum_quantity(400, "nmol/L");
  quantity.unit = "ug/dL";  // the display text disagrees; the computable code wins
  const auto result = convert_quantity(quantity, "nmol/L", kCortisolGPerMol);
  ASSERT_TRUE(result.ok());
  EXPECT_DOUBLE_EQ(result.value->value, 400);
}

TEST(UnitConversion, UsesFreeTextWhenSystemIsNotUcum) {
  fhir::Quantity quantity = text_quantity(1.0, "ug/dL");
  quantity.system = "http://example.org/local-units";
  quantity.code = "UGDL";
  const auto result = convert_quantity(quantity, "nmol/L", kCortisolGPerMol);
  ASSERT_TRUE(result.ok());
  EXPECT_NEAR(result.value->value, 27.59, 0.03);
}

TEST(UnitConversion, RejectsLabSpellingInUcumCode) {
  // "mcg" is not UCUM: a UCUM code is read strictly and never second-guessed from the text.
  const auto result = convert_quantity(ucum_quantity(1.0, "mcg/dL"), "nmol/L", kCortisolGPerMol);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::unknown_unit);
  EXPECT_EQ(result.rejection->element, "code");
}

TEST(UnitConversion, RejectsInternationalUnitsForSubstanceConcentration) {
  const auto result = convert_quantity(ucum_quantity(5.0, "[IU]/L"), "nmol/L", kCortisolGPerMol);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::incompatible_dimension);
  EXPECT_NE(result.rejection->message.find("arbitrary-unit concentration"), std::string::npos);
}

TEST(UnitConversion, RejectsFreeTextIuPerLitreAsIncompatible) {
  const auto result = convert_quantity(text_quantity(5.0, "IU/L"), "nmol/L", kCortisolGPerMol);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::incompatible_dimension);
}

TEST(UnitConversion, RejectsUnknownUnit) {
  const auto result = convert_quantity(text_quantity(5.0, "furlongs"), "nmol/L", kCortisolGPerMol);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::unknown_unit);
  EXPECT_EQ(result.rejection->element, "unit");
}

TEST(UnitConversion, RejectsMassUnitWithoutVolume) {
  const auto result = convert_quantity(ucum_quantity(5.0, "ug"), "nmol/L", kCortisolGPerMol);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::incompatible_dimension);
}

TEST(UnitConversion, RejectsMissingValue) {
  fhir::Quantity quantity = ucum_quantity(1.0, "nmol/L");
  quantity.value.reset();
  const auto result = convert_quantity(quantity, "nmol/L", kCortisolGPerMol);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::missing_value);
  EXPECT_EQ(result.rejection->element, "value");
}

TEST(UnitConversion, RejectsMissingUnit) {
  fhir::Quantity quantity;
  quantity.value = 1.0;
  const auto result = convert_quantity(quantity, "nmol/L", kCortisolGPerMol);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::missing_unit);
}

TEST(UnitConversion, RejectsMassToSubstanceWithoutMolarMass) {
  const auto result = convert_quantity(ucum_quantity(1.0, "ug/dL"), "nmol/L", std::nullopt);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::no_molar_mass);
}

TEST(UnitConversion, RescalesWithinOneDimensionWithoutMolarMass) {
  const auto result = convert_quantity(ucum_quantity(2.5, "umol/L"), "nmol/L", std::nullopt);
  ASSERT_TRUE(result.ok());
  EXPECT_DOUBLE_EQ(result.value->value, 2500);
}

struct Equivalent {
  const char* a;
  const char* b;
};

// Different UCUM spellings of one unit (UCUM section 2: '.', '/', exponents, annotations, parentheses).
const Equivalent kEquivalentUnits[] = {
    {"nmol/L", "nmol.L-1"}, {"ug/dL", "10.ug/L"},   {"ug/dL", "ug{total}/dL"},
    {"nmol/L", "(nmol/L)"}, {"mmol/L", "umol/mL"},  {"ng/mL", "ug/L"},
    {"/L", "L-1"},          {"mol/m3", "mmol/L"},   {"ug/dL", "ug/(dL)"},
    {"nmol/L", "nmol/l"},   {"m[IU]/mL", "[IU]/L"}, {"10*3/L", "1000/L"},
};

TEST(UnitParser, ReadsEquivalentUcumSpellingsAsTheSameUnit) {
  for (const auto& row : kEquivalentUnits) {
    SCOPED_TRACE(std::string(row.a) + " == " + row.b);
    const auto a = parse_unit(row.a, UnitDialect::ucum);
    const auto b = parse_unit(row.b, UnitDialect::ucum);
    ASSERT_TRUE(a.unit) << a.error;
    ASSERT_TRUE(b.unit) << b.error;
    EXPECT_TRUE(same_unit(*a.unit, *b.unit));
  }
}

TEST(UnitParser, RejectsMalformedUnits) {
  for (const char* text :
       {"", "ug//dL", "ug/", "[IU", "ug{x", "(ug/L", "ug/dL)", "xyz/L", "ug/dL3x", "m99", "Mcg/dL"}) {
    SCOPED_TRACE(text);
    const auto parsed = parse_unit(text, UnitDialect::ucum);
    EXPECT_FALSE(parsed.unit);
    EXPECT_FALSE(parsed.error.empty());
  }
}

TEST(UnitParser, RefusesDeepNestingAndOverlongInput) {
  EXPECT_FALSE(parse_unit(std::string(40, '(') + "g" + std::string(40, ')'), UnitDialect::ucum).unit);
  EXPECT_FALSE(parse_unit(std::string(65, 'g'), UnitDialect::ucum).unit);
  EXPECT_TRUE(parse_unit("((ug))/((dL))", UnitDialect::ucum).unit);
}

TEST(UnitParser, DescribesConcentrationDimensions) {
  EXPECT_EQ(describe(parse_unit("ug/dL", UnitDialect::ucum).unit->dimension), "mass concentration");
  EXPECT_EQ(describe(parse_unit("nmol/L", UnitDialect::ucum).unit->dimension), "substance concentration");
  EXPECT_EQ(describe(parse_unit("[IU]/L", UnitDialect::ucum).unit->dimension), "arbitrary-unit concentration");
}

TEST(UnitParser, QuotesUnitTextBoundedAndPrintable) {
  EXPECT_EQ(quoted_unit("ug/dL"), "'ug/dL'");
  EXPECT_EQ(quoted_unit(std::string("a\nb")), "'a?b'");
  EXPECT_EQ(quoted_unit(std::string(40, 'x')), "'" + std::string(32, 'x') + "...'");
}

TEST(Rescale, ConvertsBetweenUnitsOfOneDimension) {
  const auto result = rescale(UcumValue{1.2, "umol/L"}, "nmol/L");
  ASSERT_TRUE(result);
  EXPECT_DOUBLE_EQ(result->value, 1200);
  EXPECT_EQ(result->unit, "nmol/L");
}

TEST(Rescale, RefusesToChangeDimension) {
  EXPECT_FALSE(rescale(UcumValue{1.0, "ug/dL"}, "nmol/L"));
}

// A value already in the target unit keeps its value (scaled to base units and back, as any other) and its unit;
// a unit that is not UCUM is refused also when the target is spelt the same.
TEST(Rescale, KeepsAValueAlreadyInTheTargetUnit) {
  for (const double value : {0.1, 1.0 / 3.0, 14.7, 1e-9}) {
    const auto result = rescale(UcumValue{value, "ug/dL"}, "ug/dL");
    ASSERT_TRUE(result);
    EXPECT_DOUBLE_EQ(result->value, value);
    EXPECT_EQ(result->unit, "ug/dL");
  }
  EXPECT_FALSE(rescale(UcumValue{1.0, "furlong"}, "furlong"));
  EXPECT_FALSE(rescale(UcumValue{1.0, ""}, ""));
}

}  // namespace
}  // namespace gg::analytics
