// Trends (issue 4): a gradient's change since the patient's previous value of the same rule, judged with the
// reference change value (RCV), the smallest change between two serial results that analytical imprecision (CVa)
// and within-subject biological variation (CVi) alone would exceed with the chosen probability. Hormone results
// are right-skewed (log-normal), so the RCV is computed on the log scale and is asymmetric (issue 8, review M1):
//   sigma^2 = ln(1 + CV^2),  CV^2 = sum over every input of CVa^2 + CVi^2   (CVs as fractions)
//   RCV up = exp(+z * sqrt(2) * sigma) - 1,   RCV down = exp(-z * sqrt(2) * sigma) - 1
// (Fokkema MR et al., "Reference change values for brain natriuretic peptides revisited", Clin Chem
// 2006;52:1602-1606, which proposes log-transformation "by addressing the skewness of the distribution";
// ln(1 + CV^2) is the variance of ln X for a log-normal X with coefficient of variation CV.) The total CV is
// transformed once, as Fokkema does and as the clinical review's M1 table computes every figure it prints (the
// tests reproduce that table). Summing ln(1 + CV^2) per CV instead, as the and the review's fix line
// write it, differs by under 0.5 percentage points for CVs below 20 % and by up to 20 points for the largest
// shipped CVs (free testosterone in women, 55 %: +381 % here, +400 % that way); both are log-symmetric. An
// increase is significant above the up limit, a decrease below the down limit; the limits are reciprocal factors,
// so a ratio and its inverse get the same verdict. The symmetric normal-approximation RCV = sqrt(2) * z * sqrt(sum
// CV^2) (Fraser CG, Biological Variation: From Principles to Practice, AACC Press 2001, pp. 67-90, as quoted at
// http://biologicalvariation.com/RCV.html) is kept only for comparison with published symmetric figures. z =
// trends.z (1.96: two-sided, 95 %). The CVs are data from the catalogue
// (config/terminology/biological-variation.yaml), each CVi with its source.
#pragma once

#include <concepts>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/assessment.hpp"
#include "analytics/catalogue.hpp"
#include "analytics/gradient.hpp"
#include "analytics/gradient_rules.hpp"

namespace gg::analytics {

// One analyte's variation in one specimen type.
struct BiologicalVariation {
  std::string analyte_id;  // "cortisol"
  Specimen specimen = Specimen::serum_plasma;
  double cvi_percent = 0;      // within-subject biological variation
  double cva_percent = 0;      // analytical imprecision
  std::string cvi_population;  // whom the CVi was measured in: it fits patients like these only
  std::string cvi_source;      // citation quoting the figure
  std::string cva_source;
  // The CVi was measured in this sex only (men-only estradiol, LH, FSH): other patients get no RCV from it.
  SexCriterion sex = SexCriterion::any;
  friend bool operator==(const BiologicalVariation&, const BiologicalVariation&) = default;
};

// Whether an entry fits a patient of this sex: "any" entries, and sex-specific ones of the patient's own sex (a
// patient of other or unknown sex gets only "any" entries).
bool fits(const BiologicalVariation& entry, Sex sex);

// The entries that fit a patient of this sex (fits()), copied.
std::vector<BiologicalVariation> applicable_variation(std::span<const BiologicalVariation> variation, Sex sex);

// The entries a patient's trends look their analytes up in: those of a list that fit the patient's sex, found
// where they are (the analysis makes one for every patient, so it copies nothing), or every entry of a list chosen
// already (applicable_variation(), or a test's own).
class PatientVariation {
 public:
  PatientVariation(std::span<const BiologicalVariation> entries, Sex sex) : entries_(entries), sex_(sex) {}
  template <typename Entries>
  requires std::convertible_to<const Entries&, std::span<const BiologicalVariation>> PatientVariation(
      const Entries& fitting)  // NOLINT(google-explicit-constructor): a chosen list is one already
      : entries_(fitting) {}

  // The first fitting entry for an analyte in a specimen type; nullptr when there is none.
  const BiologicalVariation* find(std::string_view analyte_id, Specimen specimen) const;

 private:
  std::span<const BiologicalVariation> entries_;
  std::optional<Sex> sex_;  // none: every entry fits
};

// The entry for an analyte in a specimen type; nullptr when there is none.
const BiologicalVariation* find_biological_variation(std::span<const BiologicalVariation> variation,
                                                     std::string_view analyte_id, Specimen specimen);

// The two limits of a change, in percent of the previous value: up_percent > 0, -100 < down_percent < 0.
struct ReferenceChangeLimits {
  double up_percent = 0;
  double down_percent = 0;
  friend bool operator==(const ReferenceChangeLimits&, const ReferenceChangeLimits&) = default;
};

// The log-normal RCV of a value computed as a product or quotient of independent results, one entry per input:
// sigma^2 = ln(1 + sum over inputs of (CVa^2 + CVi^2)), limits exp(+-z * sqrt(2) * sigma) - 1. A ratio, its
// inverse and a product of the same inputs share their limits. nullopt without inputs, or when z or a CV is not
// finite and positive.
std::optional<ReferenceChangeLimits> reference_change_limits(std::span<const BiologicalVariation> inputs,
                                                             double z);

// The symmetric RCV in percent, sqrt(2) * z * sqrt(sum over inputs of (CVa^2 + CVi^2)) (Fraser 2001, the normal
// approximation, CVs adding in quadrature to first order). Not used to judge a change (it overstates rises and
// understates falls for the CVs of hormones, and above a total CV of about 36 % no fall can reach it); kept to
// compare with published symmetric figures. nullopt as for reference_change_limits().
std::optional<double> symmetric_reference_change_value_percent(std::span<const BiologicalVariation> inputs,
                                                               double z);

// `current` against `previous` (same rule, same specimen, earlier results): the percent change and, with limits,
// whether it is significant (change > up limit, or change < down limit; a change equal to a limit is not).
// nullopt when the previous value is zero or not finite (no percent change exists).
std::optional<Trend> judge_change(const Gradient& current, const Gradient& previous,
                                  std::optional<ReferenceChangeLimits> limits, std::string no_rcv_reason = "");

// The trend of a rule's current gradient from the same measurements it was computed from; nullopt without a
// previous value. Ratios: the previous value is a pair of the current pair's own specimen type (a serum and a
// saliva ratio are never compared), and the limits come from both analytes in that type. Derived values: the
// free androgen index (testosterone / SHBG) and HOMA-IR (glucose x insulin) from both inputs in serum or plasma
// (derived values are computed from serum or plasma results only, derived_rules.cpp, so their series cannot mix
// specimens); calculated free testosterone gets none (the change is reported only): Vermeulen's model is
// non-linear in its inputs, so their variances do not add as for a product or quotient, and no within-subject CV
// of the calculated value itself is in the catalogue. Rhythm gradients (slopes, areas, cosinor) get no trend yet:
// no within-subject CV of a slope or an area is known, and which earlier day's series a day is compared with is
// not decided.
// `earlier`: the rule's latest value before `current` from the patient's history (the gateway's own derived
// Observations, latest_before()), compared with when the measurements hold no previous value: trends reach back
// as far as the history, not only as far as the raw results fetched (issue 11, item 4). nullptr: none.
std::optional<Trend> ratio_trend(const RatioRule& rule, std::span<const Measurement> measurements,
                                 const Gradient& current, const PatientVariation& variation,
                                 const TrendSettings& settings, const Gradient* earlier = nullptr);
std::optional<Trend> derived_trend(const DerivedRule& rule, std::span<const Measurement> measurements,
                                   const Gradient& current, const PatientVariation& variation,
                                   const TrendSettings& settings, const Gradient* earlier = nullptr);

// The latest gradient of `history` with current's code, an exact value and an effective time before current's;
// nullptr when there is none.
const Gradient* latest_before(std::span<const Gradient> history, const Gradient& current);

}  // namespace gg::analytics
