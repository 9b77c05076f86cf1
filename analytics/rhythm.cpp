#include "analytics/rhythm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace gg::analytics {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();

bool all_finite(std::span<const TimedValue> samples) {
  return std::all_of(samples.begin(), samples.end(),
                     [](const TimedValue& s) { return std::isfinite(s.hours) && std::isfinite(s.value); });
}

// ln Gamma(x) for x > 0, written here rather than taken from std::lgamma, which on glibc also writes the global
// `signgam` (a hidden side effect this pure layer avoids). The argument is shifted up to at least 15 with
// Gamma(x) = Gamma(x + k) / (x (x + 1) ... (x + k - 1)), then Stirling's series (DLMF 5.11.1) is summed through
// the B_10 term; the first omitted term, 691 / (360360 x^11), is below 3e-16 for x >= 15.
double log_gamma(double x) {
  double shift_product = 1;
  while (x < 15) {
    shift_product *= x;
    x += 1;
  }
  const double inverse = 1 / x;
  const double inverse_squared = inverse * inverse;
  // B_2k / (2k (2k - 1)) for k = 1..5: 1/12, -1/360, 1/1260, -1/1680, 1/1188 (Bernoulli numbers, DLMF 24.2).
  const double series =
      inverse *
      (1.0 / 12 + inverse_squared *
                      (-1.0 / 360 +
                       inverse_squared * (1.0 / 1260 + inverse_squared * (-1.0 / 1680 + inverse_squared / 1188))));
  const double half_log_two_pi = 0.5 * std::log(2 * std::numbers::pi);
  return (x - 0.5) * std::log(x) - x + half_log_two_pi + series - std::log(shift_product);
}

// ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b) (DLMF 5.12.1).
double log_beta(double a, double b) {
  return log_gamma(a) + log_gamma(b) - log_gamma(a + b);
}

// The continued fraction of DLMF 8.17.22,
//   I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * 1 / (1 + d_1 / (1 + d_2 / (1 + ...))),
//   d_{2m}   =  m (b - m) x / ((a + 2m - 1)(a + 2m)),
//   d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)),
// evaluated forwards with the modified Lentz method (Thompson & Barnett 1986, section 3): the convergents are
// built as running products of C_j / D_j ratios, with zeros nudged to a tiny number so no division fails. It
// converges quickly for x < (a + 1) / (a + b + 2); the caller uses the symmetry I_x(a, b) = 1 - I_{1-x}(b, a)
// otherwise. `y` is 1 - x, passed separately so that it keeps its precision when x is close to 1.
double incomplete_beta_fraction(double x, double y, double a, double b) {
  constexpr double kTiny = 1e-300;
  constexpr int kMaxTerms = 10000;

  const double log_front = a * std::log(x) + b * std::log(y) - log_beta(a, b);
  const double front = std::exp(log_front) / a;

  double convergent = 1;  // b_0 = 1
  double c = convergent;
  double d = 0;
  for (int j = 1; j <= kMaxTerms; ++j) {
    const int m = j / 2;
    const double coefficient = (j % 2 == 0) ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                                            : -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + coefficient * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + coefficient / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double step = c * d;
    convergent *= step;
    if (std::abs(step - 1) < 4 * kEpsilon) return front / convergent;
  }
  return kNaN;  // not reached for the (a, b) the F test uses; a NaN is never mistaken for a probability
}

// I_x(a, b) with y = 1 - x given exactly by the caller.
double incomplete_beta_with_complement(double x, double y, double a, double b) {
  if (std::isnan(x) || std::isnan(y) || !(a > 0) || !(b > 0) || !std::isfinite(a) || !std::isfinite(b))
    return kNaN;
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  if (x < (a + 1) / (a + b + 2)) return incomplete_beta_fraction(x, y, a, b);
  return 1 - incomplete_beta_fraction(y, x, b, a);
}

}  // namespace

std::optional<LinearFit> least_squares_line(std::span<const TimedValue> samples) {
  if (samples.size() < 2 || !all_finite(samples)) return std::nullopt;
  const auto [lowest, highest] = std::minmax_element(
      samples.begin(), samples.end(), [](const TimedValue& a, const TimedValue& b) { return a.hours < b.hours; });
  if (lowest->hours == highest->hours) return std::nullopt;

  // Centred sums (two passes) rather than sum(t^2) - n mean^2, which cancels badly when the times are large
  // (e.g. hours since an epoch) compared with their spread.
  const auto n = static_cast<double>(samples.size());
  double time_sum = 0;
  double value_sum = 0;
  for (const TimedValue& s : samples) {
    time_sum += s.hours;
    value_sum += s.value;
  }
  const double time_mean = time_sum / n;
  const double value_mean = value_sum / n;
  double time_squares = 0;
  double cross_products = 0;
  for (const TimedValue& s : samples) {
    const double dt = s.hours - time_mean;
    time_squares += dt * dt;
    cross_products += dt * (s.value - value_mean);
  }
  if (!(time_squares > 0)) return std::nullopt;  // distinct times whose spread underflows

  LinearFit fit;
  fit.slope = cross_products / time_squares;
  fit.intercept = value_mean - fit.slope * time_mean;
  fit.n = samples.size();
  if (!std::isfinite(fit.slope) || !std::isfinite(fit.intercept)) return std::nullopt;
  return fit;
}

std::optional<AreaUnderCurve> pruessner_auc(std::span<const TimedValue> samples) {
  if (samples.size() < 2 || !all_finite(samples)) return std::nullopt;
  double ground = 0;
  for (std::size_t i = 0; i + 1 < samples.size(); ++i) {
    const double interval = samples[i + 1].hours - samples[i].hours;
    if (!(interval > 0)) return std::nullopt;                            // unsorted or duplicate time
    ground += (samples[i].value + samples[i + 1].value) / 2 * interval;  // formula (2), one trapezoid
  }
  AreaUnderCurve auc;
  auc.span_minutes = samples.back().hours - samples.front().hours;  // the sum of the intervals
  auc.ground = ground;
  auc.increase = ground - samples.front().value * auc.span_minutes;  // formula (3)
  auc.n = samples.size();
  if (!std::isfinite(auc.ground) || !std::isfinite(auc.increase) || !std::isfinite(auc.span_minutes))
    return std::nullopt;
  return auc;
}

std::optional<CosinorFit> fit_cosinor(std::span<const TimedValue> samples, double period_hours) {
  if (samples.size() < 4 || !all_finite(samples)) return std::nullopt;
  if (!std::isfinite(period_hours) || !(period_hours > 0)) return std::nullopt;

  const auto n = static_cast<double>(samples.size());
  const double angular_frequency = 2 * std::numbers::pi / period_hours;
  // Regressors x = cos(w t), z = sin(w t). t is reduced modulo the period first (fmod is exact), so a time several
  // days in does not lose phase precision in w t.
  auto regressors = [&](const TimedValue& s) {
    const double angle = angular_frequency * std::fmod(s.hours, period_hours);
    return std::pair{std::cos(angle), std::sin(angle)};
  };

  double x_sum = 0;
  double z_sum = 0;
  double y_sum = 0;
  for (const TimedValue& s : samples) {
    const auto [x, z] = regressors(s);
    x_sum += x;
    z_sum += z;
    y_sum += s.value;
  }
  const double x_mean = x_sum / n;
  const double z_mean = z_sum / n;
  const double y_mean = y_sum / n;

  // The 3x3 normal equations of (M, beta, gamma) with M eliminated: subtracting the means leaves the 2x2 system
  //   [Sxx Sxz] [beta ]   [Sxy]
  //   [Sxz Szz] [gamma] = [Szy]
  // of centred sums, and M = mean(y) - beta mean(x) - gamma mean(z). Same solution, better conditioned.
  double sxx = 0;
  double szz = 0;
  double sxz = 0;
  double sxy = 0;
  double szy = 0;
  double total_squares = 0;  // TSS
  double largest_value = 0;
  for (const TimedValue& s : samples) {
    const auto [x, z] = regressors(s);
    const double dx = x - x_mean;
    const double dz = z - z_mean;
    const double dy = s.value - y_mean;
    sxx += dx * dx;
    szz += dz * dz;
    sxz += dx * dz;
    sxy += dx * dy;
    szy += dz * dy;
    total_squares += dy * dy;
    largest_value = std::max(largest_value, std::abs(s.value));
  }

  // Singular design: the (cos, sin) points all lie on one line (one phase, or two distinct phases), so the smaller
  // eigenvalue of the centred matrix is zero up to rounding. Rounding in it is a few epsilon x n; a spread of
  // phases below 1e-9 x n (about 0.1 s of a 24 h cycle) is treated as none.
  const double determinant = sxx * szz - sxz * sxz;
  const double largest_eigenvalue = (sxx + szz) / 2 + std::hypot((sxx - szz) / 2, sxz);
  if (!(largest_eigenvalue > 0)) return std::nullopt;
  const double smallest_eigenvalue = determinant / largest_eigenvalue;
  if (!(smallest_eigenvalue > 1e-9 * n)) return std::nullopt;

  CosinorFit fit;
  fit.n = samples.size();
  fit.beta = (szz * sxy - sxz * szy) / determinant;
  fit.gamma = (sxx * szy - sxz * sxy) / determinant;
  fit.mesor = y_mean - fit.beta * x_mean - fit.gamma * z_mean;

  double residual_squares = 0;  // RSS
  for (const TimedValue& s : samples) {
    const auto [x, z] = regressors(s);
    const double residual = s.value - (fit.mesor + fit.beta * x + fit.gamma * z);
    residual_squares += residual * residual;
  }

  // Sums of squares this small are rounding of the values themselves (a few ulp of the largest value per sample),
  // not signal: they are read as exactly zero.
  const double rounding_floor = n * std::pow(64 * kEpsilon * largest_value, 2);
  const double residual_df = n - 3;
  if (total_squares <= rounding_floor) {
    // Constant values: no variation for a rhythm to explain.
    fit.beta = 0;
    fit.gamma = 0;
    fit.mesor = y_mean;
    fit.f_statistic = 0;
    fit.p_value = 1;
    return fit;  // amplitude, acrophase and residual standard error stay 0
  }

  fit.amplitude = std::hypot(fit.beta, fit.gamma);
  // Peak where w t = atan2(gamma, beta), mapped to a clock time in [0, period).
  double peak = std::atan2(fit.gamma, fit.beta) / angular_frequency;
  if (peak < 0) peak += period_hours;
  if (peak >= period_hours || peak == 0) peak = 0;  // -tiny + period rounds to period, the reference time; no -0
  fit.acrophase_hours = peak;

  if (residual_squares <= rounding_floor) {  // perfect fit
    fit.residual_standard_error = 0;
    fit.f_statistic = kInfinity;
    fit.p_value = 0;
    return fit;
  }
  fit.residual_standard_error = std::sqrt(residual_squares / residual_df);
  const double explained = std::max(total_squares - residual_squares, 0.0);
  fit.f_statistic = (explained / 2) / (residual_squares / residual_df);
  fit.p_value = f_distribution_upper_tail(fit.f_statistic, 2, residual_df);
  return fit;
}

double f_distribution_upper_tail(double f, double d1, double d2) {
  if (std::isnan(f) || !(d1 > 0) || !(d2 > 0) || !std::isfinite(d1) || !std::isfinite(d2)) return kNaN;
  if (f <= 0) return 1;
  if (f == kInfinity) return 0;
  // x = d2 / (d2 + d1 f) and 1 - x = d1 f / (d2 + d1 f), each computed directly so neither loses precision.
  const double denominator = d2 + d1 * f;
  return incomplete_beta_with_complement(d2 / denominator, d1 * f / denominator, d2 / 2, d1 / 2);
}

double regularized_incomplete_beta(double x, double a, double b) {
  return incomplete_beta_with_complement(x, 1 - x, a, b);
}

}  // namespace gg::analytics
