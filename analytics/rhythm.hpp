// Time-course summaries of repeated hormone samples: a least-squares trend line, Pruessner's two areas under the
// curve (the cortisol awakening response), and the single-component cosinor for a circadian rhythm with its
// zero-amplitude F test. Pure functions on plain numbers: the caller chooses the time axis (see each function) and
// has already brought every value into one unit.
//
// The F test needs the upper tail of Fisher's F distribution, which is written here (no GSL or Boost.Math) through
// the regularized incomplete beta function: DLMF 8.17 (https://dlmf.nist.gov/8.17), continued fraction 8.17.22,
// evaluated with the modified Lentz method (Thompson IJ, Barnett AR. J Comput Phys 1986;64:490-509).
#pragma once

#include <cstddef>
#include <optional>
#include <span>

namespace gg::analytics {

// One sample on a time axis the caller chooses (hours or minutes, as each function says).
struct TimedValue {
  double hours = 0;  // the time coordinate; pruessner_auc() reads it as minutes
  double value = 0;
  friend bool operator==(const TimedValue&, const TimedValue&) = default;
};

struct LinearFit {
  double slope = 0;      // value units per time unit
  double intercept = 0;  // the fitted value at time 0
  std::size_t n = 0;
  friend bool operator==(const LinearFit&, const LinearFit&) = default;
};

// Ordinary least squares of value on hours (any order of samples). Nothing when there are fewer than 2 samples,
// all times are equal (no slope is defined), or a time or value is not finite.
std::optional<LinearFit> least_squares_line(std::span<const TimedValue> samples);

// Pruessner JC, Kirschbaum C, Meinlschmid G, Hellhammer DH. Two formulas for computation of the area under the
// curve represent measures of total hormone concentration versus time-dependent change. Psychoneuroendocrinology
// 2003;28:916-931. doi:10.1016/S0306-4530(02)00108-7.
//   AUCg (formula 2, "with respect to ground"): the trapezoid sum, sum over i of (m_i + m_{i+1}) / 2 * t_i, where
//        t_i is the interval between sample i and i+1: total hormone output over the period.
//   AUCi (formula 3, "with respect to increase"): AUCg - m_1 * sum of t_i, i.e. the area above the first (waking)
//        value; negative when the values fall below it. It measures change over time, not total output.
struct AreaUnderCurve {
  double ground = 0;        // AUCg, value unit x minutes (e.g. nmol/L x min)
  double increase = 0;      // AUCi, same unit
  double span_minutes = 0;  // t_last - t_first
  std::size_t n = 0;
  friend bool operator==(const AreaUnderCurve&, const AreaUnderCurve&) = default;
};

// Samples: `hours` holds MINUTES from the first (waking) sample, strictly ascending; samples may be unequally
// spaced. Nothing for fewer than 2 samples, unsorted or duplicate times, or a non-finite time or value (the caller
// sorts; a duplicate time is a data error this function does not guess its way around).
std::optional<AreaUnderCurve> pruessner_auc(std::span<const TimedValue> samples);

// Single-component cosinor: Nelson W, Tong YL, Lee JK, Halberg F. Methods for cosinor-rhythmometry. Chronobiologia
// 1979;6:305-323; Cornelissen G. Cosinor-based rhythmometry. Theor Biol Med Model 2014;11:16.
// doi:10.1186/1742-4682-11-16. The model
//     y(t) = M + beta * cos(2 pi t / period) + gamma * sin(2 pi t / period)
//          = M + A * cos(2 pi (t - acrophase_hours) / period)
// is fitted by linear least squares; A = sqrt(beta^2 + gamma^2) and the peak is at 2 pi t / period = atan2(gamma,
// beta). Cornelissen reports the acrophase as a negative angle in degrees (-360 degrees = one period, 0 = the
// reference time); this struct reports instead the clock time of the fitted peak, in [0, period): an acrophase of
// -120 degrees with a 24 h period is acrophase_hours 8.0.
struct CosinorFit {
  double mesor = 0;            // M, the rhythm-adjusted mean
  double amplitude = 0;        // A, half the peak-to-trough extent of the fitted curve
  double acrophase_hours = 0;  // clock time of the fitted peak in [0, period); 0 when the amplitude is exactly 0
  double beta = 0;             // coefficient of cos(2 pi t / period)
  double gamma = 0;            // coefficient of sin(2 pi t / period)
  double residual_standard_error = 0;  // sqrt(RSS / (n - 3))
  double f_statistic = 0;              // zero-amplitude test: ((TSS - RSS) / 2) / (RSS / (n - 3))
  double p_value = 1;                  // upper tail of F(2, n - 3) at f_statistic
  std::size_t n = 0;
  friend bool operator==(const CosinorFit&, const CosinorFit&) = default;
};

// t = hours on the local clock (may run past 24 across several days: only t modulo the period matters). Nothing
// when n < 4 (the F test needs n - 3 >= 1 residual degree of freedom), when the period is not finite and positive,
// a time or value is not finite, or the normal equations are singular: all samples at one phase of the cycle (e.g.
// 08:00 on each of several days) or at only two distinct phases, which cannot separate beta from gamma. A perfect
// fit (RSS zero to rounding of the values) reports residual_standard_error 0, f_statistic +infinity and p_value 0.
// Values with no variation at all (TSS zero to rounding) report amplitude 0, f_statistic 0, p_value 1: there is
// nothing a rhythm could explain.
std::optional<CosinorFit> fit_cosinor(std::span<const TimedValue> samples, double period_hours = 24.0);

// Upper tail probability P(F > f) of Fisher's F distribution with (d1, d2) degrees of freedom:
// P = I_{d2 / (d2 + d1 f)}(d2 / 2, d1 / 2) (Abramowitz & Stegun 26.6.2). 1 for f <= 0; NaN when f is
// NaN or a degree of freedom is not finite and positive.
double f_distribution_upper_tail(double f, double d1, double d2);

// Regularized incomplete beta I_x(a, b) = B_x(a, b) / B(a, b) (DLMF 8.17.2) for a, b > 0: 0 for x <= 0, 1 for x >=
// 1, NaN when x is NaN or a or b is not finite and positive. Accurate to about 1e-13 absolute over the range the F
// test uses.
double regularized_incomplete_beta(double x, double a, double b);

}  // namespace gg::analytics
