// Rhythm gradients: a day's series of one analyte (saliva cortisol) becomes its diurnal slope, its awakening
// response and its 24 h cosinor, each a Gradient with every sample it used as input and the series' span as its
// period. Which samples form a series is decided here; the arithmetic is rhythm.hpp's.
//
// A "day" is a calendar date on the clock of the samples (each sample's own UTC offset), so a series collected in
// Europe/Berlin stays one day across the UTC midnight. Waking is the day's first sample (the product contract: the
// analytics issue's table).
#pragma once

#include <span>
#include <vector>

#include "analytics/dosing.hpp"
#include "analytics/gradient_rules.hpp"
#include "analytics/ratio.hpp"

namespace gg::analytics {

// The rule's gradients for the most recent day (slope, awakening response) or days (cosinor) that allow them;
// empty when no day has enough samples. Censored values never enter a series.
std::vector<Gradient> compute_rhythm(const RhythmRule& rule, std::span<const Measurement> measurements,
                                     const Catalogue& catalogue);

// Under glucocorticoid replacement a day's series is a dose curve, not an endogenous rhythm. From the most recent
// local day with timed samples (a dose time known for the sample, from `timings`: the glucocorticoid ones):
// "<analyte>-dose-peak", the highest sample drawn within the dose's expected peak window, and
// "<analyte>-dose-trough", the sample drawn longest after its dose (past the peak window). Each carries the hours
// since the dose as a component; nothing when no sample qualifies.
std::vector<Gradient> compute_dose_curve(const RhythmRule& rule, std::span<const Measurement> measurements,
                                         std::span<const DoseTiming> timings, const Catalogue& catalogue);

}  // namespace gg::analytics
