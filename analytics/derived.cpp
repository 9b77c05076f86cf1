#include "analytics/derived.hpp"

#include <cmath>

namespace gg::analytics {
namespace {

bool finite_non_negative(double v) {
  return std::isfinite(v) && v >= 0;
}
bool finite_positive(double v) {
  return std::isfinite(v) && v > 0;
}

constexpr double kNanomolPerMol = 1e9;
constexpr double kPicomolPerNanomol = 1e3;

}  // namespace

std::optional<double> vermeulen_free_testosterone_pmol_l(double total_testosterone_nmol_l, double shbg_nmol_l,
                                                         double albumin_g_l, const VermeulenConstants& k) {
  if (!finite_positive(total_testosterone_nmol_l) || !finite_non_negative(shbg_nmol_l) ||
      !finite_positive(albumin_g_l)) {
    return std::nullopt;
  }
  if (!finite_positive(k.kt_l_per_mol) || !finite_non_negative(k.ka_l_per_mol) ||
      !finite_positive(k.albumin_g_per_mol)) {
    return std::nullopt;
  }

  // The quadratic is solved in nmol/L rather than mol/L: dividing it through by 1e-9 leaves the same equation with
  // Kt in L/nmol (1 for Vermeulen's constant), so its coefficients are of order one to a hundred instead of 1e10
  // and 1e-8. N is dimensionless and does not change.
  const double tt = total_testosterone_nmol_l;
  const double shbg = shbg_nmol_l;
  const double kt = k.kt_l_per_mol / kNanomolPerMol;                          // L/nmol
  const double n = 1 + k.ka_l_per_mol * (albumin_g_l / k.albumin_g_per_mol);  // 1 + Ka*[Alb], [Alb] in mol/L

  // a*FT^2 + b*FT + c = 0 with a = N*Kt > 0, b = N + Kt*(SHBG - TT), c = -TT < 0. The discriminant b^2 - 4ac is
  // b^2 + (2*sqrt(a*TT))^2, taken with hypot so that no intermediate square overflows.
  const double a = n * kt;
  const double b = n + kt * (shbg - tt);
  const double root = std::hypot(b, 2 * std::sqrt(a) * std::sqrt(tt));

  // The positive root is (-b + root) / 2a. When b > 0 the numerator is the difference of two nearly equal numbers
  // for a small TT (root ~ b), so it is rewritten as 2*TT / (b + root), its algebraic equal (multiply by
  // (b + root)/(b + root) and use root^2 - b^2 = 4*a*TT). When b <= 0 the original form adds two non-negative
  // terms.
  const double free_nmol_l = b > 0 ? (2 * tt) / (b + root) : (root - b) / (2 * a);
  if (!std::isfinite(free_nmol_l) || free_nmol_l <= 0) return std::nullopt;
  return free_nmol_l * kPicomolPerNanomol;
}

std::optional<double> free_androgen_index(double total_testosterone_nmol_l, double shbg_nmol_l) {
  if (!finite_non_negative(total_testosterone_nmol_l) || !finite_positive(shbg_nmol_l)) return std::nullopt;
  const double fai = 100 * total_testosterone_nmol_l / shbg_nmol_l;
  if (!std::isfinite(fai)) return std::nullopt;  // a tiny SHBG against a huge TT
  return fai;
}

std::optional<double> homa_ir(double fasting_glucose_mmol_l, double fasting_insulin_uiu_ml) {
  if (!finite_positive(fasting_glucose_mmol_l) || !finite_positive(fasting_insulin_uiu_ml)) return std::nullopt;
  const double homa = fasting_glucose_mmol_l * fasting_insulin_uiu_ml / 22.5;
  if (!std::isfinite(homa)) return std::nullopt;
  return homa;
}

double insulin_pmol_l_to_uiu_ml(double pmol_l) {
  return pmol_l / kInsulinPmolPerUiu;
}

}  // namespace gg::analytics
