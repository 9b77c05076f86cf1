// Rhythm gradients: a day's series of one analyte in one specimen type (saliva cortisol, serum cortisol) becomes
// its diurnal slope, its awakening response and its 24 h cosinor, each a Gradient with every sample it used as
// input and the series' span as its period; under glucocorticoid replacement, a dose curve instead. Which samples
// form a series is decided here; the arithmetic is rhythm.hpp's. Codes carry the rule's prefix (RhythmRule), so
// saliva and serum never share one.
//
// Days and waking. Times are the samples' own clock times (each sample's UTC offset), so a series collected in
// Europe/Berlin stays one day across the UTC midnight. Waking is not inferred from midnight (review M7). Where the
// data state it, it is taken from them: no LOINC code for "time of awakening" could be confirmed, so a rule names
// the site's own codes (`waking_time_codes`, config/rules/gradients.yaml), and a sample of the series with a
// component of such a code states its waking (valueDateTime: the instant; valueTime: a clock time on the sample's
// clock, on its date or, when later than its clock time, the day before). That day's series is the samples from
// the stated waking W up to 24 h after it and before the next stated waking; the slope's hours count from W; the
// awakening response needs the first sample within 5 min of W (the CAR expert consensus asks for the first sample
// on awakening: Stalder T et al., Psychoneuroendocrinology 2016;63:414-432; the figure from Smyth N et al.,
// Psychoneuroendocrinology 2013;38:1476-1483), else that day gives none, with a note; the cosinor leaves out the
// samples after W up to +60 min other than that first one. Specimen.collection is the draw, not the waking.
// Otherwise a rule names a waking window of local clock time (a site setting). A day's series starts at the
// window's start: its waking sample is the first sample inside the window, and a sample before the window (a
// late-night 00:30), or before its day's stated waking, belongs to the previous day's series. A day without a
// sample inside the window has no waking sample and gives no slope and no awakening response: rather than shifting
// the baseline to a later sample, it is left out and the value, if any, comes from the most recent complete
// earlier day, with a note naming the day left out and why. A window is the nearest to a verified awakening time
// that data without one allow, and is why the slope and the awakening response are configured for saliva (a home
// collection timed from waking) and not for an inpatient serum series.
//
// The diurnal slope is on the raw scale of the rule's unit (nmol/L per hour), not ln(cortisol) as in much of the
// literature (review L14): a raw-scale slope grows with the level, so it cannot be compared with published
// log-scale slopes, and no target applies to it unless a site sets a range of its own for this raw-scale value.
#pragma once

#include <span>
#include <vector>

#include "analytics/dosing.hpp"
#include "analytics/gradient.hpp"
#include "analytics/gradient_rules.hpp"

namespace gg::analytics {

// The rule's gradients for the most recent day (slope, awakening response) or days (cosinor) that allow them;
// empty when no day has enough samples. Censored values never enter a series. The cosinor (Cornelissen G, Theor
// Biol Med Model 2014;11:16) leaves out the awakening-response samples (after waking up to +60 min) of a day with
// a stated waking or, with a waking window, a waking sample: a burst on top of the circadian curve, which a single
// 24 h cosine does not model (L13).
std::vector<Gradient> compute_rhythm(const RhythmRule& rule, std::span<const Measurement> measurements,
                                     const Catalogue& catalogue);

// Under glucocorticoid replacement a day's series is a dose curve, not an endogenous rhythm. From the most recent
// day with timed samples (a dose time known for the sample, from `timings`: the glucocorticoid ones):
// "<prefix>-dose-peak", the highest sample drawn within the dose's expected peak window, and
// "<prefix>-dose-trough", the sample drawn longest after its dose (past the peak window). Each carries the hours
// since the dose as a component; nothing when no sample qualifies, or when the day has fewer than 4 timed samples
// or they span less than 12 h (one draw is not a curve).
std::vector<Gradient> compute_dose_curve(const RhythmRule& rule, std::span<const Measurement> measurements,
                                         std::span<const DoseTiming> timings, const Catalogue& catalogue);

}  // namespace gg::analytics
