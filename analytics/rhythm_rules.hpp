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

#include "analytics/gradient_rules.hpp"
#include "analytics/ratio.hpp"

namespace gg::analytics {

// The rule's gradients for the most recent day (slope, awakening response) or days (cosinor) that allow them;
// empty when no day has enough samples. Censored values never enter a series.
std::vector<Gradient> compute_rhythm(const RhythmRule& rule, std::span<const Measurement> measurements,
                                     const Catalogue& catalogue);

}  // namespace gg::analytics
