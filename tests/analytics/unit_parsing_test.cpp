// The UCUM subset hormone results arrive in: prefixes, operators, exponents, parentheses, annotations, the
// international unit, lab free-text spellings, time units and rates; the bridges (molar mass, IU equivalence) that
// alone may change a value's dimension; and unit aliases. UCUM reference: https://ucum.org/ucum (section 2 "Syntax
// rules", table 1 "The metric prefixes", tables of base and derived units).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/catalogue.hpp"
#include "analytics/ucum.hpp"
#include "analytics/unit_conversion.hpp"
#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using testing::text_quantity;
using testing::ucum_quantity;

std::optional<UnitOfMeasure> ucum(std::string_view text) {
  return parse_unit(text, UnitDialect::ucum).unit;
}

// Parses both (a in `dialect`, b as strict UCUM) and compares them; reports which failed.
::testing::AssertionResult same(std::string_view a, std::string_view b, UnitDialect dialect = UnitDialect::ucum) {
  const auto pa = parse_unit(a, dialect);
  const auto pb = parse_unit(b, UnitDialect::ucum);
  if (!pa.unit) return ::testing::AssertionFailure() << "'" << a << "' does not parse: " << pa.error;
  if (!pb.unit) return ::testing::AssertionFailure() << "'" << b << "' does not parse: " << pb.error;
  if (!same_unit(*pa.unit, *pb.unit)) {
    return ::testing::AssertionFailure() << "'" << a << "' (factor " << pa.unit->factor << ", "
                                         << describe(pa.unit->dimension) << ") differs from '" << b << "' (factor "
                                         << pb.unit->factor << ", " << describe(pb.unit->dimension) << ")";
  }
  return ::testing::AssertionSuccess();
}

ConversionResult convert_text(double value, std::string_view from, std::string_view to,
                              const ConversionBridges& bridges) {
  const auto unit = ucum(from);
  if (!unit) {
    ADD_FAILURE() << "'" << from << "' does not parse";
    return {};
  }
  return convert(value, *unit, to, bridges);
}

// ---- Prefixes
// ---------------------------------------------------------------------------------------------------

TEST(UcumPrefixes, DekaIsTwoLettersAndWinsOverDeci) {
  // UCUM table 1: "da" = 10^1, "d" = 10^-1.
  ASSERT_TRUE(ucum("dag"));
  EXPECT_DOUBLE_EQ(ucum("dag")->factor, 10);
  EXPECT_EQ(ucum("dag")->dimension, Dimension{.mass = 1});
  EXPECT_DOUBLE_EQ(ucum("dg")->factor, 0.1);
  EXPECT_TRUE(same("daL", "10.L"));
  EXPECT_TRUE(same("dL", "100.mL"));
  EXPECT_FALSE(same_unit(*ucum("daL"), *ucum("dL")));
}

TEST(UcumPrefixes, LetterThatIsAlsoAnAtomAloneIsTheAtom) {
  // "d" alone is the day, "h" alone the hour; with an atom after them they are deci and hecto.
  ASSERT_TRUE(ucum("d"));
  EXPECT_EQ(ucum("d")->dimension, Dimension{.time = 1});
  EXPECT_DOUBLE_EQ(ucum("d")->factor, 86400);
  EXPECT_DOUBLE_EQ(ucum("h")->factor, 3600);
  EXPECT_TRUE(same("hL", "100.L"));
  EXPECT_TRUE(same("min", "60.s"));  // not milli-"in"
}

TEST(UcumPrefixes, MicroIsTheLetterUInUcum) {
  ASSERT_TRUE(ucum("ug"));
  EXPECT_DOUBLE_EQ(ucum("ug")->factor, 1e-6);
  EXPECT_TRUE(same("ug/L", "ng/mL"));
  EXPECT_TRUE(same("pmol/L", "fmol/mL"));
  // The micro sign and the Greek mu are lab spellings, not UCUM codes.
  EXPECT_FALSE(ucum("\u00b5g/dL"));
  EXPECT_FALSE(ucum("\u03bcg/dL"));
}

// ---- Operators, exponents, parentheses
// --------------------------------------------------------------------------

TEST(UcumSyntax, ExponentsApplyToThePrefixedAtom) {
  // (dm)^3 = L, (cm)^3 = mL, m^3 = kL: the exponent binds to the prefixed unit (UCUM section 2.3).
  EXPECT_TRUE(same("dm3", "L"));
  EXPECT_TRUE(same("cm3", "mL"));
  EXPECT_TRUE(same("m3", "kL"));
  EXPECT_TRUE(same("nmol.L-1", "nmol/L"));
  EXPECT_TRUE(same("ug.dL-1", "10.ug/L"));
}

TEST(UcumSyntax, PowersOfTenAsFactors) {
  // 10*3/uL (cell counts) = 10^3 per 10^-6 L = 10^9/L.
  EXPECT_TRUE(same("10*3/uL", "10*9/L"));
  EXPECT_TRUE(same("10^3/uL", "10*3/uL"));
  ASSERT_TRUE(ucum("10*-3"));
  EXPECT_DOUBLE_EQ(ucum("10*-3")->factor, 1e-3);
  EXPECT_EQ(ucum("10*-3")->dimension, Dimension{});
  EXPECT_TRUE(same("10*-3.g", "mg"));
  EXPECT_TRUE(same("10*-2", "%"));
}

TEST(UcumSyntax, ParenthesesGroupADivisor) {
  EXPECT_TRUE(same("(ng/mL)/h", "ng/mL/h"));
  EXPECT_TRUE(same("(ng/mL)/h", "ng/(mL.h)"));
  // Without the parentheses the operators bind left to right: ng/mL.h is (ng/mL).h, not ng/(mL.h).
  EXPECT_FALSE(same("ng/mL.h", "ng/(mL.h)"));
}

TEST(UcumSyntax, NestingIsLimitedToFourLevels) {
  EXPECT_TRUE(same("((((ng))))/mL", "ng/mL"));
  const auto five = parse_unit("(((((ng)))))/mL", UnitDialect::ucum);
  EXPECT_FALSE(five.unit);
  EXPECT_NE(five.error.find("nested"), std::string::npos) << five.error;
}

TEST(UcumSyntax, AnnotationsCarryNoMeaning) {
  // UCUM section 2.5: ng/mg{creat} is ng/mg, a mass ratio (10^-6, dimensionless).
  EXPECT_TRUE(same("ng/mg{creat}", "ug/g"));
  EXPECT_TRUE(same("ng/mg{creat}", "ng/mg"));
  ASSERT_TRUE(ucum("ng/mg{creat}"));
  EXPECT_EQ(ucum("ng/mg{creat}")->dimension, Dimension{});
  // An annotation alone is the unity.
  ASSERT_TRUE(ucum("{ratio}"));
  EXPECT_TRUE(same("{ratio}", "1"));
  EXPECT_DOUBLE_EQ(ucum("{ratio}")->factor, 1);
}

TEST(UcumSyntax, PercentIsOneHundredth) {
  ASSERT_TRUE(ucum("%"));
  EXPECT_EQ(ucum("%")->dimension, Dimension{});
  const auto fraction = convert(25, *ucum("%"), "1", ConversionBridges{});
  ASSERT_TRUE(fraction.ok());
  EXPECT_DOUBLE_EQ(fraction.value->value, 0.25);
  const auto back = convert(0.25, *ucum("{ratio}"), "%", ConversionBridges{});
  ASSERT_TRUE(back.ok());
  EXPECT_DOUBLE_EQ(back.value->value, 25);
}

TEST(UcumSyntax, InternationalUnitInEitherCase) {
  // UCUM section 4.5: [IU] and [iU] are the same unit.
  EXPECT_TRUE(same("[IU]", "[iU]"));
  EXPECT_TRUE(same("m[IU]/L", "m[iU]/L"));
  EXPECT_TRUE(same("u[IU]/mL", "m[IU]/L"));
  ASSERT_TRUE(ucum("[IU]/L"));
  EXPECT_EQ(ucum("[IU]/L")->dimension, (Dimension{.length = -3, .arbitrary_unit = 1}));
}

// ---- Dialects
// -----------------------------------------------------------------------------------------------------

TEST(UnitDialects, UcumIsCaseSensitiveLabTextIsNot) {
  EXPECT_FALSE(ucum("NMOL/L"));
  EXPECT_FALSE(ucum("nmol/l ").has_value());  // no spaces in a UCUM code
  EXPECT_TRUE(same("NMOL/L", "nmol/L", UnitDialect::lab_text));
  EXPECT_TRUE(same("PG/ML", "pg/mL", UnitDialect::lab_text));
}

TEST(UnitDialects, LabTextReadsTheSpellingsLabsSend) {
  EXPECT_TRUE(same("\u00b5g/dL", "ug/dL", UnitDialect::lab_text));  // U+00B5 MICRO SIGN
  EXPECT_TRUE(same("\u03bcg/dL", "ug/dL", UnitDialect::lab_text));  // U+03BC GREEK SMALL LETTER MU
  EXPECT_TRUE(same("mcg/dL", "ug/dL", UnitDialect::lab_text));
  EXPECT_TRUE(same("IU/L", "[IU]/L", UnitDialect::lab_text));
  EXPECT_TRUE(same("mIU/mL", "m[IU]/mL", UnitDialect::lab_text));
  EXPECT_TRUE(same("\u00b5IU/mL", "u[IU]/mL", UnitDialect::lab_text));
  EXPECT_TRUE(same("ng / mL", "ng/mL", UnitDialect::lab_text));
  // "IU" is not a UCUM atom: a UCUM code must say [IU].
  EXPECT_FALSE(ucum("IU/L"));
  EXPECT_FALSE(ucum("mIU/mL"));
}

// ---- Time units and rates
// ---------------------------------------------------------------------------------------

TEST(TimeUnits, RatesReadTheSameWithSlashOrParentheses) {
  EXPECT_TRUE(same("nmol/L/h", "nmol/(L.h)"));
  EXPECT_TRUE(same("nmol/L/h", "nmol/L/h", UnitDialect::lab_text));
  const auto per_minute = convert_text(1, "nmol/L/h", "nmol/L/min", ConversionBridges{});
  ASSERT_TRUE(per_minute.ok());
  EXPECT_DOUBLE_EQ(per_minute.value->value, 1.0 / 60);
  const auto per_hour = convert_text(48, "ug/d", "ug/h", ConversionBridges{});
  ASSERT_TRUE(per_hour.ok());
  EXPECT_DOUBLE_EQ(per_hour.value->value, 2);
}

TEST(TimeUnits, EnzymeUnitIsMicromolePerMinuteNotInternationalUnit) {
  // UCUM: U = umol/min (catalytic activity). An international unit is an arbitrary unit: never commensurable.
  const auto as_rate = convert_text(3, "U/L", "umol/L/min", ConversionBridges{});
  ASSERT_TRUE(as_rate.ok());
  EXPECT_DOUBLE_EQ(as_rate.value->value, 3);
  EXPECT_EQ(describe(ucum("U/L")->dimension), "catalytic concentration");

  const auto as_iu = convert_text(3, "U/L", "[IU]/L", ConversionBridges{});
  ASSERT_FALSE(as_iu.ok());
  EXPECT_EQ(as_iu.rejection->reason, UnitRejection::Reason::incompatible_dimension);
  // Not even through insulin's IU equivalence (1 IU = 6 nmol): that bridge reaches mol, not mol/min.
  const auto through_insulin = convert_text(3, "U/L", "[IU]/L", conversion_bridges(testing::insulin()));
  ASSERT_FALSE(through_insulin.ok());
  EXPECT_EQ(through_insulin.rejection->reason, UnitRejection::Reason::incompatible_dimension);
}

// ---- Bridges
// ----------------------------------------------------------------------------------------------------

TEST(ConversionBridging, MolarMassBridgesMassAndSubstanceBothWays) {
  // Cortisol 362.46 g/mol (PubChem CID 5754): 1 ug/dL = 27.59 nmol/L (Young DS, Ann Intern Med 1987;106:114-129).
  const auto bridges = conversion_bridges(testing::cortisol());
  const auto molar = convert_text(1, "ug/dL", "nmol/L", bridges);
  ASSERT_TRUE(molar.ok()) << molar.rejection->message;
  EXPECT_NEAR(molar.value->value, 27.59, 27.59 * 0.001);
  EXPECT_EQ(molar.value->unit, "nmol/L");
  const auto mass = convert_text(27.59, "nmol/L", "ug/dL", bridges);
  ASSERT_TRUE(mass.ok());
  EXPECT_NEAR(mass.value->value, 1, 0.001);
}

TEST(ConversionBridging, InternationalUnitToMass) {
  // Prolactin: 1 ug/L = 21.2 mIU/L, the usual factor of assays calibrated to the WHO 3rd IS 84/500 (analytes.yaml:
  // 1 IU = 1000/21.2 = 47.17 ug).
  const auto bridges = conversion_bridges(testing::prolactin());
  ASSERT_TRUE(bridges.per_international_unit);
  const auto to_iu = convert_text(1, "ug/L", "m[IU]/L", bridges);
  ASSERT_TRUE(to_iu.ok()) << to_iu.rejection->message;
  EXPECT_NEAR(to_iu.value->value, 21.2, 21.2 * 0.001);
  const auto to_mass = convert_text(424, "m[IU]/L", "ng/mL", bridges);
  ASSERT_TRUE(to_mass.ok());
  EXPECT_NEAR(to_mass.value->value, 20, 20 * 0.001);
}

TEST(ConversionBridging, InternationalUnitToSubstance) {
  // Insulin, the immunoassay convention: 1 IU = 6 nmol, so 1 uIU/mL = 6 pmol/L (Knopp JL et al., J Diabetes Sci
  // Technol 2019;13(3):597-600).
  const auto bridges = conversion_bridges(testing::insulin());
  const auto to_molar = convert_text(1, "u[IU]/mL", "pmol/L", bridges);
  ASSERT_TRUE(to_molar.ok()) << to_molar.rejection->message;
  EXPECT_NEAR(to_molar.value->value, 6, 1e-9);
  const auto to_iu = convert_text(36, "pmol/L", "u[IU]/mL", bridges);
  ASSERT_TRUE(to_iu.ok());
  EXPECT_NEAR(to_iu.value->value, 6, 1e-9);
}

TEST(ConversionBridging, ChainsBothBridgesFromInternationalUnitsToMass) {
  // Insulin with both bridges: 1 IU = 6 nmol (as above) and human insulin C257H383N65O77S6 =
  // 5808 g/mol (CAS 11061-68-0; the figure analytes.yaml's insulin standard note uses). Then
  //   1 uIU/mL = 1e-3 IU/L = 6e-3 nmol/L = 6 pmol/L; x 5808 g/mol = 34848e-12 g/L = 34.85 ng/L = 0.03485 ng/mL.
  // (34.85 is per litre, i.e. pg/mL; per millilitre it is a thousand times smaller.) Cross-check: 1 IU = 6 nmol x
  // 5808 g/mol = 34.85 ug, within 0.4 % of the bioassay IS 83/500 definition 1 IU = 0.03472 mg.
  ConversionBridges bridges = conversion_bridges(testing::insulin());
  bridges.molar_mass_g_per_mol = 5808;
  const auto per_litre = convert_text(1, "u[IU]/mL", "ng/L", bridges);
  ASSERT_TRUE(per_litre.ok()) << per_litre.rejection->message;
  EXPECT_NEAR(per_litre.value->value, 34.848, 1e-6);
  const auto per_millilitre = convert_text(1, "u[IU]/mL", "ng/mL", bridges);
  ASSERT_TRUE(per_millilitre.ok());
  EXPECT_NEAR(per_millilitre.value->value, 0.034848, 1e-9);
  const auto back = convert_text(34.848, "pg/mL", "u[IU]/mL", bridges);
  ASSERT_TRUE(back.ok());
  EXPECT_NEAR(back.value->value, 1, 1e-9);
}

TEST(ConversionBridging, MissingMolarMassIsNamedAsSuch) {
  // Insulin has an IU equivalence in nmol but no molar mass: IU -> mass needs both.
  const auto result = convert_text(1, "u[IU]/mL", "ng/mL", conversion_bridges(testing::insulin()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::no_molar_mass);
  const auto plain = convert_text(1, "ng/mL", "nmol/L", ConversionBridges{});
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.rejection->reason, UnitRejection::Reason::no_molar_mass);
}

TEST(ConversionBridging, InternationalUnitsWithoutEquivalenceAreIncompatible) {
  // Cortisol has a molar mass but no international unit.
  const auto result = convert_text(5, "[IU]/L", "ug/L", conversion_bridges(testing::cortisol()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::incompatible_dimension);
  // TSH has neither bridge: a mass result cannot become m[IU]/L.
  const auto tsh = convert_text(5, "ng/mL", "m[IU]/L", conversion_bridges(testing::tsh()));
  ASSERT_FALSE(tsh.ok());
  EXPECT_EQ(tsh.rejection->reason, UnitRejection::Reason::incompatible_dimension);
}

TEST(ConversionBridging, DimensionChangesNoBridgeMakesAreIncompatible) {
  ConversionBridges both = conversion_bridges(testing::insulin());
  both.molar_mass_g_per_mol = 5808;
  for (const auto& [from, to] : std::vector<std::pair<const char*, const char*>>{
           {"ug/dL", "ug"}, {"nmol/L", "nmol/L/h"}, {"ng/mL", "mL"}, {"%", "nmol/L"}}) {
    SCOPED_TRACE(std::string(from) + " -> " + to);
    const auto result = convert_text(1, from, to, both);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::incompatible_dimension);
    EXPECT_FALSE(result.rejection->message.empty());
  }
}

TEST(ConversionBridging, TargetThatIsNotUcumIsAnUnknownUnit) {
  const auto result = convert_text(1, "ng/mL", "NG/ML", ConversionBridges{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.rejection->reason, UnitRejection::Reason::unknown_unit);
}

// ---- Reading a Quantity's unit, with aliases ------------------------------------------------------------------

const std::vector<UnitAlias> kTshAliases = testing::tsh().unit_aliases;  // "mU/L" -> "m[IU]/L"

TEST(UnitAliases, FreeTextMilliUnitsReadAsMilliInternationalUnits) {
  const auto read = read_quantity_unit(text_quantity(2.1, "mU/L"), kTshAliases);
  ASSERT_TRUE(read.unit);
  EXPECT_TRUE(same_unit(*read.unit, *ucum("m[IU]/L")));
  EXPECT_EQ(read.element, "unit");
  EXPECT_EQ(read.text, "mU/L");
}

TEST(UnitAliases, ApplyToAUcumCodeToo) {
  const auto read = read_quantity_unit(ucum_quantity(2.1, "mU/L"), kTshAliases);
  ASSERT_TRUE(read.unit);
  EXPECT_TRUE(same_unit(*read.unit, *ucum("m[IU]/L")));
  EXPECT_EQ(read.element, "code");
}

TEST(UnitAliases, WithoutAliasesMilliUnitIsTheEnzymeUnit) {
  for (const auto& quantity : {text_quantity(2.1, "mU/L"), ucum_quantity(2.1, "mU/L")}) {
    SCOPED_TRACE(quantity.system);
    const auto read = read_quantity_unit(quantity);
    ASSERT_TRUE(read.unit);
    // 1 mU = 1 nmol/min.
    EXPECT_TRUE(same_unit(*read.unit, *ucum("nmol/(min.L)")));
    EXPECT_FALSE(same_unit(*read.unit, *ucum("m[IU]/L")));
  }
}

TEST(UnitAliases, OtherUnitsAreReadAsUsual) {
  const auto read = read_quantity_unit(text_quantity(2.1, "mIU/L"), kTshAliases);
  ASSERT_TRUE(read.unit);
  EXPECT_TRUE(same_unit(*read.unit, *ucum("m[IU]/L")));
}

TEST(ReadQuantityUnit, CodeWithoutUcumSystemIsReadAsFreeText) {
  fhir::Quantity quantity;
  quantity.value = 400;
  quantity.code = "NMOL/L";
  const auto read = read_quantity_unit(quantity);
  ASSERT_TRUE(read.unit);
  EXPECT_EQ(read.element, "code");
  EXPECT_TRUE(same_unit(*read.unit, *ucum("nmol/L")));
}

TEST(ReadUnitText, ParsesFreeTextAndNamesMissingOrUnknownUnits) {
  const auto read = read_unit_text("ng/mL", {});
  ASSERT_TRUE(read.unit);
  EXPECT_TRUE(same_unit(*read.unit, *ucum("ug/L")));
  EXPECT_EQ(read.element, "unit");

  const auto aliased = read_unit_text("mU/L", kTshAliases);
  ASSERT_TRUE(aliased.unit);
  EXPECT_TRUE(same_unit(*aliased.unit, *ucum("m[IU]/L")));

  const auto empty = read_unit_text("", {});
  EXPECT_FALSE(empty.unit);
  ASSERT_TRUE(empty.rejection);
  EXPECT_EQ(empty.rejection->reason, UnitRejection::Reason::missing_unit);

  const auto unknown = read_unit_text("gobbets", {});
  EXPECT_FALSE(unknown.unit);
  ASSERT_TRUE(unknown.rejection);
  EXPECT_EQ(unknown.rejection->reason, UnitRejection::Reason::unknown_unit);
}

// ---- same_unit, describe, quoted_unit
// -----------------------------------------------------------------------------

TEST(SameUnit, NeedsTheSameDimensionNotJustTheSameFactor) {
  // g and mol both have factor 1 in the coherent base; they are not the same unit.
  EXPECT_FALSE(same_unit(*ucum("g"), *ucum("mol")));
  EXPECT_FALSE(same_unit(*ucum("[IU]/L"), *ucum("mmol/m3")));
  EXPECT_FALSE(same_unit(*ucum("ug/L"), *ucum("ug/dL")));
  EXPECT_TRUE(same_unit(*ucum("ug/L"), *ucum("ng/mL")));
}

TEST(Describe, NamesCommonDimensions) {
  EXPECT_EQ(describe(ucum("1")->dimension), "dimensionless");
  EXPECT_EQ(describe(ucum("ng/mg{creat}")->dimension), "dimensionless");
  EXPECT_EQ(describe(ucum("ug")->dimension), "mass");
  EXPECT_EQ(describe(ucum("nmol")->dimension), "amount of substance");
  EXPECT_EQ(describe(ucum("mL")->dimension), "volume");
  EXPECT_EQ(describe(ucum("h")->dimension), "time");
  EXPECT_EQ(describe(ucum("U")->dimension), "catalytic activity");
  // Anything else is spelled out by its exponents.
  EXPECT_EQ(describe(ucum("ug/d")->dimension), "g^1.mol^0.m^0.s^-1.[IU]^0");
}

TEST(QuotedUnit, KeepsAtMostThirtyTwoBytesAndReplacesControlCharacters) {
  EXPECT_EQ(quoted_unit(std::string(32, 'x')), "'" + std::string(32, 'x') + "'");
  EXPECT_EQ(quoted_unit(std::string(33, 'x')), "'" + std::string(32, 'x') + "...'");
  EXPECT_EQ(quoted_unit("ng\t/\x7fmL\r"), "'ng?/?mL?'");
  EXPECT_EQ(quoted_unit(""), "''");
  EXPECT_EQ(quoted_unit("\u00b5g/dL"), "'\u00b5g/dL'");  // non-ASCII text is kept
}

bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    }
    i += length;
  }
  return true;
}

TEST(QuotedUnit, TruncationNeverSplitsACharacter) {
  // The quoted text goes into OperationOutcome diagnostics (JSON strings must be valid UTF-8, RFC 8259
  // section 8.1).
  const std::string text = std::string(31, 'x') + "\u00b5g/dL";  // the micro sign straddles byte 32
  const std::string quoted = quoted_unit(text);
  EXPECT_TRUE(valid_utf8(quoted));
  EXPECT_TRUE(quoted.ends_with("...'"));
}

}  // namespace
}  // namespace gg::analytics

namespace gg::analytics {
namespace {

// Found by fuzzing (tests/fuzz/crashes/fuzz_ucum_parser): prefixes and exponents multiplied past the range of a
// double gave an infinite or zero factor, which then converted values to inf or 0.
TEST(UnitParsing, RefusesUnitsWhoseMagnitudeLeavesTheRangeOfADouble) {
  for (const char* text : {"Yg9/yL9", "(((kg9)9)9)9", "(L5/L.ug5.L)9"}) {
    SCOPED_TRACE(text);
    const auto parsed = parse_unit(text, UnitDialect::ucum);
    EXPECT_FALSE(parsed.unit);
    EXPECT_NE(parsed.error.find("out of range"), std::string::npos) << parsed.error;
  }
  EXPECT_TRUE(parse_unit("Yg9", UnitDialect::ucum).unit);  // large, but a finite factor
}

}  // namespace
}  // namespace gg::analytics

namespace gg::analytics {
namespace {

// parse_unit answers units asked lately from slots before its cache (ucum.cpp RecentUnits): the answer stays the
// same for a text asked again in any order, the two dialects never answer for each other, and units too long for
// the slots or that do not parse come back as they did the first time.
TEST(UnitParsing, RepeatedAsksGiveTheFirstAnswer) {
  struct Ask {
    std::string_view text;
    UnitDialect dialect;
  };
  const std::vector<Ask> asks = {
      {"nmol/L", UnitDialect::ucum},        {"NMOL/L", UnitDialect::lab_text},
      {"NMOL/L", UnitDialect::ucum},        {"ug/dL", UnitDialect::ucum},
      {"µg/dL", UnitDialect::lab_text},     {"µg/dL", UnitDialect::ucum},
      {"pmol/L", UnitDialect::ucum},        {"ng/mL", UnitDialect::ucum},
      {"mg/dL", UnitDialect::ucum},         {"[IU]/L", UnitDialect::ucum},
      {"mIU/mL", UnitDialect::lab_text},    {"10*-3.mol/L", UnitDialect::ucum},
      {"umol/L", UnitDialect::ucum},        {"pg/mL", UnitDialect::ucum},
      {"nmol/L/(24.h)", UnitDialect::ucum}, {"10*-12.mol/L/(1.h)", UnitDialect::ucum},
      {"furlongs", UnitDialect::lab_text},  {"g", UnitDialect::ucum},
  };
  std::vector<UnitParseResult> first;
  first.reserve(asks.size());
  for (const auto& ask : asks) first.push_back(parse_unit(ask.text, ask.dialect));
  EXPECT_TRUE(first[1].unit);   // NMOL/L as a lab writes it
  EXPECT_FALSE(first[2].unit);  // and not as UCUM, even just after
  EXPECT_FALSE(first[5].unit);  // µ is not UCUM
  EXPECT_FALSE(first[16].unit);
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < asks.size(); ++i) {
      // Backwards on odd rounds, so each text meets a different list.
      const std::size_t k = round % 2 == 0 ? i : asks.size() - 1 - i;
      SCOPED_TRACE(std::string(asks[k].text));
      const auto again = parse_unit(asks[k].text, asks[k].dialect);
      ASSERT_EQ(again.unit.has_value(), first[k].unit.has_value());
      if (again.unit) {
        EXPECT_EQ(again.unit->factor, first[k].unit->factor);
        EXPECT_EQ(again.unit->dimension, first[k].unit->dimension);
      }
      EXPECT_EQ(again.error, first[k].error);
    }
  }
}

}  // namespace
}  // namespace gg::analytics
