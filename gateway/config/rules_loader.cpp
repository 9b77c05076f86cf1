#include "gateway/config/rules_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>

#include "gateway/config/yaml_reader.hpp"

namespace gg::gateway {
namespace {

std::optional<analytics::LevelThresholds> read_thresholds(YamlReader& reader, const YAML::Node& node,
                                                          const std::string& path) {
  if (!node) return std::nullopt;
  if (!reader.expect_map(node, path, {"high_beyond_fraction_of_bound"})) return std::nullopt;
  analytics::LevelThresholds thresholds;
  if (auto fraction = reader.number(node, "high_beyond_fraction_of_bound", path, false)) {
    if (*fraction <= 0) reader.problem(node, path + ".high_beyond_fraction_of_bound", "must be above 0");
    thresholds.high_beyond_fraction_of_bound = *fraction;
  }
  return thresholds;
}

// A local clock time "HH:MM" (24 h clock, quoted in YAML so that it stays text), as minutes after midnight.
std::optional<std::chrono::minutes> clock_time(YamlReader& reader, const YAML::Node& map, const std::string& key,
                                               const std::string& path) {
  const auto text = reader.text(map, key, path, true);
  if (!text) return std::nullopt;
  const auto digits = [&](std::size_t at) { return (*text)[at] >= '0' && (*text)[at] <= '9'; };
  if (text->size() == 5 && digits(0) && digits(1) && (*text)[2] == ':' && digits(3) && digits(4)) {
    const int hours = ((*text)[0] - '0') * 10 + ((*text)[1] - '0');
    const int minutes = ((*text)[3] - '0') * 10 + ((*text)[4] - '0');
    if (hours < 24 && minutes < 60) return std::chrono::minutes{hours * 60 + minutes};
  }
  reader.problem(map[key], path + "." + key, "expected a local clock time \"HH:MM\" (00:00-23:59)");
  return std::nullopt;
}

// `window_hours` (must be above 0) as a duration.
std::optional<std::chrono::seconds> window_hours(YamlReader& reader, const YAML::Node& node,
                                                 const std::string& path) {
  const auto hours = reader.number(node, "window_hours", path, false);
  if (!hours) return std::nullopt;
  if (*hours <= 0) reader.problem(node["window_hours"], path + ".window_hours", "must be above 0");
  return std::chrono::seconds(static_cast<std::int64_t>(*hours * 3600.0));
}

enum class ClockWrap { allowed, refused };

// {from: "07:00", to: "10:00"}: local clock times; `from` after `to` wraps past midnight where a wrap is allowed
// (a ratio's numerator_clock) and is an error where it is not (a waking window starts a day's series). Equal times
// are refused (a one-minute window is almost certainly a mistake).
std::optional<analytics::ClockWindow> read_clock_window(YamlReader& reader, const YAML::Node& node,
                                                        const std::string& path, ClockWrap wrap) {
  if (!reader.expect_map(node, path, {"from", "to"})) return std::nullopt;
  const auto from = clock_time(reader, node, "from", path);
  const auto to = clock_time(reader, node, "to", path);
  if (!from || !to) return std::nullopt;
  if (wrap == ClockWrap::refused && *from >= *to) {
    reader.problem(node, path, "expected 00:00 <= from < to <= 23:59: this window does not wrap past midnight");
    return std::nullopt;
  }
  if (*from == *to) {
    reader.problem(node, path, "'from' and 'to' are the same time");
    return std::nullopt;
  }
  return analytics::ClockWindow{*from, *to};
}

// ratios[i]: a numerator / denominator rule (schema at the top of config/rules/gradients.yaml).
const std::initializer_list<std::string_view> kRatioKeys{
    "code", "display",      "numerator", "denominator",      "input_unit",
    "unit", "window_hours", "specimen",  "numerator_timing", "numerator_clock"};
analytics::RatioRule read_ratio(YamlReader& reader, const YAML::Node& node, const std::string& path) {
  analytics::RatioRule rule;
  rule.code = reader.text(node, "code", path, true).value_or("");
  rule.display = reader.text(node, "display", path, true).value_or("");
  rule.numerator = reader.text(node, "numerator", path, true).value_or("");
  rule.denominator = reader.text(node, "denominator", path, true).value_or("");
  rule.input_unit = reader.text(node, "input_unit", path, false).value_or(rule.input_unit);
  rule.unit = reader.text(node, "unit", path, false).value_or(rule.unit);
  if (auto window = window_hours(reader, node, path)) rule.window = *window;
  rule.specimen = reader.choice(node, "specimen", path, false, analytics::kSpecimenText);
  rule.numerator_timings = string_list(reader, node["numerator_timing"], path + ".numerator_timing");
  if (const YAML::Node clock = node["numerator_clock"]) {
    rule.numerator_clock = read_clock_window(reader, clock, path + ".numerator_clock", ClockWrap::allowed);
  }
  return rule;
}

// derived[i]: a value computed by a published formula (analytics/derived.hpp).
const std::initializer_list<std::string_view> kDerivedKeys{
    "code", "display", "formula", "inputs", "unit", "window_hours", "default_albumin_g_l"};
analytics::DerivedRule read_derived_rule(YamlReader& reader, const YAML::Node& node, const std::string& path) {
  analytics::DerivedRule rule;
  rule.code = reader.text(node, "code", path, true).value_or("");
  rule.display = reader.text(node, "display", path, true).value_or("");
  if (auto formula = reader.choice(node, "formula", path, true, analytics::kDerivedFormulaText)) {
    rule.formula = *formula;
  }
  // {role: analyte id}; which roles a formula has is validate_knowledge()'s to check.
  if (const YAML::Node inputs = node["inputs"]) {
    if (!inputs.IsMap()) {
      reader.problem(inputs, path + ".inputs", "expected a mapping of input role to analyte id");
    } else {
      for (const auto& entry : inputs) {
        const auto role = entry.first.as<std::string>();
        if (auto analyte = reader.text(inputs, role, path + ".inputs", true)) {
          rule.inputs.push_back({role, *analyte});
        }
      }
    }
  }
  rule.unit = reader.text(node, "unit", path, false).value_or("");
  if (auto window = window_hours(reader, node, path)) rule.window = *window;
  if (auto albumin = reader.number(node, "default_albumin_g_l", path, false)) rule.default_albumin_g_l = *albumin;
  return rule;
}

// rhythms[i]: the daily rhythm of one analyte in one specimen type (analytics/rhythm_rules.hpp).
const std::initializer_list<std::string_view> kRhythmKeys{
    "kind",          "analyte",           "specimen",    "code_prefix",    "unit",
    "waking_window", "waking_time_codes", "min_samples", "min_span_hours", "days"};
analytics::RhythmRule read_rhythm(YamlReader& reader, const YAML::Node& node, const std::string& path) {
  analytics::RhythmRule rule;
  if (auto kind = reader.choice(node, "kind", path, true, analytics::kRhythmKindText)) rule.kind = *kind;
  rule.analyte = reader.text(node, "analyte", path, true).value_or("");
  if (auto specimen = reader.choice(node, "specimen", path, true, analytics::kSpecimenText)) {
    rule.specimen = *specimen;
  }
  rule.code_prefix = reader.text(node, "code_prefix", path, false).value_or("");
  rule.unit = reader.text(node, "unit", path, false).value_or(rule.unit);
  if (const YAML::Node window = node["waking_window"]) {
    const std::string window_path = path + ".waking_window";
    if (const auto clock = read_clock_window(reader, window, window_path, ClockWrap::refused)) {
      rule.waking_window = analytics::RhythmRule::WakingWindow{clock->from, clock->to};
    }
  }
  if (const YAML::Node codes = node["waking_time_codes"]) {
    const std::string codes_path = path + ".waking_time_codes";
    if (!codes.IsSequence()) reader.problem(codes, codes_path, "expected a list of {system, code}");
    for (std::size_t j = 0; codes.IsSequence() && j < codes.size(); ++j) {
      const std::string at = codes_path + "[" + std::to_string(j) + "]";
      if (!reader.expect_map(codes[j], at, {"system", "code"})) continue;
      const auto system = reader.text(codes[j], "system", at, true);
      const auto code = reader.text(codes[j], "code", at, true);
      if (system && system->empty()) reader.problem(codes[j]["system"], at + ".system", "must not be empty");
      if (code && code->empty()) reader.problem(codes[j]["code"], at + ".code", "must not be empty");
      if (system && code && !system->empty() && !code->empty()) {
        rule.waking_time_codes.push_back({*system, *code});
      }
    }
  }
  if (auto samples = reader.number(node, "min_samples", path, false)) {
    rule.min_samples = *samples < 0 ? 0 : static_cast<std::size_t>(*samples);
  }
  if (auto span = reader.number(node, "min_span_hours", path, false)) rule.min_span_hours = *span;
  if (auto days = reader.number(node, "days", path, false)) rule.days = static_cast<int>(*days);
  return rule;
}

// suggestions[i]: what a finding proposes (schema at the top of config/rules/suggestions.yaml).
const std::initializer_list<std::string_view> kSuggestionKeys{
    "id", "gradients", "direction", "min_level", "kind", "title", "description", "time_of_day", "source"};
analytics::Suggestion read_suggestion(YamlReader& reader, const YAML::Node& node, const std::string& path) {
  analytics::Suggestion suggestion;
  suggestion.id = reader.text(node, "id", path, true).value_or("");
  suggestion.gradients = string_list(reader, node["gradients"], path + ".gradients");
  if (auto direction = reader.text(node, "direction", path, false)) {
    if (*direction == "above") {
      suggestion.direction = analytics::Direction::above;
    } else if (*direction == "below") {
      suggestion.direction = analytics::Direction::below;
    } else if (*direction != "any") {
      reader.problem(node["direction"], path + ".direction", "expected above, below or any");
    }
  }
  if (auto level = reader.text(node, "min_level", path, false)) {
    if (*level == "moderate") {
      suggestion.min_level = analytics::RiskLevel::moderate;
    } else if (*level == "high") {
      suggestion.min_level = analytics::RiskLevel::high;
    } else {
      reader.problem(node["min_level"], path + ".min_level", "expected moderate or high");
    }
  }
  suggestion.kind = reader.text(node, "kind", path, false).value_or("");
  suggestion.title = reader.text(node, "title", path, true).value_or("");
  suggestion.description = reader.text(node, "description", path, false).value_or("");
  suggestion.time_of_day = string_list(reader, node["time_of_day"], path + ".time_of_day");
  suggestion.source = reader.text(node, "source", path, false).value_or("");
  return suggestion;
}

// target_ranges[i]: a cited range a gradient is assessed against (analytics/assessment.hpp).
const std::initializer_list<std::string_view> kTargetRangeKeys{
    "gradient", "sex",  "age",    "menopausal_status", "cycle_days", "low",
    "high",     "unit", "source", "level_thresholds"};
analytics::TargetRange read_target_range(YamlReader& reader, const YAML::Node& node, const std::string& path) {
  analytics::TargetRange range;
  range.gradient_code = reader.text(node, "gradient", path, true).value_or("");
  if (auto sex = reader.choice(node, "sex", path, false, analytics::kSexCriterionText)) range.sex = *sex;
  if (const YAML::Node age = node["age"]) {
    if (reader.expect_map(age, path + ".age", {"min_years", "max_years"})) {
      if (auto min = reader.number(age, "min_years", path + ".age", false))
        range.age.min_years = static_cast<int>(*min);
      if (auto max = reader.number(age, "max_years", path + ".age", false))
        range.age.max_years = static_cast<int>(*max);
    }
  }
  range.menopausal_status =
      reader.choice(node, "menopausal_status", path, false, analytics::kMenopausalStatusText);
  if (const YAML::Node days = node["cycle_days"]) {
    if (reader.expect_map(days, path + ".cycle_days", {"from", "to"})) {
      const auto from = reader.number(days, "from", path + ".cycle_days", true);
      const auto to = reader.number(days, "to", path + ".cycle_days", true);
      if (from && to) range.cycle_days = analytics::CycleDays{static_cast<int>(*from), static_cast<int>(*to)};
    }
  }
  range.low = reader.number(node, "low", path, false);
  range.high = reader.number(node, "high", path, false);
  range.unit = reader.text(node, "unit", path, false).value_or("");
  range.source = reader.text(node, "source", path, true).value_or("");
  range.level_thresholds = read_thresholds(reader, node["level_thresholds"], path + ".level_thresholds");
  return range;
}

}  // namespace

void read_rules(const std::string& file, analytics::Knowledge& knowledge, RuleSetName& rule_set,
                std::vector<ConfigProblem>& problems) {
  auto root = load_versioned_map(file, problems,
                                 {"version", "rule_set", "assessment", "trends", "ratios", "derived", "rhythms",
                                  "target_ranges", "suggestions"});
  if (!root) return;
  YamlReader reader(file, problems);

  if (const YAML::Node set = (*root)["rule_set"]) {
    if (reader.expect_map(set, "rule_set", {"id", "version"})) {
      rule_set.id = reader.text(set, "id", "rule_set", true).value_or(rule_set.id);
      rule_set.version = reader.text(set, "version", "rule_set", true).value_or(rule_set.version);
    }
  }
  if (const YAML::Node assessment = (*root)["assessment"]) {
    if (reader.expect_map(assessment, "assessment", {"level_thresholds"})) {
      if (auto thresholds =
              read_thresholds(reader, assessment["level_thresholds"], "assessment.level_thresholds")) {
        knowledge.assessment.level_thresholds = *thresholds;
      }
    }
  }

  if (const YAML::Node trends = (*root)["trends"]) {
    if (reader.expect_map(trends, "trends", {"z"})) {
      if (auto z = reader.number(trends, "z", "trends", true)) {
        if (!(*z > 0 && std::isfinite(*z))) reader.problem(trends["z"], "trends.z", "must be above 0");
        knowledge.rules.trends.z = *z;
      }
    }
  }

  read_each_map(reader, (*root)["ratios"], "ratios", kRatioKeys, read_ratio, knowledge.rules.ratios);
  read_each_map(reader, (*root)["derived"], "derived", kDerivedKeys, read_derived_rule, knowledge.rules.derived);
  read_each_map(reader, (*root)["rhythms"], "rhythms", kRhythmKeys, read_rhythm, knowledge.rules.rhythms);
  read_each_map(reader, (*root)["suggestions"], "suggestions", kSuggestionKeys, read_suggestion,
                knowledge.suggestions);
  read_each_map(reader, (*root)["target_ranges"], "target_ranges", kTargetRangeKeys, read_target_range,
                knowledge.assessment.target_ranges);
}

}  // namespace gg::gateway
