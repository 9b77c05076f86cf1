#include "analytics/trend.hpp"

#include <algorithm>
#include <cmath>

#include "analytics/derived_rules.hpp"
#include "analytics/ratio.hpp"

namespace gg::analytics {
namespace {

bool finite_positive(double v) {
  return std::isfinite(v) && v > 0;
}

// The reference change limits for the analytes of a gradient in one specimen type, or why there are none.
struct LimitsOrReason {
  std::optional<ReferenceChangeLimits> limits;
  std::string reason;
};

LimitsOrReason limits_for(std::initializer_list<std::string_view> analytes, Specimen specimen,
                          const PatientVariation& variation, const TrendSettings& settings) {
  std::vector<BiologicalVariation> inputs;
  inputs.reserve(analytes.size());
  for (const auto analyte : analytes) {
    const auto* entry = variation.find(analyte, specimen);
    if (entry == nullptr) {
      return {std::nullopt, "no biological variation is known for " + std::string(analyte) + " in " +
                                std::string(to_string(specimen))};
    }
    // Only the CVs are read: the entry's texts (sources, population) are not copied for every patient.
    BiologicalVariation figures;
    figures.cvi_percent = entry->cvi_percent;
    figures.cva_percent = entry->cva_percent;
    inputs.push_back(figures);
  }
  auto limits = reference_change_limits(inputs, settings.z);
  if (!limits) return {std::nullopt, "the variation data or z do not give a reference change value"};
  return {limits, ""};
}

std::optional<Trend> judged(const Gradient& current, const std::optional<Gradient>& previous,
                            LimitsOrReason limits) {
  if (!previous) return std::nullopt;
  return judge_change(current, *previous, limits.limits, std::move(limits.reason));
}

// Inputs exist, and z and every CV are finite and positive.
bool usable(std::span<const BiologicalVariation> inputs, double z) {
  if (inputs.empty() || !finite_positive(z)) return false;
  return std::all_of(inputs.begin(), inputs.end(), [](const BiologicalVariation& input) {
    return finite_positive(input.cva_percent) && finite_positive(input.cvi_percent);
  });
}

}  // namespace

bool fits(const BiologicalVariation& entry, Sex sex) {
  return entry.sex == SexCriterion::any || (entry.sex == SexCriterion::male && sex == Sex::male) ||
         (entry.sex == SexCriterion::female && sex == Sex::female);
}

std::vector<BiologicalVariation> applicable_variation(std::span<const BiologicalVariation> variation, Sex sex) {
  std::vector<BiologicalVariation> fitting;
  for (const auto& entry : variation) {
    if (fits(entry, sex)) fitting.push_back(entry);
  }
  return fitting;
}

const BiologicalVariation* PatientVariation::find(std::string_view analyte_id, Specimen specimen) const {
  for (const auto& entry : entries_) {
    if (entry.analyte_id == analyte_id && entry.specimen == specimen && (!sex_ || fits(entry, *sex_)))
      return &entry;
  }
  return nullptr;
}

const BiologicalVariation* find_biological_variation(std::span<const BiologicalVariation> variation,
                                                     std::string_view analyte_id, Specimen specimen) {
  const auto it = std::find_if(variation.begin(), variation.end(), [&](const BiologicalVariation& entry) {
    return entry.analyte_id == analyte_id && entry.specimen == specimen;
  });
  return it == variation.end() ? nullptr : &*it;
}

std::optional<ReferenceChangeLimits> reference_change_limits(std::span<const BiologicalVariation> inputs,
                                                             double z) {
  if (!usable(inputs, z)) return std::nullopt;
  // The total CV of one result, its CVs in quadrature (first-order error propagation for a product or quotient of
  // independent results), transformed to the log scale once: Fokkema's sigma = sqrt(ln(CV^2 + 1)).
  double total_cv_squared = 0;
  for (const auto& input : inputs) {
    const double cva = input.cva_percent / 100;
    const double cvi = input.cvi_percent / 100;
    total_cv_squared += cva * cva + cvi * cvi;
  }
  const double log_variance = std::log1p(total_cv_squared);
  // Two results, each with this variance: their difference on the log scale has twice it.
  const double bound = z * std::sqrt(2.0) * std::sqrt(log_variance);
  return ReferenceChangeLimits{100 * std::expm1(bound), 100 * std::expm1(-bound)};
}

std::optional<double> symmetric_reference_change_value_percent(std::span<const BiologicalVariation> inputs,
                                                               double z) {
  if (!usable(inputs, z)) return std::nullopt;
  double variance = 0;  // sum of squared CVs, in percent^2
  for (const auto& input : inputs) {
    variance += input.cva_percent * input.cva_percent + input.cvi_percent * input.cvi_percent;
  }
  return std::sqrt(2.0) * z * std::sqrt(variance);
}

std::optional<Trend> judge_change(const Gradient& current, const Gradient& previous,
                                  std::optional<ReferenceChangeLimits> limits, std::string no_rcv_reason) {
  const double before = previous.value.value;
  if (!std::isfinite(before) || before == 0 || !std::isfinite(current.value.value)) return std::nullopt;
  Trend trend;
  trend.previous_value = previous.value;
  trend.previous_effective = previous.effective.text;
  trend.previous_inputs = previous.inputs;
  trend.change_percent = 100 * (current.value.value - before) / before;
  if (limits) {
    trend.rcv_up_percent = limits->up_percent;
    trend.rcv_down_percent = limits->down_percent;
    trend.significant = trend.change_percent > limits->up_percent || trend.change_percent < limits->down_percent;
  } else {
    trend.no_rcv_reason = std::move(no_rcv_reason);
  }
  return trend;
}

std::optional<Trend> ratio_trend(const RatioRule& rule, std::span<const Measurement> measurements,
                                 const Gradient& current, const PatientVariation& variation,
                                 const TrendSettings& settings, const Gradient* earlier) {
  auto previous = previous_ratio(rule, measurements, current);
  if (!previous && earlier != nullptr) previous = *earlier;
  if (!previous) return std::nullopt;
  // The pair's own type: the rule's when it names one, else the type its inputs share (pair_measurements).
  const auto specimen = rule.specimen ? rule.specimen : ratio_specimen(measurements, current);
  LimitsOrReason limits{std::nullopt, "the specimen type of the inputs is not known"};
  if (specimen) limits = limits_for({rule.numerator, rule.denominator}, *specimen, variation, settings);
  return judged(current, previous, std::move(limits));
}

std::optional<Trend> derived_trend(const DerivedRule& rule, std::span<const Measurement> measurements,
                                   const Gradient& current, const PatientVariation& variation,
                                   const TrendSettings& settings, const Gradient* earlier) {
  auto previous = previous_derived(rule, measurements, current);
  if (!previous && earlier != nullptr) previous = *earlier;
  switch (rule.formula) {
    case DerivedRule::Formula::free_androgen_index:
      return judged(current, previous,
                    limits_for({rule.input("testosterone"), rule.input("shbg")}, Specimen::serum_plasma, variation,
                               settings));
    case DerivedRule::Formula::homa_ir:
      return judged(
          current, previous,
          limits_for({rule.input("glucose"), rule.input("insulin")}, Specimen::serum_plasma, variation, settings));
    case DerivedRule::Formula::free_testosterone_vermeulen:
      // Non-linear in its inputs: their variances do not add as for a product or quotient (see trend.hpp).
      return judged(current, previous,
                    {std::nullopt,
                     "calculated free testosterone is non-linear in its inputs, so no reference change value is "
                     "derived from their variation"});
  }
  return std::nullopt;
}

const Gradient* latest_before(std::span<const Gradient> history, const Gradient& current) {
  const Gradient* latest = nullptr;
  for (const auto& gradient : history) {
    if (gradient.code != current.code || !gradient.comparator.empty()) continue;
    if (gradient.effective.instant.utc >= current.effective.instant.utc) continue;
    if (latest == nullptr || gradient.effective.instant.utc > latest->effective.instant.utc) latest = &gradient;
  }
  return latest;
}

}  // namespace gg::analytics
