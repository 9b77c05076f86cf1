// Ratio gradients: pairing a numerator result with a denominator result drawn close in time, and the gradient the
// pair gives. Pairing is pure and order-independent: the same measurements in any order give the same pairs.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analytics/gradient.hpp"
#include "analytics/gradient_rules.hpp"
#include "analytics/measurement.hpp"

namespace gg::analytics {

// A pair by index into the measurements given to pair_measurements().
struct MeasurementPair {
  std::size_t numerator = 0;
  std::size_t denominator = 0;
  std::chrono::seconds interval{0};  // |t_numerator - t_denominator|
  friend bool operator==(const MeasurementPair&, const MeasurementPair&) = default;
};

// Every disjoint pair the rule allows, oldest first. A pair needs: the rule's analytes, the same subject and the
// same specimen type (the rule's, when it names one), exact values (no comparator), a denominator above zero, a
// numerator drawn at a time of day the rule allows (RatioRule::numerator_timings, numerator_clock), and draw times
// at most `window` apart (inclusive). The closest pair wins: candidates are taken in order of
// increasing interval (ties: the more recent pair first, then by reference), each measurement used at most once. A
// series of daily draws thus gives one pair per day, which issue 4's trends build on.
std::vector<MeasurementPair> pair_measurements(const RatioRule& rule, std::span<const Measurement> measurements);

// The gradient of one pair: numerator / denominator in the rule's input unit.
Gradient ratio_gradient(const RatioRule& rule, const Measurement& numerator, const Measurement& denominator);

// The bound a ratio of censored results allows, or nullopt when the bounds leave it open. An upper bound of the
// numerator ("<", "<=") over an exact or lower-bounded denominator bounds the ratio from above, a lower bound
// (">", ">=") over an exact or upper-bounded denominator from below, and the same for an exact numerator over a
// bounded denominator (reversed); the bound is strict when either input's is. Empty for two exact values.
std::optional<std::string> ratio_comparator(std::string_view numerator, std::string_view denominator);

// One gradient per rule per analysis: the most recent pair (by the later of its two draw times). Nothing when no
// pair exists (a missing partner is not an error). When a pair with a censored input (the partner closest in time
// within the window) is more recent than every exact pair and its bound is determinate, the gradient is that bound
// (Gradient::comparator): a censored value is never used as an exact number.
std::optional<Gradient> compute_ratio(const RatioRule& rule, std::span<const Measurement> measurements);

// The specimen type of a ratio gradient's pair (both inputs share it): its numerator's, looked up among the
// measurements it was computed from. nullopt when the gradient has no inputs or they are not among them.
std::optional<Specimen> ratio_specimen(std::span<const Measurement> measurements, const Gradient& gradient);

// The gradient before `current` (what compute_ratio() returned): the most recent pair of `current`'s own specimen
// type that ends strictly before `current`'s effective time, chosen among the same disjoint pairs (so it shares
// no input with `current`). A series never mixes specimens: under a rule without a specimen a serum pair is not
// the previous value of a saliva pair (their ratios differ several-fold by physiology, review finding M2). A pair
// ending at the same instant is not a previous value. Nothing when there is none, or when `current`'s specimen
// cannot be told.
std::optional<Gradient> previous_ratio(const RatioRule& rule, std::span<const Measurement> measurements,
                                       const Gradient& current);

}  // namespace gg::analytics
