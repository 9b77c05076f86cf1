// Trends (issue 4): a gradient's change since the patient's previous value of the same rule, judged with the
// reference change value (RCV), the smallest change between two serial results that analytical imprecision (CVa)
// and within-subject biological variation (CVi) alone would exceed with the chosen probability:
//   RCV = sqrt(2) * z * sqrt(CVa^2 + CVi^2)   (percent, from CVs in percent)
// (Fraser CG, Biological Variation: From Principles to Practice, AACC Press 2001, pp. 67-90, as quoted at
// http://biologicalvariation.com/RCV.html; z = 1.96 two-sided at 95 %). The CVs are data from the catalogue
// (config/terminology/biological-variation.yaml), each CVi with its source.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/assessment.hpp"
#include "analytics/catalogue.hpp"
#include "analytics/gradient_rules.hpp"
#include "analytics/ratio.hpp"

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

// The entries that fit a patient of this sex: "any" entries, and sex-specific ones of the patient's own sex (a
// patient of other or unknown sex gets only "any" entries).
std::vector<BiologicalVariation> applicable_variation(std::span<const BiologicalVariation> variation, Sex sex);

// The entry for an analyte in a specimen type; nullptr when there is none.
const BiologicalVariation* find_biological_variation(std::span<const BiologicalVariation> variation,
                                                     std::string_view analyte_id, Specimen specimen);

// The RCV in percent of a value computed as a product or quotient of independent results, one entry per input:
//   RCV = sqrt(2) * z * sqrt(sum over inputs of (CVa_i^2 + CVi_i^2)).
// To first order the relative variance of a product or quotient of independent quantities is the sum of their
// relative variances, so the CVs add in quadrature; for one input this is the RCV above. nullopt without inputs,
// or when z or a CV is not finite and positive.
std::optional<double> reference_change_value_percent(std::span<const BiologicalVariation> inputs, double z);

// `current` against `previous` (same rule, earlier results): the percent change and, with an RCV, whether it is
// significant (|change| > RCV; a change equal to the RCV is not). nullopt when the previous value is zero or not
// finite (no percent change exists).
std::optional<Trend> judge_change(const Gradient& current, const Gradient& previous,
                                  std::optional<double> rcv_percent, std::string no_rcv_reason = "");

// The trend of a rule's current gradient from the same measurements it was computed from; nullopt without a
// previous value. Ratios: RCV from both analytes in the pair's specimen type. Derived values: the free androgen
// index (testosterone / SHBG) and HOMA-IR (glucose x insulin) from both inputs in serum or plasma; calculated free
// testosterone gets none (the change is reported only): Vermeulen's model is non-linear in its inputs, so their
// CVs do not combine in quadrature, and no within-subject CV of the calculated value itself is in the catalogue.
// Rhythm gradients (slopes, areas, cosinor) get no trend yet: no within-subject CV of a slope or an area is known,
// and which earlier day's series a day is compared with is not decided.
std::optional<Trend> ratio_trend(const RatioRule& rule, std::span<const Measurement> measurements,
                                 const Gradient& current, std::span<const BiologicalVariation> variation,
                                 const TrendSettings& settings);
std::optional<Trend> derived_trend(const DerivedRule& rule, std::span<const Measurement> measurements,
                                   const Gradient& current, std::span<const BiologicalVariation> variation,
                                   const TrendSettings& settings);

}  // namespace gg::analytics
