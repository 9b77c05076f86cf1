#include "analytics/derived.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace gg::analytics {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

double relative_difference(double actual, double expected) {
  return std::abs(actual - expected) / std::abs(expected);
}

// N = 1 + Ka*[Alb] with [Alb] in mol/L: free + albumin-bound testosterone is N times the free.
double vermeulen_n(double albumin_g_l, const VermeulenConstants& k) {
  return 1 + k.ka_l_per_mol * albumin_g_l / k.albumin_g_per_mol;
}

// An independent solution of Vermeulen's model, sharing nothing with the quadratic but the law of mass action: in
// mol/L, TT = FT + Ka*[Alb]*FT + [SHBG]*Kt*FT / (1 + Kt*FT). The right side rises with FT, is below TT at FT = 0
// and at least TT at FT = TT, so bisection on [0, TT] converges to the only root. Returns nmol/L.
double free_testosterone_by_bisection_nmol_l(double tt_nmol_l, double shbg_nmol_l, double albumin_g_l,
                                             const VermeulenConstants& k = {}) {
  const double tt = tt_nmol_l * 1e-9;
  const double shbg = shbg_nmol_l * 1e-9;
  const double albumin = albumin_g_l / k.albumin_g_per_mol;
  const auto bound_plus_free = [&](double ft) {
    return ft + k.ka_l_per_mol * albumin * ft + shbg * k.kt_l_per_mol * ft / (1 + k.kt_l_per_mol * ft);
  };
  double lo = 0;
  double hi = tt;
  for (int i = 0; i < 2000; ++i) {
    const double mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;  // the interval is down to adjacent doubles
    if (bound_plus_free(mid) > tt) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return (lo + (hi - lo) / 2) * 1e9;
}

double free_t_pmol_l(double tt, double shbg, double albumin_g_l, const VermeulenConstants& k = {}) {
  const auto ft = vermeulen_free_testosterone_pmol_l(tt, shbg, albumin_g_l, k);
  EXPECT_TRUE(ft.has_value()) << "TT " << tt << " SHBG " << shbg << " albumin " << albumin_g_l;
  return ft.value_or(kNan);
}

// ISSAM's worked example, https://www.issam.ch/freetesuit.htm ("Explanation and examples" of the ISSAM free and
// bioavailable testosterone calculator, which cites Vermeulen 1999): SHBG 40 nmol/L, T 10 nmol/L (288.4 ng/dL),
// albumin 4.3 g/dL, Kt 1e9, Ka 3.6e4, albumin 69000 g/mol. The page prints the coefficients a = 23.43e9,
// b = 53.43, c = -10e-9 and the root [S] = 1.7388e-10 mol/L = 173.88 pmol/L, free fraction 1.74 %.
TEST(DerivedVermeulen, ReproducesTheIssamWorkedExample) {
  const double ft = free_t_pmol_l(10, 40, 43);
  EXPECT_LT(relative_difference(ft, 173.88), 0.001);  // 0.1 %
  EXPECT_NEAR(ft, 173.88, 0.005);                     // and the page's own precision: half a unit in the 5th digit
  EXPECT_NEAR(100 * (ft / 1000) / 10, 1.74, 0.005);   // free fraction, printed to 3 figures
  // The page's N: 1 + 3.6e4 * 43 / 69000 = 23.43.
  EXPECT_NEAR(vermeulen_n(43, {}), 23.43, 0.005);
}

// ISSAM's live calculator, https://www.issam.ch/freetesto.htm, read by two independent projects:
//  - alexisayenko/project-bloodtests-v3, web/test/computed-indices.test.ts: eight cases recorded by hand on
//    2026-09-16, and docs/tech/decisions/adr-0020-constants-from-cited-data-calculators-are-cross-checks.md, which
//    reads the page's script: same model and Kt/Ka as Vermeulen, but T in ng/dL converted at 280 g/mol
//    (T / 2.8 x 1e-10 mol/L), nmol/L entries first turned into ng/dL at 28.84, and albumin at 1.45e-4 mol/L per
//    g/dL (10 / 1.45e-4 = 68966 g/mol, not 69000);
//  - nmillrr/outlabs, free-testosterone-calculator/tests/test_models.py: two cases in nmol/L with their FT and %.
// The calculator shows 3 significant figures, so each figure is checked to half a unit in its last digit (0.1 % to
// 0.6 % relative): a check that this is Vermeulen's formula with those constants, not a 0.1 % anchor (the worked
// example above is that).
struct IssamDisplay {
  const char* source;
  double tt;         // as entered
  bool tt_in_ng_dl;  // else nmol/L
  double shbg_nmol_l;
  double albumin_g_dl;
  double free_t;        // as displayed, in the unit T was entered in
  double free_t_step;   // the unit of its last displayed digit
  double free_percent;  // as displayed, 2 decimals
};

TEST(DerivedVermeulen, MatchesTheIssamCalculatorDisplayWithItsConstants) {
  VermeulenConstants issam;
  issam.albumin_g_per_mol = 10 / 1.45e-4;
  constexpr double kIssamNgDlPerNmolL = 28.0;        // 280 g/mol, its solve
  constexpr double kIssamEntryNgDlPerNmolL = 28.84;  // its nmol/L -> ng/dL entry conversion

  const std::vector<IssamDisplay> cases = {
      {"bloodtests-v3", 888, true, 30, 4.3, 22.1, 0.1, 2.49},
      {"bloodtests-v3", 500, true, 40, 4.5, 9.15, 0.01, 1.83},
      {"bloodtests-v3", 300, true, 60, 4.3, 3.95, 0.01, 1.32},
      {"bloodtests-v3", 446, true, 24.9, 4.3, 10.8, 0.1, 2.41},
      {"bloodtests-v3", 150, true, 80, 3.5, 1.58, 0.01, 1.05},
      {"bloodtests-v3", 1200, true, 15, 5.0, 35.6, 0.1, 2.97},
      {"bloodtests-v3", 250, true, 100, 4.3, 2.15, 0.01, 0.86},
      {"bloodtests-v3", 15, false, 40, 4.3, 0.275, 0.001, 1.83},
      {"outlabs", 15, false, 40, 4.5, 0.269, 0.001, 1.79},
      {"outlabs", 10, false, 20, 4.2, 0.258, 0.001, 2.58},
  };
  for (const IssamDisplay& c : cases) {
    SCOPED_TRACE(testing::Message() << c.source << ": T " << c.tt << (c.tt_in_ng_dl ? " ng/dL" : " nmol/L")
                                    << ", SHBG " << c.shbg_nmol_l << ", albumin " << c.albumin_g_dl << " g/dL");
    // What the calculator solves with, in nmol/L, and the factor back to the unit it displays.
    const double entered_ng_dl = c.tt_in_ng_dl ? c.tt : c.tt * kIssamEntryNgDlPerNmolL;
    const double solved_tt = entered_ng_dl / kIssamNgDlPerNmolL;
    const double display_per_nmol_l =
        c.tt_in_ng_dl ? kIssamNgDlPerNmolL : kIssamNgDlPerNmolL / kIssamEntryNgDlPerNmolL;

    const double ft_nmol_l = free_t_pmol_l(solved_tt, c.shbg_nmol_l, c.albumin_g_dl * 10, issam) / 1000;
    EXPECT_NEAR(ft_nmol_l * display_per_nmol_l, c.free_t, c.free_t_step / 2 + 1e-12);
    EXPECT_NEAR(100 * ft_nmol_l / solved_tt, c.free_percent, 0.005 + 1e-12);
  }
}

// The independent check: the quadratic's root against bisection on the mass balance, across SHBG, TT and albumin
// from hypogonadal to supraphysiological and with other constants. Agreement to 1e-9 shows the root is the
// physical one and nmol/L, g/L and pmol/L are each scaled once.
TEST(DerivedVermeulen, AgreesWithBisectionOnTheMassBalance) {
  // A higher Kt, 1.4e9 L/mol, as in Emadi-Konjin's variant
  // (https://www.medicalalgorithms.com/formula-of-emadi-konjin-
  // et-al-for-calculation-of-bioavailable-testosterone-bat), and no albumin binding at all.
  VermeulenConstants emadi_konjin;
  emadi_konjin.kt_l_per_mol = 1.4e9;
  VermeulenConstants no_albumin_binding;
  no_albumin_binding.ka_l_per_mol = 0;

  for (const VermeulenConstants& k : {VermeulenConstants{}, emadi_konjin, no_albumin_binding}) {
    for (double tt : {0.5, 3.0, 10.0, 15.0, 35.0, 120.0}) {
      for (double shbg : {0.0, 5.0, 15.0, 40.0, 100.0, 250.0}) {
        for (double albumin : {25.0, 43.0, 52.0}) {
          SCOPED_TRACE(testing::Message() << "Kt " << k.kt_l_per_mol << " Ka " << k.ka_l_per_mol << " TT " << tt
                                          << " SHBG " << shbg << " albumin " << albumin);
          const double ft = free_t_pmol_l(tt, shbg, albumin, k);
          const double expected = free_testosterone_by_bisection_nmol_l(tt, shbg, albumin, k) * 1000;
          EXPECT_LT(relative_difference(ft, expected), 1e-9) << ft << " vs " << expected;
          // Physical bounds: some is free, no more than all of it (all only when nothing binds), and SHBG holds no
          // more than it has sites for.
          EXPECT_GT(ft, 0);
          if (shbg > 0 || k.ka_l_per_mol > 0) {
            EXPECT_LT(ft / 1000, tt);
          } else {
            EXPECT_DOUBLE_EQ(ft / 1000, tt);
          }
          const double ft_nmol = ft / 1000;
          const double kt = k.kt_l_per_mol * 1e-9;
          EXPECT_LE(shbg * kt * ft_nmol / (1 + kt * ft_nmol), shbg);
        }
      }
    }
  }
}

// With no SHBG the quadratic factors as (N*FT - TT)(Kt*FT + 1) = 0, so FT = TT / N exactly.
TEST(DerivedVermeulen, WithoutShbgFreeIsTotalOverN) {
  for (double tt : {0.1, 10.0, 40.0}) {
    for (double albumin : {30.0, 43.0}) {
      const double expected_pmol_l = tt / vermeulen_n(albumin, {}) * 1000;
      EXPECT_LT(relative_difference(free_t_pmol_l(tt, 0, albumin), expected_pmol_l), 1e-12)
          << tt << " " << albumin;
    }
  }
}

// A small TT makes b^2 dominate the discriminant, where (-b + sqrt(b^2 - 4ac)) / 2a loses digits to cancellation
// (about 4e-14 relative at 0.1 nmol/L, 8e-12 at 1e-3 and 5e-8 at 1e-7 with SHBG 40, albumin 43 g/L). The stable
// form keeps full precision, so these are checked to 1e-12, and against the dilute limit FT -> TT / (N + Kt*SHBG).
TEST(DerivedVermeulen, StaysAccurateForVeryLowTotalTestosterone) {
  for (double tt : {0.1, 1e-3, 1e-7}) {
    SCOPED_TRACE(testing::Message() << "TT " << tt << " nmol/L");
    const double ft = free_t_pmol_l(tt, 40, 43);
    EXPECT_LT(relative_difference(ft, free_testosterone_by_bisection_nmol_l(tt, 40, 43) * 1000), 1e-12);
  }
  const double dilute_limit_pmol_l = 1e-7 / (vermeulen_n(43, {}) + 1e9 * 1e-9 * 40) * 1000;
  EXPECT_LT(relative_difference(free_t_pmol_l(1e-7, 40, 43), dilute_limit_pmol_l), 1e-6);
}

TEST(DerivedVermeulen, MoreShbgLeavesLessFree) {
  double previous = kInf;
  for (double shbg = 0; shbg <= 300; shbg += 2.5) {
    const double ft = free_t_pmol_l(15, shbg, 43);
    EXPECT_LT(ft, previous) << "SHBG " << shbg;
    previous = ft;
  }
}

TEST(DerivedVermeulen, MoreTotalOrLessAlbuminLeavesMoreFree) {
  EXPECT_LT(free_t_pmol_l(10, 40, 43), free_t_pmol_l(20, 40, 43));
  EXPECT_GT(free_t_pmol_l(15, 40, 35), free_t_pmol_l(15, 40, 50));
}

TEST(DerivedVermeulen, RefusesInvalidInputs) {
  EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(0, 40, 43));  // no testosterone, nothing to calculate
  EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(-1, 40, 43));
  EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(15, -1, 43));
  EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(15, 40, 0));
  EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(15, 40, -43));
  for (double bad : {kNan, kInf, -kInf}) {
    EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(bad, 40, 43)) << bad;
    EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(15, bad, 43)) << bad;
    EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(15, 40, bad)) << bad;
  }
  VermeulenConstants k;
  k.kt_l_per_mol = 0;
  EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(15, 40, 43, k));
  k = {};
  k.ka_l_per_mol = -1;
  EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(15, 40, 43, k));
  k = {};
  k.albumin_g_per_mol = 0;
  EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(15, 40, 43, k));
  k = {};
  k.kt_l_per_mol = kNan;
  EXPECT_FALSE(vermeulen_free_testosterone_pmol_l(15, 40, 43, k));
}

TEST(DerivedVermeulen, ExtremeButValidInputsStayFinite) {
  // b = N - Kt*TT is about -1e200 here, so b^2 would overflow; hypot keeps the root finite and FT = TT / N holds.
  const double expected_pmol_l = 1e200 / vermeulen_n(43, {}) * 1000;
  EXPECT_LT(relative_difference(free_t_pmol_l(1e200, 0, 43), expected_pmol_l), 1e-12);
}

// FAI = total testosterone (nmol/L) x 100 / SHBG (nmol/L): GPnotebook, "free androgen index test (FAI)",
// https://gpnotebook.com/en-au/simplepage.cfm?ID=x20110323210745766773 (last reviewed 09/2022). TT 20, SHBG 40
// -> 50.
TEST(DerivedFreeAndrogenIndex, IsOneHundredTimesTotalOverShbg) {
  EXPECT_DOUBLE_EQ(free_androgen_index(20, 40).value_or(kNan), 50);
  EXPECT_DOUBLE_EQ(free_androgen_index(1.5, 60).value_or(kNan), 2.5);
  EXPECT_DOUBLE_EQ(free_androgen_index(0, 40).value_or(kNan), 0);
}

TEST(DerivedFreeAndrogenIndex, RefusesNoShbgAndInvalidInputs) {
  EXPECT_FALSE(free_androgen_index(20, 0));
  EXPECT_FALSE(free_androgen_index(20, -40));
  EXPECT_FALSE(free_androgen_index(-20, 40));
  EXPECT_FALSE(free_androgen_index(1e300, 1e-300));  // would overflow
  for (double bad : {kNan, kInf, -kInf}) {
    EXPECT_FALSE(free_androgen_index(bad, 40)) << bad;
    EXPECT_FALSE(free_androgen_index(20, bad)) << bad;
  }
}

// HOMA-IR = fasting glucose (mmol/L) x fasting insulin (mU/L) / 22.5 (Matthews et al., Diabetologia
// 1985;28:412-419), as restated by GPnotebook, "Homeostatic model assessment for insulin resistance (HOMA-IR)",
// https://gpnotebook.com/en-IE/pages/cardiovascular-medicine/homeostatic-model-assessment-for-insulin-resistance-homa-ir
// Glucose 5.0 mmol/L with insulin 10 uIU/mL is 50 / 22.5 = 2.2222 by that definition.
TEST(DerivedHomaIr, IsGlucoseTimesInsulinOver22Point5) {
  EXPECT_DOUBLE_EQ(homa_ir(5.0, 10).value_or(kNan), 50.0 / 22.5);
  EXPECT_NEAR(homa_ir(5.0, 10).value_or(kNan), 2.22, 0.005);
  // The model's normal subject (4.5 mmol/L, 5 uIU/mL) scores 1.
  EXPECT_DOUBLE_EQ(homa_ir(4.5, 5).value_or(kNan), 1);
}

// The worked table of https://codingace.net/medical/homa_ir.php ("Example Data Table"), glucose as the page
// converts it to mmol/L, HOMA-IR printed to 2 decimals: 4.89 x 4.5 -> 0.98, 5.33 x 10.0 -> 2.37, 6.22 x 18.0
// -> 4.98.
TEST(DerivedHomaIr, ReproducesAPublishedWorkedTable) {
  EXPECT_NEAR(homa_ir(4.89, 4.5).value_or(kNan), 0.98, 0.005);
  EXPECT_NEAR(homa_ir(5.33, 10.0).value_or(kNan), 2.37, 0.005);
  EXPECT_NEAR(homa_ir(6.22, 18.0).value_or(kNan), 4.98, 0.005);
}

TEST(DerivedHomaIr, RefusesZeroNegativeAndNonFinite) {
  EXPECT_FALSE(homa_ir(0, 10));
  EXPECT_FALSE(homa_ir(5, 0));
  EXPECT_FALSE(homa_ir(-5, 10));
  EXPECT_FALSE(homa_ir(5, -10));
  for (double bad : {kNan, kInf, -kInf}) {
    EXPECT_FALSE(homa_ir(bad, 10)) << bad;
    EXPECT_FALSE(homa_ir(5, bad)) << bad;
  }
}

// 1 uIU/mL = 6 pmol/L (the product's contract; also the factor stated by https://homaircalculator.com/
// HOMA-IR-Calculator-Pmol-L.php, "Since 1 uU/mL = 6 pmol/L, we divide by 6"). 60 pmol/L -> 10 uIU/mL.
TEST(DerivedInsulin, ConvertsPmolPerLitreAtSixPerMicroUnit) {
  EXPECT_DOUBLE_EQ(insulin_pmol_l_to_uiu_ml(60), 10);
  EXPECT_DOUBLE_EQ(insulin_pmol_l_to_uiu_ml(0), 0);
  // An SI report goes through the conversion into HOMA-IR: 5.0 mmol/L, 60 pmol/L -> 2.2222.
  EXPECT_DOUBLE_EQ(homa_ir(5.0, insulin_pmol_l_to_uiu_ml(60)).value_or(kNan), 50.0 / 22.5);
}

}  // namespace
}  // namespace gg::analytics
