#include "analytics/rhythm.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

namespace gg::analytics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// |actual - expected| <= relative * |expected|.
::testing::AssertionResult near_relative(double actual, double expected, double relative) {
  if (std::abs(actual - expected) <= relative * std::abs(expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << actual << " differs from " << expected << " by more than " << relative
                                       << " relative";
}

// ---------------------------------------------------------------------------------------------------------------
// least_squares_line

// Hand-computed: t = 0, 1, 2, 3, y = 1, 3, 4, 8. mean t 1.5, mean y 4, Sxx = 2.25 + 0.25 + 0.25 + 2.25 = 5,
// Sxy = (-1.5)(-3) + (-0.5)(-1) + (0.5)(0) + (1.5)(4) = 11, slope 11 / 5 = 2.2, intercept 4 - 2.2 x 1.5 = 0.7.
const std::vector<TimedValue> kLineSamples = {{0, 1}, {1, 3}, {2, 4}, {3, 8}};

TEST(RhythmLine, FitsHandComputedExample) {
  const auto fit = least_squares_line(kLineSamples);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->slope, 2.2, 1e-12);
  EXPECT_NEAR(fit->intercept, 0.7, 1e-12);
  EXPECT_EQ(fit->n, 4u);
}

TEST(RhythmLine, DoesNotDependOnSampleOrder) {
  std::vector<TimedValue> shuffled = {kLineSamples[2], kLineSamples[0], kLineSamples[3], kLineSamples[1]};
  const auto fit = least_squares_line(shuffled);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->slope, 2.2, 1e-12);
  EXPECT_NEAR(fit->intercept, 0.7, 1e-12);
}

TEST(RhythmLine, RecoversAnExactLine) {
  // y = 3 - 0.5 t, unequally spaced, two samples at one time (allowed: only all-equal times are degenerate).
  std::vector<TimedValue> samples;
  for (const double t : {-4.0, 0.5, 0.5, 2.0, 11.0}) samples.push_back({t, 3 - 0.5 * t});
  const auto fit = least_squares_line(samples);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->slope, -0.5, 1e-12);
  EXPECT_NEAR(fit->intercept, 3.0, 1e-12);
}

TEST(RhythmLine, KeepsPrecisionForTimesFarFromZero) {
  // The hand example shifted by 10^6 hours: same slope, intercept moved back to t = 0 (0.7 - 2.2 x 10^6).
  std::vector<TimedValue> shifted;
  for (const TimedValue& s : kLineSamples) shifted.push_back({s.hours + 1e6, s.value});
  const auto fit = least_squares_line(shifted);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->slope, 2.2, 1e-9);
  EXPECT_TRUE(near_relative(fit->intercept, 0.7 - 2.2e6, 1e-12));
}

TEST(RhythmLine, TwoSamplesGiveTheLineThroughThem) {
  const std::vector<TimedValue> two = {{2, 10}, {6, 4}};
  const auto fit = least_squares_line(two);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->slope, -1.5, 1e-12);
  EXPECT_NEAR(fit->intercept, 13.0, 1e-12);
  EXPECT_EQ(fit->n, 2u);
}

TEST(RhythmLine, DegenerateInputsGiveNothing) {
  EXPECT_FALSE(least_squares_line({}));
  const std::vector<TimedValue> one = {{1, 5}};
  EXPECT_FALSE(least_squares_line(one));
  const std::vector<TimedValue> same_time = {{3, 1}, {3, 2}, {3, 7}};
  EXPECT_FALSE(least_squares_line(same_time));
  const std::vector<TimedValue> nan_value = {{0, 1}, {1, kNaN}, {2, 3}};
  EXPECT_FALSE(least_squares_line(nan_value));
  const std::vector<TimedValue> infinite_time = {{0, 1}, {kInfinity, 2}};
  EXPECT_FALSE(least_squares_line(infinite_time));
}

// ---------------------------------------------------------------------------------------------------------------
// pruessner_auc
//
// The stored material did not include the worked numbers of Pruessner et al. (2003); the expected values below are
// computed by hand from the paper's formula (2), AUCg = sum of (m_i + m_{i+1}) / 2 x t_i over the intervals t_i,
// and formula (3), AUCi = AUCg - m_1 x sum of t_i.

TEST(RhythmPruessner, EquallySpacedAwakeningResponse) {
  // 0, 15, 30, 45 min; 10, 15, 18, 14 nmol/L.
  // AUCg = 7.5 (10 + 15) + 7.5 (15 + 18) + 7.5 (18 + 14) = 187.5 + 247.5 + 240 = 675 nmol/L x min.
  // AUCi = 675 - 10 x 45 = 225.
  const std::vector<TimedValue> samples = {{0, 10}, {15, 15}, {30, 18}, {45, 14}};
  const auto auc = pruessner_auc(samples);
  ASSERT_TRUE(auc);
  EXPECT_NEAR(auc->ground, 675.0, 1e-12);
  EXPECT_NEAR(auc->increase, 225.0, 1e-12);
  EXPECT_DOUBLE_EQ(auc->span_minutes, 45.0);
  EXPECT_EQ(auc->n, 4u);
}

TEST(RhythmPruessner, UnequalSpacing) {
  // 0, 30, 45, 60 min; 12, 20, 16, 9.
  // AUCg = 30 (12 + 20) / 2 + 15 (20 + 16) / 2 + 15 (16 + 9) / 2 = 480 + 270 + 187.5 = 937.5.
  // AUCi = 937.5 - 12 x 60 = 217.5.
  const std::vector<TimedValue> samples = {{0, 12}, {30, 20}, {45, 16}, {60, 9}};
  const auto auc = pruessner_auc(samples);
  ASSERT_TRUE(auc);
  EXPECT_NEAR(auc->ground, 937.5, 1e-12);
  EXPECT_NEAR(auc->increase, 217.5, 1e-12);
  EXPECT_DOUBLE_EQ(auc->span_minutes, 60.0);
}

TEST(RhythmPruessner, FallingProfileHasNegativeIncrease) {
  // 0, 30, 60 min; 20, 10, 8. AUCg = 30 x 30 / 2 + 30 x 18 / 2 = 450 + 270 = 720; AUCi = 720 - 20 x 60 = -480.
  const std::vector<TimedValue> samples = {{0, 20}, {30, 10}, {60, 8}};
  const auto auc = pruessner_auc(samples);
  ASSERT_TRUE(auc);
  EXPECT_NEAR(auc->ground, 720.0, 1e-12);
  EXPECT_NEAR(auc->increase, -480.0, 1e-12);
}

TEST(RhythmPruessner, TwoSamplesIncreaseIsTheTriangleAboveBaseline) {
  // 0, 30 min; 10, 16. AUCg = 30 x 26 / 2 = 390; AUCi = 390 - 300 = 90 = 30 x 6 / 2, the triangle above 10.
  const std::vector<TimedValue> samples = {{0, 10}, {30, 16}};
  const auto auc = pruessner_auc(samples);
  ASSERT_TRUE(auc);
  EXPECT_NEAR(auc->ground, 390.0, 1e-12);
  EXPECT_NEAR(auc->increase, 90.0, 1e-12);
}

TEST(RhythmPruessner, OnlyIntervalsMatterNotTheOrigin) {
  // The equally spaced example with the first sample at minute 5: the same areas.
  const std::vector<TimedValue> samples = {{5, 10}, {20, 15}, {35, 18}, {50, 14}};
  const auto auc = pruessner_auc(samples);
  ASSERT_TRUE(auc);
  EXPECT_NEAR(auc->ground, 675.0, 1e-12);
  EXPECT_NEAR(auc->increase, 225.0, 1e-12);
  EXPECT_DOUBLE_EQ(auc->span_minutes, 45.0);
}

TEST(RhythmPruessner, RejectsInvalidSeries) {
  EXPECT_FALSE(pruessner_auc({}));
  const std::vector<TimedValue> one = {{0, 10}};
  EXPECT_FALSE(pruessner_auc(one));
  const std::vector<TimedValue> unsorted = {{0, 10}, {30, 15}, {15, 18}};
  EXPECT_FALSE(pruessner_auc(unsorted));
  const std::vector<TimedValue> duplicate = {{0, 10}, {15, 15}, {15, 18}};
  EXPECT_FALSE(pruessner_auc(duplicate));
  const std::vector<TimedValue> nan_value = {{0, 10}, {15, kNaN}};
  EXPECT_FALSE(pruessner_auc(nan_value));
  const std::vector<TimedValue> infinite_value = {{0, 10}, {15, kInfinity}};
  EXPECT_FALSE(pruessner_auc(infinite_value));
  const std::vector<TimedValue> nan_time = {{0, 10}, {kNaN, 12}};
  EXPECT_FALSE(pruessner_auc(nan_time));
}

// ---------------------------------------------------------------------------------------------------------------
// fit_cosinor

// y = mesor + amplitude cos(2 pi (t - peak) / period), exactly.
std::vector<TimedValue> cosine_samples(std::span<const double> hours, double mesor, double amplitude, double peak,
                                       double period = 24) {
  std::vector<TimedValue> samples;
  for (const double t : hours)
    samples.push_back({t, mesor + amplitude * std::cos(2 * std::numbers::pi * (t - peak) / period)});
  return samples;
}

TEST(RhythmCosinor, RecoversExactCurveSampledOverOneDay) {
  const std::vector<double> hours = {0, 3, 6, 9, 12, 15, 18, 21};
  const auto fit = fit_cosinor(cosine_samples(hours, 10, 6, 8));
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->mesor, 10, 1e-9);
  EXPECT_NEAR(fit->amplitude, 6, 1e-9);
  EXPECT_NEAR(fit->acrophase_hours, 8, 1e-9);
  // beta = 6 cos(2 pi 8 / 24) = -3, gamma = 6 sin(2 pi 8 / 24) = 3 sqrt(3).
  EXPECT_NEAR(fit->beta, -3, 1e-9);
  EXPECT_NEAR(fit->gamma, 3 * std::sqrt(3.0), 1e-9);
  EXPECT_NEAR(fit->residual_standard_error, 0, 1e-9);
  EXPECT_NEAR(fit->p_value, 0, 1e-12);
  EXPECT_GT(fit->f_statistic, 1e12);
  EXPECT_EQ(fit->n, 8u);
}

TEST(RhythmCosinor, RecoversExactCurveSampledUnevenlyOverTwoDays) {
  // Clock hours running past 24 on the second day, unevenly spaced, never the same phase twice.
  const std::vector<double> hours = {7.0, 8.5, 12.25, 17.0, 22.75, 31.5, 33.0, 38.0, 44.5, 47.0};
  const auto fit = fit_cosinor(cosine_samples(hours, 10, 6, 8));
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->mesor, 10, 1e-9);
  EXPECT_NEAR(fit->amplitude, 6, 1e-9);
  EXPECT_NEAR(fit->acrophase_hours, 8, 1e-9);
  EXPECT_NEAR(fit->residual_standard_error, 0, 1e-9);
  EXPECT_NEAR(fit->p_value, 0, 1e-12);
  EXPECT_EQ(fit->n, 10u);
}

TEST(RhythmCosinor, AcrophaseWrapsAroundMidnight) {
  const std::vector<double> hours = {1, 5, 9, 13, 17, 21, 26, 30};
  const auto late = fit_cosinor(cosine_samples(hours, 50, 20, 23.5));
  ASSERT_TRUE(late);
  EXPECT_NEAR(late->acrophase_hours, 23.5, 1e-9);
  EXPECT_NEAR(late->amplitude, 20, 1e-9);

  const auto early = fit_cosinor(cosine_samples(hours, 50, 20, 0.5));
  ASSERT_TRUE(early);
  EXPECT_NEAR(early->acrophase_hours, 0.5, 1e-9);

  // A peak given as 24.5 h or -23.5 h is the same clock time, 00:30.
  const auto past_midnight = fit_cosinor(cosine_samples(hours, 50, 20, 24.5));
  ASSERT_TRUE(past_midnight);
  EXPECT_NEAR(past_midnight->acrophase_hours, 0.5, 1e-9);

  // Peak exactly at midnight: 0, never 24.
  const auto midnight = fit_cosinor(cosine_samples(hours, 50, 20, 0));
  ASSERT_TRUE(midnight);
  EXPECT_GE(midnight->acrophase_hours, 0);
  EXPECT_LT(midnight->acrophase_hours, 24);
  EXPECT_NEAR(std::min(midnight->acrophase_hours, 24 - midnight->acrophase_hours), 0, 1e-9);
}

TEST(RhythmCosinor, OtherPeriods) {
  // A 12 h rhythm peaking at 03:00 (and so again at 15:00): acrophase in [0, 12).
  const std::vector<double> hours = {0.5, 2, 4, 6.5, 9, 11, 13.5, 16};
  const auto fit = fit_cosinor(cosine_samples(hours, 4, 1.5, 15, 12), 12);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->acrophase_hours, 3, 1e-9);
  EXPECT_NEAR(fit->amplitude, 1.5, 1e-9);
  EXPECT_NEAR(fit->mesor, 4, 1e-9);
}

// Hand-computable noisy case with the minimum n = 4: samples at 0, 6, 12, 18 h (quarter cycles), y = 5, 9, 7, 4.
// At these times cos = 1, 0, -1, 0 and sin = 0, 1, 0, -1 are orthogonal, so
//   M = mean = 6.25, beta = (5 - 7) / 2 = -1, gamma = (9 - 4) / 2 = 2.5,
// the residual is the projection on (1, -1, 1, -1): (5 - 9 + 7 - 4) / 4 = -0.25 per sample, RSS = 4 x 0.0625 =
// 0.25; TSS = 1.5625 + 7.5625 + 0.5625 + 5.0625 = 14.75; F = ((14.75 - 0.25) / 2) / (0.25 / 1) = 29 on (2, 1).
// For d1 = 2, I_x(a, 1) = x^a gives P(F > f) = (d2 / (d2 + 2 f))^(d2 / 2) = 59^(-1/2) = 0.130188910980824.
// Amplitude sqrt(1 + 6.25) = 2.692582403567252; acrophase atan2(2.5, -1) x 12 / pi = 7.453427299090121 h.
TEST(RhythmCosinor, MinimumFourSamplesHandComputed) {
  const std::vector<TimedValue> samples = {{0, 5}, {6, 9}, {12, 7}, {18, 4}};
  const auto fit = fit_cosinor(samples);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->mesor, 6.25, 1e-12);
  EXPECT_NEAR(fit->beta, -1, 1e-12);
  EXPECT_NEAR(fit->gamma, 2.5, 1e-12);
  EXPECT_NEAR(fit->amplitude, 2.692582403567252, 1e-12);
  EXPECT_NEAR(fit->acrophase_hours, 7.453427299090121, 1e-12);
  EXPECT_NEAR(fit->residual_standard_error, 0.5, 1e-12);  // sqrt(0.25 / 1)
  EXPECT_NEAR(fit->f_statistic, 29, 1e-10);
  EXPECT_NEAR(fit->p_value, 0.130188910980824, 1e-12);
  EXPECT_EQ(fit->n, 4u);
}

// Published example data: the nine-sample series distributed as the example of the MATLAB cosinor.m (Casey Cox,
// 2008, "follows ... Nelson et al., Methods for Cosinor-Rhythmometry, Chronobiologia 1979"): values
// 102, 96.8, 97, 92.5, 95, 93, 99.4, 99.8, 105.5 at 97, 130, 167.5, 187.5, 218, 247.5, 285, 315, 337.5 degrees of
// a 24 h cycle (t = degrees x 24 / 360 h). Expected estimates, agreeing to 1e-11:
//  - the pyCosinor literature-data test (github.com/Condor-Instruments/pyCosinor,
//  test/test_cosinor_literature_data.py):
//    M 99.7269745887, A 6.38383296016, beta 5.67587299832, gamma 2.92194951534, acrophase -0.4754187912802497 rad
//    (their sign convention; peak at +0.47541879 rad = 1.815966 h);
//  - R 4.x, lm(y ~ cos(w t) + sin(w t)): the same coefficients, residual standard error 1.89994931858929,
//    F 16.949663846595 on (2, 6), pf(F, 2, 6, lower.tail = FALSE) = 0.00340061148774844.
// pyCosinor's own "p_3a" (0.000511378765161) is the F *density* at F (scipy.stats.f.pdf), not a p-value, so it is
// not used. The p above also follows by hand from the d1 = 2 closed form (6 / (6 + 2 F))^3.
TEST(RhythmCosinor, MatchesPublishedExampleSeries) {
  const std::vector<double> degrees = {97, 130, 167.5, 187.5, 218, 247.5, 285, 315, 337.5};
  const std::vector<double> values = {102, 96.8, 97, 92.5, 95, 93, 99.4, 99.8, 105.5};
  std::vector<TimedValue> samples;
  for (std::size_t i = 0; i < degrees.size(); ++i) samples.push_back({degrees[i] * 24 / 360, values[i]});

  const auto fit = fit_cosinor(samples);
  ASSERT_TRUE(fit);
  EXPECT_TRUE(near_relative(fit->mesor, 99.7269745887, 1e-3));
  EXPECT_TRUE(near_relative(fit->amplitude, 6.38383296016, 1e-3));
  EXPECT_TRUE(near_relative(fit->acrophase_hours, 0.4754187912802497 * 24 / (2 * std::numbers::pi), 1e-3));
  EXPECT_TRUE(near_relative(fit->p_value, 0.00340061148774844, 1e-3));
  EXPECT_NEAR(fit->p_value, 0.00340061148774844, 1e-6);
  // The same numbers far tighter: the implementation is an exact least-squares solve, not an approximation.
  EXPECT_NEAR(fit->mesor, 99.72697458872778, 1e-9);
  EXPECT_NEAR(fit->beta, 5.67587299832364, 1e-9);
  EXPECT_NEAR(fit->gamma, 2.92194951533576, 1e-9);
  EXPECT_NEAR(fit->acrophase_hours, 1.81596601610462, 1e-9);
  EXPECT_NEAR(fit->residual_standard_error, 1.89994931858929, 1e-9);
  EXPECT_TRUE(near_relative(fit->f_statistic, 16.949663846595, 1e-10));
  EXPECT_TRUE(near_relative(fit->p_value, 0.00340061148774844, 1e-10));
  EXPECT_EQ(fit->n, 9u);
}

TEST(RhythmCosinor, SameClockTimesOnLaterDaysGiveTheSameFit) {
  const std::vector<double> degrees = {97, 130, 167.5, 187.5, 218, 247.5, 285, 315, 337.5};
  const std::vector<double> values = {102, 96.8, 97, 92.5, 95, 93, 99.4, 99.8, 105.5};
  std::vector<TimedValue> one_day;
  std::vector<TimedValue> spread;
  for (std::size_t i = 0; i < degrees.size(); ++i) {
    one_day.push_back({degrees[i] * 24 / 360, values[i]});
    spread.push_back({degrees[i] * 24 / 360 + 24.0 * static_cast<double>(i % 3), values[i]});
  }
  const auto a = fit_cosinor(one_day);
  const auto b = fit_cosinor(spread);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_NEAR(a->mesor, b->mesor, 1e-9);
  EXPECT_NEAR(a->amplitude, b->amplitude, 1e-9);
  EXPECT_NEAR(a->acrophase_hours, b->acrophase_hours, 1e-9);
  EXPECT_NEAR(a->p_value, b->p_value, 1e-12);
}

TEST(RhythmCosinor, SingularDesignsGiveNothing) {
  // Every sample at 08:00 on four days: one phase, amplitude and acrophase cannot be told apart from the MESOR.
  const std::vector<TimedValue> one_phase = {{8, 400}, {32, 380}, {56, 420}, {80, 390}};
  EXPECT_FALSE(fit_cosinor(one_phase));
  // Two clock times only (08:00 and 20:00 over three days): two points on the circle, beta and gamma not
  // separable.
  const std::vector<TimedValue> two_phases = {{8, 400}, {20, 150}, {32, 380}, {44, 160}, {56, 420}, {68, 140}};
  EXPECT_FALSE(fit_cosinor(two_phases));
  // Two phases that are not opposite (08:00 and 12:00) are just as singular.
  const std::vector<TimedValue> two_near_phases = {{8, 400}, {12, 300}, {32, 380}, {36, 310}};
  EXPECT_FALSE(fit_cosinor(two_near_phases));
}

TEST(RhythmCosinor, NeedsFourSamplesAndValidInput) {
  const std::vector<TimedValue> three = {{0, 5}, {8, 9}, {16, 7}};
  EXPECT_FALSE(fit_cosinor(three));
  EXPECT_FALSE(fit_cosinor({}));
  const std::vector<TimedValue> four = {{0, 5}, {6, 9}, {12, 7}, {18, 4}};
  EXPECT_TRUE(fit_cosinor(four));
  EXPECT_FALSE(fit_cosinor(four, 0));
  EXPECT_FALSE(fit_cosinor(four, -24));
  EXPECT_FALSE(fit_cosinor(four, kNaN));
  EXPECT_FALSE(fit_cosinor(four, kInfinity));
  const std::vector<TimedValue> nan_value = {{0, 5}, {6, kNaN}, {12, 7}, {18, 4}};
  EXPECT_FALSE(fit_cosinor(nan_value));
  const std::vector<TimedValue> infinite_time = {{0, 5}, {6, 9}, {kInfinity, 7}, {18, 4}};
  EXPECT_FALSE(fit_cosinor(infinite_time));
}

TEST(RhythmCosinor, ConstantValuesHaveNoRhythm) {
  const std::vector<TimedValue> flat = {{1, 5.1}, {7, 5.1}, {13, 5.1}, {19, 5.1}, {23, 5.1}};
  const auto fit = fit_cosinor(flat);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->mesor, 5.1, 1e-12);
  EXPECT_EQ(fit->amplitude, 0);
  EXPECT_EQ(fit->acrophase_hours, 0);
  EXPECT_EQ(fit->residual_standard_error, 0);
  EXPECT_EQ(fit->f_statistic, 0);
  EXPECT_EQ(fit->p_value, 1);
}

TEST(RhythmCosinor, PerfectFitReportsZeroErrorAndZeroP) {
  // Orthogonal quarter-cycle design with no residual direction used: 5, 9, 7, 3 is exactly 6 - cos + 3 sin.
  const std::vector<TimedValue> samples = {{0, 5}, {6, 9}, {12, 7}, {18, 3}};
  const auto fit = fit_cosinor(samples);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->mesor, 6, 1e-12);
  EXPECT_EQ(fit->residual_standard_error, 0);
  EXPECT_EQ(fit->p_value, 0);
  EXPECT_EQ(fit->f_statistic, kInfinity);
}

// ---------------------------------------------------------------------------------------------------------------
// f_distribution_upper_tail, regularized_incomplete_beta

// Upper critical values of the F distribution, NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.3
// (https://www.itl.nist.gov/div898/handbook/eda/section3/eda3673.htm), tabulated to 3 decimals: at alpha = 0.05,
// F(2, 10) = 4.103, F(2, 20) = 3.493, F(1, 10) = 4.965; at alpha = 0.01, F(2, 10) = 7.559. Rounding to 3 decimals
// moves the tail by less than 1e-4 (R: pf(4.103, 2, 10, lower.tail = FALSE) = 0.04999508).
TEST(RhythmFDistribution, MatchesNistCriticalValues) {
  EXPECT_NEAR(f_distribution_upper_tail(4.103, 2, 10), 0.05, 1e-4);
  EXPECT_NEAR(f_distribution_upper_tail(3.493, 2, 20), 0.05, 1e-4);
  EXPECT_NEAR(f_distribution_upper_tail(4.965, 1, 10), 0.05, 1e-4);
  EXPECT_NEAR(f_distribution_upper_tail(7.559, 2, 10), 0.01, 1e-4);
  // The commonly quoted two-decimal values from the brief: 4.10, 3.49, 4.96 lie just below the 5 % points.
  EXPECT_NEAR(f_distribution_upper_tail(4.10, 2, 10), 0.05, 5e-4);
  EXPECT_NEAR(f_distribution_upper_tail(3.49, 2, 20), 0.05, 5e-4);
  EXPECT_NEAR(f_distribution_upper_tail(4.96, 1, 10), 0.05, 5e-4);
}

TEST(RhythmFDistribution, MatchesClosedFormForTwoNumeratorDegrees) {
  // With d1 = 2 the tail is I_x(d2 / 2, 1) = x^(d2 / 2), x = d2 / (d2 + 2 f) (from DLMF 8.17.2 with b = 1).
  for (const double d2 : {1.0, 2.0, 3.0, 6.0, 17.0, 120.0, 1000.0}) {
    for (const double f : {0.01, 0.5, 1.0, 3.0, 16.949663846595, 250.0}) {
      const double expected = std::pow(d2 / (d2 + 2 * f), d2 / 2);
      EXPECT_TRUE(near_relative(f_distribution_upper_tail(f, 2, d2), expected, 1e-12))
          << "d2 " << d2 << " f " << f;
    }
  }
}

TEST(RhythmFDistribution, MatchesClosedFormForOneAndOneDegrees) {
  // F(1, 1) is the square of a Student t with 1 degree of freedom (Cauchy): P(F > f) = 1 - (2 / pi) atan(sqrt f).
  for (const double f : {0.001, 0.2, 1.0, 4.0, 161.4476, 1e6}) {
    const double expected = 1 - 2 / std::numbers::pi * std::atan(std::sqrt(f));
    EXPECT_TRUE(near_relative(f_distribution_upper_tail(f, 1, 1), expected, 1e-11)) << "f " << f;
  }
  // NIST 1.3.6.7.3 / any F table: F(0.05; 1, 1) = 161.448.
  EXPECT_NEAR(f_distribution_upper_tail(161.448, 1, 1), 0.05, 1e-6);
}

TEST(RhythmFDistribution, MatchesIndependentImplementation) {
  // R 4.x pf(f, d1, d2, lower.tail = FALSE) (R's pbeta, TOMS 708 by Didonato & Morris), printed to 17 digits.
  EXPECT_TRUE(near_relative(f_distribution_upper_tail(2.5, 3, 7), 1.4350945627893921e-01, 1e-10));
  EXPECT_TRUE(near_relative(f_distribution_upper_tail(0.8, 5, 12), 5.7052314281463623e-01, 1e-10));
  EXPECT_TRUE(near_relative(f_distribution_upper_tail(10, 4, 30), 2.8928437923539484e-05, 1e-10));
  EXPECT_TRUE(near_relative(f_distribution_upper_tail(1.5, 6, 400), 1.7671844266906347e-01, 1e-10));
}

TEST(RhythmFDistribution, Edges) {
  EXPECT_EQ(f_distribution_upper_tail(0, 2, 10), 1);
  EXPECT_EQ(f_distribution_upper_tail(-3, 2, 10), 1);
  EXPECT_EQ(f_distribution_upper_tail(kInfinity, 2, 10), 0);
  EXPECT_TRUE(std::isnan(f_distribution_upper_tail(kNaN, 2, 10)));
  EXPECT_TRUE(std::isnan(f_distribution_upper_tail(1, 0, 10)));
  EXPECT_TRUE(std::isnan(f_distribution_upper_tail(1, 2, -1)));
  EXPECT_TRUE(std::isnan(f_distribution_upper_tail(1, kInfinity, 10)));
  // Monotone decreasing in f.
  double previous = 1;
  for (double f = 0.05; f < 50; f *= 1.3) {
    const double p = f_distribution_upper_tail(f, 2, 7);
    EXPECT_LT(p, previous);
    previous = p;
  }
}

TEST(RhythmIncompleteBeta, UniformCaseIsTheIdentity) {
  // I_x(1, 1) = x (DLMF 8.17.2: the integral of 1 from 0 to x over B(1, 1) = 1).
  for (const double x : {0.0, 1e-12, 0.1, 0.25, 0.5, 0.75, 0.999, 1.0})
    EXPECT_NEAR(regularized_incomplete_beta(x, 1, 1), x, 1e-14) << "x " << x;
}

TEST(RhythmIncompleteBeta, PowerCases) {
  // I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b, straight from the integral.
  for (const double x : {0.05, 0.3, 0.62, 0.97}) {
    for (const double p : {0.5, 2.0, 3.5, 40.0}) {
      EXPECT_TRUE(near_relative(regularized_incomplete_beta(x, p, 1), std::pow(x, p), 1e-12));
      EXPECT_NEAR(regularized_incomplete_beta(x, 1, p), 1 - std::pow(1 - x, p), 1e-13);
    }
  }
}

TEST(RhythmIncompleteBeta, BinomialIdentityByHand) {
  // For integer a, b: I_x(a, b) = P(Binomial(a + b - 1, x) >= a) (DLMF 8.17.5).
  // I_0.3(2, 5) = 1 - 0.7^6 - 6 x 0.3 x 0.7^5 = 1 - 0.117649 - 0.302526 = 0.579825.
  EXPECT_NEAR(regularized_incomplete_beta(0.3, 2, 5), 0.579825, 1e-13);
  // I_0.5(3, 3) = P(Binomial(5, 0.5) >= 3) = (10 + 5 + 1) / 32 = 0.5.
  EXPECT_NEAR(regularized_incomplete_beta(0.5, 3, 3), 0.5, 1e-14);
  // Arcsine law: I_x(1/2, 1/2) = (2 / pi) asin(sqrt x).
  EXPECT_NEAR(regularized_incomplete_beta(0.2, 0.5, 0.5), 2 / std::numbers::pi * std::asin(std::sqrt(0.2)), 1e-13);
}

TEST(RhythmIncompleteBeta, Symmetry) {
  // I_x(a, b) = 1 - I_{1-x}(b, a) (DLMF 8.17.4), across both branches of the continued fraction.
  for (const double x : {0.01, 0.2, 0.45, 0.5, 0.8, 0.99}) {
    for (const auto& [a, b] :
         {std::pair{0.5, 3.0}, std::pair{2.0, 2.0}, std::pair{7.5, 1.0}, std::pair{30.0, 45.0}}) {
      EXPECT_NEAR(regularized_incomplete_beta(x, a, b), 1 - regularized_incomplete_beta(1 - x, b, a), 1e-13)
          << "x " << x << " a " << a << " b " << b;
    }
  }
}

TEST(RhythmIncompleteBeta, LargerParametersMatchIndependentImplementation) {
  // R 4.x pbeta(0.4, 50, 60) and pbeta(0.999, 200, 3).
  EXPECT_TRUE(near_relative(regularized_incomplete_beta(0.4, 50, 60), 1.2470685834310023e-01, 1e-10));
  EXPECT_TRUE(near_relative(regularized_incomplete_beta(0.999, 200, 3), 9.9883343684688342e-01, 1e-12));
}

TEST(RhythmIncompleteBeta, Edges) {
  EXPECT_EQ(regularized_incomplete_beta(0, 2, 3), 0);
  EXPECT_EQ(regularized_incomplete_beta(-0.5, 2, 3), 0);
  EXPECT_EQ(regularized_incomplete_beta(1, 2, 3), 1);
  EXPECT_EQ(regularized_incomplete_beta(1.5, 2, 3), 1);
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(kNaN, 2, 3)));
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(0.5, 0, 3)));
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(0.5, 2, -1)));
  EXPECT_TRUE(std::isnan(regularized_incomplete_beta(0.5, kNaN, 3)));
}

}  // namespace
}  // namespace gg::analytics
