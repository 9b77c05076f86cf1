// Derived values: numbers computed from two or three normalised results by a published formula (calculated free
// testosterone, free androgen index, HOMA-IR). Pure arithmetic on values already in the unit each formula names;
// no unit parsing here (that is unit_conversion.hpp's job) and nothing clinical beyond the formula itself.
//
// Each function says what it refuses: a result that is not finite, or a denominator that is zero, gives nullopt,
// never a NaN or an infinity that would travel on into a gradient.
#pragma once

#include <optional>

namespace gg::analytics {

// Constants of Vermeulen's mass-action model of testosterone binding:
// Vermeulen A, Verdonck L, Kaufman JM. A critical evaluation of simple methods for the estimation of free
// testosterone in serum. J Clin Endocrinol Metab 1999;84(10):3666-3672. doi:10.1210/jcem.84.10.6079
// The defaults are the paper's (and ISSAM's worked example, https://www.issam.ch/freetesuit.htm). They are
// parameters so that another calculator's figures can be reproduced with its constants, not to be tuned.
struct VermeulenConstants {
  double kt_l_per_mol = 1.0e9;       // association constant of SHBG for testosterone
  double ka_l_per_mol = 3.6e4;       // association constant of albumin for testosterone
  double albumin_g_per_mol = 69000;  // albumin molar mass as used by Vermeulen (43 g/L -> 6.2e-4 mol/L)
};

// Calculated free testosterone (Vermeulen 1999), in pmol/L.
//
// Total testosterone is free + albumin-bound + SHBG-bound. Albumin binding is far from saturation, so
// albumin-bound = Ka*Alb*FT and free + albumin-bound = N*FT with N = 1 + Ka*Alb. SHBG has one site of affinity Kt:
// bound = Kt*FT*(SHBG - bound). Eliminating the bound term gives, all in mol/L (Alb = albumin_g_l / molar mass),
//   N*Kt*FT^2 + (N + Kt*(SHBG - TT))*FT - TT = 0,
// whose roots have opposite signs (the product is -TT/(N*Kt) < 0); FT is the positive one. It is evaluated in the
// form that subtracts no nearly equal numbers, so it keeps full precision for a tiny TT as for a large one.
//
// nullopt for a non-finite or negative input, TT <= 0, albumin <= 0, or constants that are not finite and positive
// (Ka may be 0: no albumin binding). SHBG may be 0, which gives FT = TT/N.
std::optional<double> vermeulen_free_testosterone_pmol_l(double total_testosterone_nmol_l, double shbg_nmol_l,
                                                         double albumin_g_l, const VermeulenConstants& k = {});

// Free androgen index: 100 * TT / SHBG, both in nmol/L (dimensionless). nullopt when SHBG <= 0, TT < 0, or either
// is not finite.
std::optional<double> free_androgen_index(double total_testosterone_nmol_l, double shbg_nmol_l);

// HOMA-IR, the homeostasis model assessment of insulin resistance: Matthews DR, Hosker JP, Rudenski AS, Naylor BA,
// Treacher DF, Turner RC. Diabetologia 1985;28(7):412-419. doi:10.1007/BF00280883
//   HOMA-IR = fasting glucose (mmol/L) * fasting insulin (uIU/mL, = mU/L) / 22.5
// 22.5 is the product of "normal" fasting values in the model (4.5 mmol/L * 5 uIU/mL), so a normal subject
// scores 1. nullopt unless both values are finite and above zero: a zero is not a fasting measurement (an
// undetectable insulin arrives with a "<" comparator and is not a value).
std::optional<double> homa_ir(double fasting_glucose_mmol_l, double fasting_insulin_uiu_ml);

// Insulin pmol/L -> uIU/mL at 6.00 pmol/L per uIU/mL, the product's contract (the factor HOMA calculators and
// most laboratories use; an assay's own factor may differ slightly, which is the laboratory's to state).
inline constexpr double kInsulinPmolPerUiu = 6.00;
double insulin_pmol_l_to_uiu_ml(double pmol_l);

}  // namespace gg::analytics
