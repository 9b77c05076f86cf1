// compute_derived(): which results feed free testosterone, the free androgen index and HOMA-IR (the most recent
// anchor with the closest partners within the window, serum or plasma, exact values only) and what the gradient
// carries. The formulas are derived.hpp's (tested in derived_test.cpp); FAI and HOMA-IR are worked by hand here,
// the Vermeulen value is taken from derived.hpp because this file tests selection, not the formula.
#include "analytics/derived_rules.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "analytics/date_time.hpp"
#include "analytics/derived.hpp"
#include "analytics/normalise.hpp"
#include "test_knowledge.hpp"

namespace gg::analytics {
namespace {

using testing::censored;
using testing::observations;
using testing::references;

// The shipped rules (config/rules/gradients.yaml, "derived").
DerivedRule free_testosterone_rule() {
  DerivedRule rule;
  rule.formula = DerivedRule::Formula::free_testosterone_vermeulen;
  rule.code = "free-testosterone-calculated";
  rule.display = "Free testosterone (calculated, Vermeulen 1999)";
  rule.window = std::chrono::hours{24};
  rule.default_albumin_g_l = 43;
  return rule;
}

DerivedRule fai_rule() {
  DerivedRule rule;
  rule.formula = DerivedRule::Formula::free_androgen_index;
  rule.code = "free-androgen-index";
  rule.display = "Free androgen index";
  rule.window = std::chrono::hours{24};
  return rule;
}

DerivedRule homa_rule() {
  DerivedRule rule;
  rule.formula = DerivedRule::Formula::homa_ir;
  rule.code = "homa-ir";
  rule.display = "HOMA-IR";
  rule.window = std::chrono::hours{1};
  return rule;
}

// A result in its analyte's canonical unit (config/terminology/analytes.yaml): testosterone and SHBG nmol/L,
// albumin g/L, glucose mmol/L, insulin u[IU]/mL.
Measurement result(const std::string& id, std::string analyte, double value, std::string unit, std::string when,
                   Specimen specimen = Specimen::serum_plasma) {
  Measurement m;
  m.reference = "Observation/" + id;
  m.version_id = "1";
  m.subject = "Patient/p1";
  m.analyte_id = std::move(analyte);
  m.specimen = specimen;
  m.value = UcumValue{value, std::move(unit)};
  m.effective.instant = parse_fhir_date_time(when).instant.value();
  m.effective.text = std::move(when);
  return m;
}

Measurement testosterone(const std::string& id, double nmol_l, std::string when,
                         Specimen specimen = Specimen::serum_plasma) {
  return result(id, "testosterone", nmol_l, "nmol/L", std::move(when), specimen);
}
Measurement shbg(const std::string& id, double nmol_l, std::string when) {
  return result(id, "shbg", nmol_l, "nmol/L", std::move(when));
}
Measurement albumin(const std::string& id, double g_l, std::string when) {
  return result(id, "albumin", g_l, "g/L", std::move(when));
}
Measurement glucose(const std::string& id, double mmol_l, std::string when, std::string timing) {
  auto m = result(id, "glucose", mmol_l, "mmol/L", std::move(when));
  m.timing = std::move(timing);
  return m;
}
Measurement insulin(const std::string& id, double uiu_ml, std::string when) {
  return result(id, "insulin", uiu_ml, "u[IU]/mL", std::move(when));
}

// ---------------------------------------------------------------------------------------------------------------
// Free androgen index and free testosterone: anchor and partner selection

TEST(DerivedRulesFai, MostRecentTestosteroneWithClosestShbg) {
  // Most recent testosterone (20 nmol/L, 1 March 08:00Z); SHBGs at -10 h (40), +1 h (50, closest; written in
  // +01:00) and -30 h (25, outside the window). FAI = 100 x 20 / 50 = 40. An older complete set (February) is not
  // used.
  const std::vector<Measurement> ms = {
      testosterone("t-old", 10, "2024-02-01T08:00:00Z"), shbg("s-old", 20, "2024-02-01T09:00:00Z"),
      testosterone("t", 20, "2024-03-01T08:00:00Z"),     shbg("s-10h", 40, "2024-02-29T22:00:00Z"),
      shbg("s+1h", 50, "2024-03-01T10:00:00+01:00"),     shbg("s-30h", 25, "2024-02-29T02:00:00Z"),
  };
  const auto g = compute_derived(fai_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->code, "free-androgen-index");
  EXPECT_EQ(g->display, "Free androgen index");
  EXPECT_EQ(g->subject, "Patient/p1");
  EXPECT_NEAR(g->value.value, 40.0, 1e-12);
  EXPECT_EQ(g->value.unit, "1");
  EXPECT_EQ(references(*g), observations({"t", "s+1h"}));
  ASSERT_EQ(g->inputs.size(), 2u);
  EXPECT_EQ(g->inputs[0].value, (UcumValue{20, "nmol/L"}));
  EXPECT_EQ(g->inputs[1].value, (UcumValue{50, "nmol/L"}));
  // The latest input's time, as it was written (SHBG at 10:00+01:00 = 09:00Z, after the testosterone).
  EXPECT_EQ(g->effective.text, "2024-03-01T10:00:00+01:00");
  EXPECT_TRUE(g->notes.empty());
  EXPECT_FALSE(g->preliminary);
}

TEST(DerivedRulesFai, WindowIsTwentyFourHoursInclusive) {
  // SHBG exactly 24 h before the testosterone: in. FAI = 100 x 15 / 60 = 25.
  const std::vector<Measurement> in = {
      testosterone("t", 15, "2024-03-02T08:00:00Z"),
      shbg("s", 60, "2024-03-01T08:00:00Z"),
  };
  const auto g = compute_derived(fai_rule(), in);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 25.0, 1e-12);
  // The testosterone is the later input here.
  EXPECT_EQ(g->effective.text, "2024-03-02T08:00:00Z");

  // 24 h + 1 s: out, and nothing else pairs.
  const std::vector<Measurement> out = {
      testosterone("t", 15, "2024-03-02T08:00:01Z"),
      shbg("s", 60, "2024-03-01T08:00:00Z"),
  };
  EXPECT_FALSE(compute_derived(fai_rule(), out));
  // The same the other way round (SHBG after the testosterone).
  const std::vector<Measurement> after = {
      testosterone("t", 15, "2024-03-01T08:00:00Z"),
      shbg("s", 60, "2024-03-02T08:00:01Z"),
  };
  EXPECT_FALSE(compute_derived(fai_rule(), after));
}

TEST(DerivedRulesFai, NoShbgNothing) {
  const std::vector<Measurement> ms = {
      testosterone("t", 15, "2024-03-02T08:00:00Z"),
      albumin("a", 40, "2024-03-02T08:00:00Z"),
  };
  EXPECT_FALSE(compute_derived(fai_rule(), ms));
  EXPECT_FALSE(compute_derived(free_testosterone_rule(), ms));
  EXPECT_FALSE(compute_derived(fai_rule(), {}));
}

TEST(DerivedRulesFai, NewestTestosteroneWithoutPartnerFallsBackToOlderSet) {
  // 5 March testosterone has no SHBG within 24 h; 1 March's set gives 100 x 12 / 30 = 40.
  const std::vector<Measurement> ms = {
      testosterone("t-new", 30, "2024-03-05T08:00:00Z"),
      testosterone("t", 12, "2024-03-01T08:00:00Z"),
      shbg("s", 30, "2024-03-01T07:00:00Z"),
  };
  const auto g = compute_derived(fai_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 40.0, 1e-12);
  EXPECT_EQ(references(*g), observations({"t", "s"}));
}

TEST(DerivedRulesFai, CensoredTestosteroneSkippedForOlderCompleteSet) {
  // Newest testosterone "<0.5" with an SHBG beside it: skipped. Older set: 100 x 18 / 45 = 40.
  const std::vector<Measurement> ms = {
      censored(testosterone("t-cens", 0.5, "2024-03-03T08:00:00Z")),
      shbg("s-new", 40, "2024-03-03T08:00:00Z"),
      testosterone("t", 18, "2024-03-01T08:00:00Z"),
      shbg("s", 45, "2024-03-01T08:30:00Z"),
  };
  const auto g = compute_derived(fai_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 40.0, 1e-12);
  EXPECT_EQ(references(*g), observations({"t", "s"}));
}

TEST(DerivedRulesFai, CensoredShbgSkippedForOlderCompleteSet) {
  // Newest testosterone's only SHBG within 24 h is "<5": not a partner. Older set: 100 x 16 / 80 = 20.
  const std::vector<Measurement> ms = {
      testosterone("t-new", 25, "2024-03-03T08:00:00Z"),
      censored(shbg("s-cens", 5, "2024-03-03T09:00:00Z")),
      testosterone("t", 16, "2024-03-01T08:00:00Z"),
      shbg("s", 80, "2024-03-01T08:30:00Z"),
  };
  const auto g = compute_derived(fai_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 20.0, 1e-12);
  EXPECT_EQ(references(*g), observations({"t", "s"}));
}

TEST(DerivedRulesFai, SalivaTestosteroneNotUsed) {
  // A newer saliva testosterone beside an SHBG is not an anchor; the serum one (100 x 10 / 40 = 25) is.
  const std::vector<Measurement> ms = {
      testosterone("t-saliva", 0.3, "2024-03-02T08:00:00Z", Specimen::saliva),
      shbg("s-new", 40, "2024-03-02T08:00:00Z"),
      testosterone("t", 10, "2024-03-01T20:00:00Z"),
  };
  const auto g = compute_derived(fai_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 25.0, 1e-12);
  EXPECT_EQ(references(*g), observations({"t", "s-new"}));

  // Saliva only: nothing.
  const std::vector<Measurement> saliva_only = {ms[0], ms[1]};
  EXPECT_FALSE(compute_derived(fai_rule(), saliva_only));
  EXPECT_FALSE(compute_derived(free_testosterone_rule(), saliva_only));
}

TEST(DerivedRulesFai, PartnersAreTheSamePatients) {
  // Another patient's SHBG drawn at the same instant is no partner: this patient's SHBG 5 h away is taken,
  // 100 x 20 / 80 = 25 (another patient's 40 would give 50).
  std::vector<Measurement> ms = {
      testosterone("t", 20, "2024-03-01T08:00:00Z"),
      shbg("s-other", 40, "2024-03-01T08:00:00Z"),
      shbg("s", 80, "2024-03-01T13:00:00Z"),
  };
  ms[1].subject = "Patient/p2";
  const auto g = compute_derived(fai_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 25.0, 1e-12);
  EXPECT_EQ(references(*g), observations({"t", "s"}));
}

TEST(DerivedRulesFreeTestosterone, UsesAlbuminWithinTheWindowAsThirdInput) {
  // TT 20 nmol/L, SHBG 50 nmol/L, albumin 35 g/L 20 h after the testosterone (the latest input).
  const std::vector<Measurement> ms = {
      testosterone("t", 20, "2024-03-01T08:00:00Z"), shbg("s", 50, "2024-03-01T08:00:00Z"),
      albumin("a", 35, "2024-03-02T06:00:00+02:00"),  // 04:00Z: 20 h after
  };
  const auto expected = vermeulen_free_testosterone_pmol_l(20, 50, 35);
  const auto with_default = vermeulen_free_testosterone_pmol_l(20, 50, 43);
  ASSERT_TRUE(expected);
  ASSERT_TRUE(with_default);
  ASSERT_GT(std::abs(*expected - *with_default), 1.0);  // the albumin makes a visible difference
  const auto g = compute_derived(free_testosterone_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->code, "free-testosterone-calculated");
  EXPECT_NEAR(g->value.value, *expected, 1e-9 * *expected);
  EXPECT_EQ(g->value.unit, "pmol/L");
  EXPECT_EQ(references(*g), observations({"t", "s", "a"}));
  ASSERT_EQ(g->inputs.size(), 3u);
  EXPECT_EQ(g->inputs[2].value, (UcumValue{35, "g/L"}));
  EXPECT_EQ(g->inputs[2].analyte_id, "albumin");
  EXPECT_TRUE(g->notes.empty());
  EXPECT_EQ(g->effective.text, "2024-03-02T06:00:00+02:00");
}

TEST(DerivedRulesFreeTestosterone, DefaultAlbuminWithANoteWhenNoneInTheWindow) {
  // Albumin 25 h away (outside 24 h), and a censored one beside the testosterone: 43 g/L is used and said.
  const std::vector<Measurement> ms = {
      testosterone("t", 20, "2024-03-01T08:00:00Z"),
      shbg("s", 50, "2024-03-01T09:00:00Z"),
      albumin("a-far", 35, "2024-03-02T09:00:00Z"),
      censored(albumin("a-cens", 10, "2024-03-01T08:00:00Z")),
  };
  const auto expected = vermeulen_free_testosterone_pmol_l(20, 50, 43);
  ASSERT_TRUE(expected);
  const auto g = compute_derived(free_testosterone_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, *expected, 1e-9 * *expected);
  EXPECT_EQ(references(*g), observations({"t", "s"}));
  ASSERT_EQ(g->notes.size(), 1u);
  EXPECT_NE(g->notes[0].find("43 g/L"), std::string::npos) << g->notes[0];
  EXPECT_EQ(g->effective.text, "2024-03-01T09:00:00Z");
}

TEST(DerivedRulesFreeTestosterone, PreliminaryInputPropagates) {
  std::vector<Measurement> ms = {
      testosterone("t", 20, "2024-03-01T08:00:00Z"),
      shbg("s", 50, "2024-03-01T09:00:00Z"),
  };
  ms[1].status = ResultStatus::preliminary;
  const auto g = compute_derived(free_testosterone_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->preliminary);
  EXPECT_EQ(g->inputs[1].status, ResultStatus::preliminary);
}

// ---------------------------------------------------------------------------------------------------------------
// HOMA-IR

TEST(DerivedRulesHoma, FastingGlucoseWithInsulin) {
  // 5.0 mmol/L x 9 uIU/mL / 22.5 = 2.0. Insulin 30 min after the glucose: it is the latest input.
  const std::vector<Measurement> ms = {
      glucose("g", 5.0, "2024-03-01T07:30:00+01:00", "fasting"),
      insulin("i", 9, "2024-03-01T08:00:00+01:00"),
  };
  const auto g = compute_derived(homa_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->code, "homa-ir");
  EXPECT_NEAR(g->value.value, 2.0, 1e-12);
  EXPECT_EQ(g->value.unit, "1");
  EXPECT_EQ(references(*g), observations({"g", "i"}));
  ASSERT_EQ(g->inputs.size(), 2u);
  EXPECT_EQ(g->inputs[0].value, (UcumValue{5.0, "mmol/L"}));
  EXPECT_EQ(g->inputs[1].value, (UcumValue{9, "u[IU]/mL"}));
  EXPECT_EQ(g->effective.text, "2024-03-01T08:00:00+01:00");
}

TEST(DerivedRulesHoma, PlainGlucoseIsNotAnAnchor) {
  // A newer glucose without fasting timing, with an insulin beside it, is not used; nor alone.
  const std::vector<Measurement> plain = {
      glucose("g", 6.0, "2024-03-02T07:30:00Z", ""),
      insulin("i", 20, "2024-03-02T07:30:00Z"),
  };
  EXPECT_FALSE(compute_derived(homa_rule(), plain));

  // With an older fasting set: 4.5 x 10 / 22.5 = 2.0 (the plain set would give 6 x 20 / 22.5 = 5.33).
  std::vector<Measurement> ms = plain;
  ms.push_back(glucose("g-fast", 4.5, "2024-03-01T07:00:00Z", "fasting"));
  ms.push_back(insulin("i-fast", 10, "2024-03-01T07:10:00Z"));
  const auto g = compute_derived(homa_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 2.0, 1e-12);
  EXPECT_EQ(references(*g), observations({"g-fast", "i-fast"}));
}

TEST(DerivedRulesHoma, InsulinWithinTheShippedOneHourWindow) {
  // Insulin exactly 1 h after: in (4.5 x 5 / 22.5 = 1); 1 h + 1 s: out.
  const std::vector<Measurement> in = {
      glucose("g", 4.5, "2024-03-01T07:00:00Z", "fasting"),
      insulin("i", 5, "2024-03-01T08:00:00Z"),
  };
  const auto g = compute_derived(homa_rule(), in);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 1.0, 1e-12);
  const std::vector<Measurement> out = {
      glucose("g", 4.5, "2024-03-01T07:00:00Z", "fasting"),
      insulin("i", 5, "2024-03-01T08:00:01Z"),
  };
  EXPECT_FALSE(compute_derived(homa_rule(), out));
  // Censored insulin is no partner; no insulin at all is nothing.
  const std::vector<Measurement> cens = {
      glucose("g", 4.5, "2024-03-01T07:00:00Z", "fasting"),
      censored(insulin("i", 2, "2024-03-01T07:00:00Z")),
  };
  EXPECT_FALSE(compute_derived(homa_rule(), cens));
  const std::vector<Measurement> alone = {glucose("g", 4.5, "2024-03-01T07:00:00Z", "fasting")};
  EXPECT_FALSE(compute_derived(homa_rule(), alone));
}

TEST(DerivedRulesHoma, InsulinInPmolPerLitreConvertsAtSix) {
  // As the pipeline meets it: Observations normalised with the catalogue (insulin canonical u[IU]/mL, 1 uIU/mL =
  // 6 pmol/L; fasting glucose LOINC 1558-6 carries the "fasting" timing). 60 pmol/L -> 10 uIU/mL.
  // HOMA-IR = 4.5 x 10 / 22.5 = 2.0.
  const Catalogue catalogue({testing::glucose(), testing::insulin()});
  const auto glucose_m =
      normalise(testing::lab_result("g", "1558-6", 4.5, "mmol/L", "2024-03-01T07:00:00+01:00"), catalogue);
  const auto insulin_m =
      normalise(testing::lab_result("i", "14796-7", 60, "pmol/L", "2024-03-01T07:05:00+01:00"), catalogue);
  ASSERT_TRUE(std::holds_alternative<Measurement>(glucose_m));
  ASSERT_TRUE(std::holds_alternative<Measurement>(insulin_m));
  ASSERT_EQ(std::get<Measurement>(glucose_m).timing, "fasting");
  ASSERT_EQ(std::get<Measurement>(insulin_m).value.unit, "u[IU]/mL");
  const std::vector<Measurement> ms = {std::get<Measurement>(insulin_m), std::get<Measurement>(glucose_m)};
  const auto g = compute_derived(homa_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 2.0, 1e-9);
  ASSERT_EQ(g->inputs.size(), 2u);
  EXPECT_EQ(g->inputs[0].analyte_id, "glucose");
  EXPECT_EQ(g->inputs[1].analyte_id, "insulin");
  EXPECT_EQ(g->inputs[1].value.unit, "u[IU]/mL");
  EXPECT_NEAR(g->inputs[1].value.value, 10.0, 1e-9);
  EXPECT_EQ(g->effective.text, "2024-03-01T07:05:00+01:00");
}

TEST(DerivedRulesHoma, InsulinInMilliIuPerLitreIsTheSameNumber) {
  // m[IU]/L and u[IU]/mL are one unit: 9 m[IU]/L with 5.0 mmol/L -> 5 x 9 / 22.5 = 2.0.
  const std::vector<Measurement> ms = {
      glucose("g", 5.0, "2024-03-01T07:30:00Z", "fasting"),
      result("i", "insulin", 9, "m[IU]/L", "2024-03-01T07:30:00Z"),
  };
  const auto g = compute_derived(homa_rule(), ms);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 2.0, 1e-12);
  EXPECT_EQ(g->inputs[1].value.unit, "u[IU]/mL");
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs and output unit as the rule states them (config/rules/gradients.yaml, derived: inputs, unit)

TEST(DerivedRulesData, InputsNameTheAnalyteOfEachRole) {
  // A site whose catalogue calls SHBG "sex-hormone-binding-globulin": FAI = 100 x 20 / 50 = 40 from it, and the
  // result of analyte id "shbg" is not an input any more.
  auto rule = fai_rule();
  rule.inputs = {{"testosterone", "testosterone"}, {"shbg", "sex-hormone-binding-globulin"}};
  const std::vector<Measurement> ms = {
      testosterone("t", 20, "2024-03-01T08:00:00Z"),
      result("s-site", "sex-hormone-binding-globulin", 50, "nmol/L", "2024-03-01T09:00:00Z"),
      shbg("s-default", 40, "2024-03-01T08:30:00Z"),
  };
  const auto g = compute_derived(rule, ms);
  ASSERT_TRUE(g);
  EXPECT_NEAR(g->value.value, 40.0, 1e-12);
  EXPECT_EQ(references(*g), observations({"t", "s-site"}));
}

TEST(DerivedRulesData, RolesLeftOutAreTheAnalytesOfTheirOwnName) {
  const auto rule = free_testosterone_rule();
  EXPECT_EQ(rule.input("testosterone"), "testosterone");
  EXPECT_EQ(rule.input("albumin"), "albumin");
  EXPECT_EQ(rule.output_unit(), "pmol/L");
  EXPECT_EQ(homa_rule().output_unit(), "1");
  EXPECT_EQ(derived_roles(DerivedRule::Formula::homa_ir), (std::vector<std::string_view>{"glucose", "insulin"}));
  EXPECT_TRUE(derived_role_optional(DerivedRule::Formula::free_testosterone_vermeulen, "albumin"));
  EXPECT_FALSE(derived_role_optional(DerivedRule::Formula::free_testosterone_vermeulen, "shbg"));
}

TEST(DerivedRulesData, AnOutputUnitOtherThanTheFormulasRescalesTheValue) {
  const std::vector<Measurement> ms = {
      testosterone("t", 20, "2024-03-01T08:00:00Z"),
      shbg("s", 40, "2024-03-01T08:00:00Z"),
      albumin("a", 43, "2024-03-01T08:00:00Z"),
  };
  const auto in_pmol = compute_derived(free_testosterone_rule(), ms);
  auto nanomolar = free_testosterone_rule();
  nanomolar.unit = "nmol/L";
  const auto in_nmol = compute_derived(nanomolar, ms);
  ASSERT_TRUE(in_pmol && in_nmol);
  EXPECT_EQ(in_pmol->value.unit, "pmol/L");
  EXPECT_EQ(in_nmol->value.unit, "nmol/L");
  EXPECT_NEAR(in_nmol->value.value * 1000, in_pmol->value.value, 1e-9);
}

}  // namespace
}  // namespace gg::analytics
