#include "analytics/assessment.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <utility>

#include "analytics/number_text.hpp"

namespace gg::analytics {
namespace {

bool sex_matches(SexCriterion criterion, Sex sex) {
  switch (criterion) {
    case SexCriterion::any:
      return true;
    case SexCriterion::male:
      return sex == Sex::male;
    case SexCriterion::female:
      return sex == Sex::female;
  }
  return false;
}

bool age_matches(const AgeBand& band, std::optional<int> age_years) {
  if (!band.bounded()) return true;
  if (!age_years) return false;
  return *age_years >= band.min_years && (!band.max_years || *age_years < *band.max_years);
}

// Shortest text that reads back as the same double ("0.5", "10"): bounds are shown as configured.
std::string exact_number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string range_text(const TargetRange& range) {
  if (range.low && range.high) return exact_number(*range.low) + "\u2013" + exact_number(*range.high);
  if (range.high) return "\u2264 " + exact_number(*range.high);
  return "\u2265 " + exact_number(*range.low);
}

// " for cycle days 19-23" / " for postmenopausal women": the range's reproductive criteria, when it has any.
std::string criteria_text(const TargetRange& range) {
  std::string text;
  if (range.cycle_days) {
    text += " for cycle days " + std::to_string(range.cycle_days->from) + "\u2013" +
            std::to_string(range.cycle_days->to);
  }
  if (range.menopausal_status)
    text += std::string(" for ") + std::string(to_string(*range.menopausal_status)) + " women";
  return text;
}

// "cortisol 402 nmol/L, DHEA-S 3.1 umol/L", appended to `out`.
void append_inputs_text(std::string& out, const Gradient& gradient, const Catalogue& catalogue) {
  bool first = true;
  for (const auto& input : gradient.inputs) {
    const Analyte* analyte = catalogue.find(input.analyte_id);
    if (!first) out += ", ";
    first = false;
    out += analyte != nullptr ? std::string_view(analyte->display) : std::string_view(input.analyte_id);
    out += ' ';
    append_significant_number(out, input.value.value);
    out += ' ';
    out += input.value.unit;
  }
}

}  // namespace

const TargetRange* select_target_range(std::span<const TargetRange> ranges, std::string_view gradient_code,
                                       Sex sex, std::optional<int> age_years,
                                       const ReproductiveContext& reproductive) {
  const TargetRange* best = nullptr;
  int best_score = -1;
  for (const auto& range : ranges) {
    if (range.gradient_code != gradient_code || !sex_matches(range.sex, sex) ||
        !age_matches(range.age, age_years)) {
      continue;
    }
    if (range.menopausal_status && range.menopausal_status != reproductive.menopausal_status) continue;
    if (range.cycle_days && (!reproductive.cycle_day || *reproductive.cycle_day < range.cycle_days->from ||
                             *reproductive.cycle_day > range.cycle_days->to)) {
      continue;
    }
    const int score = (range.cycle_days ? 8 : 0) + (range.menopausal_status ? 4 : 0) +
                      (range.sex != SexCriterion::any ? 2 : 0) + (range.age.bounded() ? 1 : 0);
    if (score > best_score) {
      best = &range;
      best_score = score;
    }
  }
  return best;
}

RiskLevel risk_level(double value, const TargetRange& range, const LevelThresholds& thresholds) {
  std::optional<double> bound;
  if (range.low && value < *range.low) bound = range.low;
  if (range.high && value > *range.high) bound = range.high;
  if (!bound) return RiskLevel::low;
  if (*bound == 0) return RiskLevel::high;
  const double fraction_outside = std::fabs(value - *bound) / std::fabs(*bound);
  return fraction_outside < thresholds.high_beyond_fraction_of_bound ? RiskLevel::moderate : RiskLevel::high;
}

Finding assess(const Gradient& gradient, const AssessmentRules& rules, Sex sex, std::optional<int> age_years,
               const Catalogue& catalogue, const ReproductiveContext& reproductive) {
  Finding finding;
  finding.gradient_code = gradient.code;
  finding.value = gradient.value;
  // "<display> [<comparator> ]<value>[ <unit>] (<inputs>)", built in one string: a value with a unit says it
  // ("308 pmol/L", "-0.665 nmol/L/h"); a ratio's unit "1" is left unsaid.
  std::string stated;
  stated.reserve(160);
  stated += gradient.display;
  stated += ' ';
  if (!gradient.comparator.empty()) {
    stated += gradient.comparator;
    stated += ' ';
  }
  append_significant_number(stated, gradient.value.value);
  if (gradient.value.unit != "1") {
    stated += ' ';
    stated += gradient.value.unit;
  }
  stated += " (";
  append_inputs_text(stated, gradient, catalogue);
  stated += ')';
  const TargetRange* range = select_target_range(rules.target_ranges, gradient.code, sex, age_years, reproductive);
  if (range == nullptr) {
    finding.rationale = std::move(stated);
    finding.rationale +=
        " is reported without a risk level: no target range with a citable source is configured for this "
        "patient.";
    return finding;
  }
  finding.range = *range;
  const double value = gradient.value.value;
  if (!gradient.comparator.empty()) {
    // A bound (a censored input) is placed only when the whole bounded interval lies outside the range; the level
    // is then the bound's, the least the true value can be.
    const bool upper = gradient.comparator[0] == '<';
    const bool strict = gradient.comparator.size() == 1;
    if (upper && range->low && (value < *range->low || (strict && value == *range->low))) {
      finding.direction = Direction::below;
    } else if (!upper && range->high && (value > *range->high || (strict && value == *range->high))) {
      finding.direction = Direction::above;
    } else {
      finding.range.reset();
      finding.rationale = std::move(stated) +
                          " is a bound from a censored result and cannot be placed against the target " +
                          range_text(*range) + " (source: " + range->source + "); it is reported without a level.";
      return finding;
    }
    finding.level = risk_level(value, *range, range->level_thresholds.value_or(rules.level_thresholds));
    finding.rationale = std::move(stated) + " is " + std::string(to_string(*finding.direction)) +
                        " the configured target " + range_text(*range) +
                        " even at its bound (source: " + range->source + ").";
    return finding;
  }
  if (range->low && value < *range->low) {
    finding.direction = Direction::below;
  } else if (range->high && value > *range->high) {
    finding.direction = Direction::above;
  } else {
    finding.direction = Direction::within;
  }
  finding.level = risk_level(value, *range, range->level_thresholds.value_or(rules.level_thresholds));
  finding.rationale = std::move(stated) + " is " + std::string(to_string(*finding.direction)) +
                      " the configured target " + range_text(*range) + criteria_text(*range) +
                      " (source: " + range->source + ").";
  return finding;
}

namespace {

constexpr std::array<EnumText<RiskLevel>, 3> kRiskLevelText{{
    {RiskLevel::low, "low"},
    {RiskLevel::moderate, "moderate"},
    {RiskLevel::high, "high"},
}};

constexpr std::array<EnumText<Direction>, 3> kDirectionText{{
    {Direction::below, "below"},
    {Direction::within, "within"},
    {Direction::above, "above"},
}};

}  // namespace

std::string_view to_string(RiskLevel level) {
  return text_of(kRiskLevelText, level);
}

std::string_view to_string(Direction direction) {
  return text_of(kDirectionText, direction);
}

std::string_view to_string(SexCriterion sex) {
  return text_of(kSexCriterionText, sex);
}

std::optional<SexCriterion> sex_criterion_from_string(std::string_view text) {
  return value_of(kSexCriterionText, text);
}

Sex sex_from_gender(std::string_view administrative_gender) {
  if (administrative_gender == "male") return Sex::male;
  if (administrative_gender == "female") return Sex::female;
  if (administrative_gender == "other") return Sex::other;
  return Sex::unknown;
}

}  // namespace gg::analytics
