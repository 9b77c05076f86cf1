// Assessment: a gradient against a configured target range -> a finding with a level, a direction and a
// one-sentence rationale. Product rule: a target range needs a citable source; where none is configured the value
// is reported without a risk level. A range is never invented here.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/catalogue.hpp"
#include "analytics/enum_text.hpp"
#include "analytics/gradient.hpp"
#include "analytics/reproductive.hpp"

namespace gg::analytics {

// http://terminology.hl7.org/CodeSystem/risk-probability, the codes RiskAssessment.prediction.qualitativeRisk
// uses.
inline constexpr std::string_view kRiskProbabilitySystem =
    "http://terminology.hl7.org/CodeSystem/risk-probability";

// Patient.gender (FHIR administrative gender).
enum class Sex { male, female, other, unknown };

enum class SexCriterion { any, male, female };
// Spelt so in the rules files (`sex:`).
inline constexpr std::array<EnumText<SexCriterion>, 3> kSexCriterionText{{
    {SexCriterion::any, "any"},
    {SexCriterion::male, "male"},
    {SexCriterion::female, "female"},
}};

// Completed years at the analysis time, [min_years, max_years); no max_years means no upper limit.
struct AgeBand {
  int min_years = 0;
  std::optional<int> max_years;
  bool bounded() const { return min_years > 0 || max_years.has_value(); }
  friend bool operator==(const AgeBand&, const AgeBand&) = default;
};

// How far outside the range a value must be for "high" rather than "moderate": outside by less than this fraction
// of the nearest bound's magnitude is moderate, by at least this fraction high. A site setting, not a clinical
// constant: the shipped default (config/rules/gradients.yaml) is 0.5.
struct LevelThresholds {
  double high_beyond_fraction_of_bound = 0.5;
  friend bool operator==(const LevelThresholds&, const LevelThresholds&) = default;
};

// Days of the menstrual cycle, inclusive (day 1: the first day of the last period).
struct CycleDays {
  int from = 1;
  int to = 1;
  friend bool operator==(const CycleDays&, const CycleDays&) = default;
};

// What the assessment knows of the patient beyond sex and age, for ranges that depend on it.
struct ReproductiveContext {
  std::optional<MenopausalStatus> menopausal_status;
  std::optional<int> cycle_day;  // at the gradient's draw
};

struct TargetRange {
  std::string gradient_code;
  SexCriterion sex = SexCriterion::any;
  AgeBand age;
  std::optional<double> low;   // inclusive, in the gradient's unit; at least one of low and high
  std::optional<double> high;  // inclusive
  std::string unit;            // UCUM unit of low and high as configured; empty: unstated (the gradient's)
  std::string source;          // the citation; a range without one is a configuration error
  std::optional<LevelThresholds> level_thresholds;  // overrides AssessmentRules::level_thresholds
  // Only for a patient whose records state this status / whose draw fell on these cycle days.
  std::optional<MenopausalStatus> menopausal_status;
  std::optional<CycleDays> cycle_days;
  friend bool operator==(const TargetRange&, const TargetRange&) = default;
};

struct AssessmentRules {
  LevelThresholds level_thresholds;
  std::vector<TargetRange> target_ranges;
  friend bool operator==(const AssessmentRules&, const AssessmentRules&) = default;
};

enum class RiskLevel { low, moderate, high };
enum class Direction { below, within, above };

struct Finding {
  std::string gradient_code;
  UcumValue value;
  std::optional<TargetRange> range;    // the range applied; none when none is configured for this patient
  std::optional<Direction> direction;  // none without a range
  std::optional<RiskLevel> level;      // none without a range: the value is reported, not graded
  std::string rationale;               // one sentence naming the numbers and the range's source
  friend bool operator==(const Finding&, const Finding&) = default;
};

// The range for this gradient and patient: a range for the patient's cycle days or menopausal status before one
// without, a sex-specific range before an "any" range, an age-banded range before an all-ages one; among equals
// the first listed. With the age unknown only all-ages ranges apply; with sex other or unknown only "any" ranges
// apply; a range requiring a menopausal status or cycle days applies only when the patient's records state them.
const TargetRange* select_target_range(std::span<const TargetRange> ranges, std::string_view gradient_code,
                                       Sex sex, std::optional<int> age_years,
                                       const ReproductiveContext& reproductive = {});

// within -> low; outside by less than the threshold fraction of the nearest bound -> moderate; beyond -> high.
// A bound of zero has no scale, so any value outside it is high.
RiskLevel risk_level(double value, const TargetRange& range, const LevelThresholds& thresholds);

// Assesses a gradient. The catalogue supplies display names of the inputs for the rationale.
Finding assess(const Gradient& gradient, const AssessmentRules& rules, Sex sex, std::optional<int> age_years,
               const Catalogue& catalogue, const ReproductiveContext& reproductive = {});

std::string_view to_string(RiskLevel level);      // "low" | "moderate" | "high" (risk-probability codes)
std::string_view to_string(Direction direction);  // "below" | "within" | "above"
std::string_view to_string(SexCriterion sex);     // kSexCriterionText
std::optional<SexCriterion> sex_criterion_from_string(std::string_view text);
Sex sex_from_gender(std::string_view administrative_gender);  // "male" -> male, "female" -> female, ...

}  // namespace gg::analytics
