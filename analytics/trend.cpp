#include "analytics/trend.hpp"

#include <algorithm>
#include <cmath>

#include "analytics/derived_rules.hpp"

namespace gg::analytics {
namespace {

bool finite_positive(double v) {
  return std::isfinite(v) && v > 0;
}

// The RCV for the analytes of a gradient in one specimen type, or why there is none.
struct RcvOrReason {
  std::optional<double> rcv_percent;
  std::string reason;
};

RcvOrReason rcv_for(std::initializer_list<std::string_view> analytes, Specimen specimen,
                    std::span<const BiologicalVariation> variation, const TrendSettings& settings) {
  std::vector<BiologicalVariation> inputs;
  for (const auto analyte : analytes) {
    const auto* entry = find_biological_variation(variation, analyte, specimen);
    if (entry == nullptr) {
      return {std::nullopt, "no biological variation is known for " + std::string(analyte) + " in " +
                                std::string(to_string(specimen))};
    }
    inputs.push_back(*entry);
  }
  auto rcv = reference_change_value_percent(inputs, settings.z);
  if (!rcv) return {std::nullopt, "the variation data or z do not give a reference change value"};
  return {rcv, ""};
}

std::optional<Trend> judged(const Gradient& current, const std::optional<Gradient>& previous, RcvOrReason rcv) {
  if (!previous) return std::nullopt;
  return judge_change(current, *previous, rcv.rcv_percent, std::move(rcv.reason));
}

}  // namespace

std::vector<BiologicalVariation> applicable_variation(std::span<const BiologicalVariation> variation, Sex sex) {
  std::vector<BiologicalVariation> fitting;
  for (const auto& entry : variation) {
    const bool fits = entry.sex == SexCriterion::any || (entry.sex == SexCriterion::male && sex == Sex::male) ||
                      (entry.sex == SexCriterion::female && sex == Sex::female);
    if (fits) fitting.push_back(entry);
  }
  return fitting;
}

const BiologicalVariation* find_biological_variation(std::span<const BiologicalVariation> variation,
                                                     std::string_view analyte_id, Specimen specimen) {
  const auto it = std::find_if(variation.begin(), variation.end(), [&](const BiologicalVariation& entry) {
    return entry.analyte_id == analyte_id && entry.specimen == specimen;
  });
  return it == variation.end() ? nullptr : &*it;
}

std::optional<double> reference_change_value_percent(std::span<const BiologicalVariation> inputs, double z) {
  if (inputs.empty() || !finite_positive(z)) return std::nullopt;
  double variance = 0;  // sum of squared CVs, in percent^2
  for (const auto& input : inputs) {
    if (!finite_positive(input.cva_percent) || !finite_positive(input.cvi_percent)) return std::nullopt;
    variance += input.cva_percent * input.cva_percent + input.cvi_percent * input.cvi_percent;
  }
  return std::sqrt(2.0) * z * std::sqrt(variance);
}

std::optional<Trend> judge_change(const Gradient& current, const Gradient& previous,
                                  std::optional<double> rcv_percent, std::string no_rcv_reason) {
  const double before = previous.value.value;
  if (!std::isfinite(before) || before == 0 || !std::isfinite(current.value.value)) return std::nullopt;
  Trend trend;
  trend.previous_value = previous.value;
  trend.previous_effective = previous.effective.text;
  trend.previous_inputs = previous.inputs;
  trend.change_percent = 100 * (current.value.value - before) / before;
  trend.rcv_percent = rcv_percent;
  if (rcv_percent) {
    trend.significant = std::abs(trend.change_percent) > *rcv_percent;
  } else {
    trend.no_rcv_reason = std::move(no_rcv_reason);
  }
  return trend;
}

std::optional<Trend> ratio_trend(const RatioRule& rule, std::span<const Measurement> measurements,
                                 const Gradient& current, std::span<const BiologicalVariation> variation,
                                 const TrendSettings& settings) {
  auto previous = previous_ratio(rule, measurements, current);
  if (!previous || current.inputs.empty()) return std::nullopt;
  // Without a specimen in the rule the pair shares its inputs' type (pair_measurements); the numerator's tells it.
  std::optional<Specimen> specimen = rule.specimen;
  if (!specimen) {
    const auto& first = current.inputs.front();
    const auto it = std::find_if(measurements.begin(), measurements.end(), [&](const Measurement& m) {
      return m.reference == first.reference && m.version_id == first.version_id;
    });
    if (it != measurements.end()) specimen = it->specimen;
  }
  RcvOrReason rcv{std::nullopt, "the specimen type of the inputs is not known"};
  if (specimen) rcv = rcv_for({rule.numerator, rule.denominator}, *specimen, variation, settings);
  return judged(current, previous, std::move(rcv));
}

std::optional<Trend> derived_trend(const DerivedRule& rule, std::span<const Measurement> measurements,
                                   const Gradient& current, std::span<const BiologicalVariation> variation,
                                   const TrendSettings& settings) {
  auto previous = previous_derived(rule, measurements, current);
  switch (rule.formula) {
    case DerivedRule::Formula::free_androgen_index:
      return judged(current, previous,
                    rcv_for({"testosterone", "shbg"}, Specimen::serum_plasma, variation, settings));
    case DerivedRule::Formula::homa_ir:
      return judged(current, previous,
                    rcv_for({"glucose", "insulin"}, Specimen::serum_plasma, variation, settings));
    case DerivedRule::Formula::free_testosterone_vermeulen:
      // Non-linear in its inputs: their CVs do not add in quadrature (see trend.hpp).
      return judged(current, previous,
                    {std::nullopt,
                     "calculated free testosterone is non-linear in its inputs, so no reference change value is "
                     "derived from their variation"});
  }
  return std::nullopt;
}

}  // namespace gg::analytics
