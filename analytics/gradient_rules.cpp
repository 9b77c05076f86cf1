#include "analytics/gradient_rules.hpp"

#include <algorithm>

namespace gg::analytics {

bool ClockWindow::contains(std::chrono::seconds time_of_day) const {
  const std::chrono::seconds start = from;
  const std::chrono::seconds end = to;
  if (start <= end) return start <= time_of_day && time_of_day <= end;
  return time_of_day >= start || time_of_day <= end;  // wraps past midnight
}

namespace {

using Unit = RhythmOutputSpec::Unit;
using Kind = RhythmRule::Kind;

constexpr RhythmOutputSpec kRhythmOutputs[] = {
    {RhythmOutput::diurnal_slope, "diurnal-slope", Kind::diurnal_slope, false, Unit::per_hour},
    {RhythmOutput::car_aucg, "car-aucg", Kind::awakening_response, false, Unit::times_minutes},
    {RhythmOutput::car_auci, "car-auci", Kind::awakening_response, false, Unit::times_minutes},
    {RhythmOutput::cosinor_mesor, "cosinor-mesor", Kind::cosinor, false, Unit::rule},
    {RhythmOutput::cosinor_amplitude, "cosinor-amplitude", Kind::cosinor, false, Unit::rule},
    {RhythmOutput::cosinor_acrophase, "cosinor-acrophase", Kind::cosinor, false, Unit::hours},
    {RhythmOutput::cosinor_residual_standard_error, "cosinor-residual-standard-error", Kind::cosinor, true,
     Unit::rule},
    {RhythmOutput::cosinor_p_value, "cosinor-p-value", Kind::cosinor, true, Unit::one},
    {RhythmOutput::dose_peak, "dose-peak", std::nullopt, false, Unit::rule},
    {RhythmOutput::dose_trough, "dose-trough", std::nullopt, false, Unit::rule},
};

// "nmol/L" -> "nmol.min/L": the unit of an area under a curve with time in minutes.
std::string area_unit(const std::string& unit) {
  const auto slash = unit.find('/');
  return slash == std::string::npos ? unit + ".min" : unit.substr(0, slash) + ".min" + unit.substr(slash);
}

std::vector<std::string> codes_where(const RhythmRule& rule, bool (*wanted)(const RhythmOutputSpec&, Kind)) {
  std::vector<std::string> codes;
  for (const auto& spec : kRhythmOutputs) {
    if (wanted(spec, rule.kind)) codes.push_back(rhythm_code(rule, spec.output));
  }
  return codes;
}

}  // namespace

const RhythmOutputSpec& rhythm_output(RhythmOutput output) {
  for (const auto& spec : kRhythmOutputs) {
    if (spec.output == output) return spec;
  }
  return kRhythmOutputs[0];  // unreachable: every output has its entry
}

std::string rhythm_code(const RhythmRule& rule, RhythmOutput output) {
  return rule.prefix() + "-" + std::string(rhythm_output(output).suffix);
}

std::string rhythm_unit(const RhythmRule& rule, RhythmOutput output) {
  switch (rhythm_output(output).unit) {
    case Unit::rule:
      return rule.unit;
    case Unit::per_hour:
      return rule.unit + "/h";
    case Unit::times_minutes:
      return area_unit(rule.unit);
    case Unit::hours:
      return "h";
    case Unit::one:
      return "1";
  }
  return rule.unit;
}

std::vector<std::string> rhythm_codes(const RhythmRule& rule) {
  return codes_where(rule,
                     [](const RhythmOutputSpec& spec, Kind kind) { return spec.kind == kind && !spec.component; });
}

std::vector<std::string> rhythm_component_codes(const RhythmRule& rule) {
  return codes_where(rule,
                     [](const RhythmOutputSpec& spec, Kind kind) { return spec.kind == kind && spec.component; });
}

std::vector<std::string> dose_curve_codes(const RhythmRule& rule) {
  return codes_where(rule, [](const RhythmOutputSpec& spec, Kind) { return !spec.kind.has_value(); });
}

std::vector<std::string> gradient_codes(const GradientRules& rules) {
  std::vector<std::string> codes;
  for (const auto& rule : rules.ratios) codes.push_back(rule.code);
  for (const auto& rule : rules.derived) codes.push_back(rule.code);
  for (const auto& rule : rules.rhythms) {
    for (auto& code : rhythm_codes(rule)) codes.push_back(std::move(code));
  }
  for (const auto& rule : rules.rhythms) {
    for (auto& code : dose_curve_codes(rule)) {
      if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(std::move(code));
    }
  }
  return codes;
}

std::optional<std::string> gradient_unit(const GradientRules& rules, std::string_view code) {
  for (const auto& rule : rules.ratios) {
    if (rule.code == code) return rule.unit;
  }
  for (const auto& rule : rules.derived) {
    if (rule.code == code) return std::string(rule.output_unit());
  }
  for (const auto& rule : rules.rhythms) {
    for (const auto& spec : kRhythmOutputs) {
      if (spec.component || (spec.kind && spec.kind != rule.kind)) continue;
      if (rhythm_code(rule, spec.output) == code) return rhythm_unit(rule, spec.output);
    }
  }
  return std::nullopt;
}

}  // namespace gg::analytics
