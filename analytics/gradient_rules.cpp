#include "analytics/gradient_rules.hpp"

#include <algorithm>

namespace gg::analytics {

bool ClockWindow::contains(std::chrono::seconds time_of_day) const {
  const std::chrono::seconds start = from;
  const std::chrono::seconds end = to;
  if (start <= end) return start <= time_of_day && time_of_day <= end;
  return time_of_day >= start || time_of_day <= end;  // wraps past midnight
}

std::vector<std::string> rhythm_codes(const RhythmRule& rule) {
  const std::string prefix = rule.prefix();
  switch (rule.kind) {
    case RhythmRule::Kind::diurnal_slope:
      return {prefix + "-diurnal-slope"};
    case RhythmRule::Kind::awakening_response:
      return {prefix + "-car-aucg", prefix + "-car-auci"};
    case RhythmRule::Kind::cosinor:
      return {prefix + "-cosinor-mesor", prefix + "-cosinor-amplitude", prefix + "-cosinor-acrophase"};
  }
  return {};
}

std::vector<std::string> dose_curve_codes(const RhythmRule& rule) {
  return {rule.prefix() + "-dose-peak", rule.prefix() + "-dose-trough"};
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

}  // namespace gg::analytics
