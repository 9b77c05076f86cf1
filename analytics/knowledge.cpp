#include "analytics/knowledge.hpp"

#include <algorithm>
#include <set>

#include "analytics/unit_conversion.hpp"

namespace gg::analytics {
namespace {

bool is_code_token(std::string_view code) {
  return !code.empty() && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

void validate_input(const Knowledge& knowledge, const RatioRule& rule, const std::string& analyte_id,
                    const std::string& at, std::vector<KnowledgeProblem>& problems) {
  const Analyte* analyte = knowledge.catalogue.find(analyte_id);
  if (analyte == nullptr) {
    problems.push_back({at, "unknown analyte '" + analyte_id + "'"});
    return;
  }
  if (!rescale(UcumValue{1.0, analyte->canonical_unit}, rule.input_unit)) {
    problems.push_back({at, "the canonical unit of '" + analyte_id + "' (" + analyte->canonical_unit +
                                ") cannot be expressed in the rule's input unit " + rule.input_unit});
  }
  if (rule.specimen && std::none_of(analyte->loinc.begin(), analyte->loinc.end(),
                                    [&](const LoincCode& code) { return code.specimen == *rule.specimen; })) {
    problems.push_back({at, "'" + analyte_id + "' has no LOINC code for specimen " +
                                std::string(to_string(*rule.specimen)) + ", so the rule can never apply"});
  }
}

// Rhythm rules: one series (analyte and specimen type) has one code prefix and each kind once, so that no two
// rules write the same code and saliva and serum never share one (review M2). The dose-curve codes belong to the
// series.
void validate_rhythms(const Knowledge& knowledge, std::set<std::string, std::less<>>& codes,
                      std::vector<KnowledgeProblem>& problems) {
  const auto& rules = knowledge.rules.rhythms;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const RhythmRule& rule = rules[i];
    const std::string at = "rhythms[" + std::to_string(i) + "]";
    if (knowledge.catalogue.find(rule.analyte) == nullptr) {
      problems.push_back(
          {at + ".analyte", "needs analyte '" + rule.analyte + "', which the catalogue does not have"});
    }
    if (!parse_unit(rule.unit, UnitDialect::ucum).unit) problems.push_back({at + ".unit", "unit is not UCUM"});
    if (!is_code_token(rule.prefix())) {
      problems.push_back({at + ".code_prefix", "a code prefix is lower-case letters, digits and '-'"});
    }
    if (rule.kind == RhythmRule::Kind::cosinor && (rule.min_samples < 4 || rule.days < 1)) {
      problems.push_back({at, "a cosinor needs min_samples of at least 4 and days of at least 1"});
    }
    if (rule.kind != RhythmRule::Kind::cosinor && !rule.waking_window) {
      problems.push_back({at + ".waking_window", "a " + std::string(to_string(rule.kind)) +
                                                     " rule needs a waking window: its series starts at waking"});
    }
    if (rule.waking_window &&
        !(rule.waking_window->from >= std::chrono::minutes::zero() &&
          rule.waking_window->from < rule.waking_window->to && rule.waking_window->to < std::chrono::hours{24})) {
      problems.push_back({at + ".waking_window", "expected 00:00 <= from < to <= 23:59"});
    }
    bool series_known = false;
    for (std::size_t j = 0; j < i; ++j) {
      const RhythmRule& earlier = rules[j];
      const bool same_series = earlier.analyte == rule.analyte && earlier.specimen == rule.specimen;
      if (same_series && earlier.kind == rule.kind) {
        problems.push_back({at, "repeats the " + std::string(to_string(rule.kind)) + " rule of rhythms[" +
                                    std::to_string(j) + "] for the same analyte and specimen"});
      }
      if (same_series && earlier.prefix() != rule.prefix()) {
        problems.push_back({at + ".code_prefix", "rhythms[" + std::to_string(j) +
                                                     "] has the same analyte and specimen with code prefix '" +
                                                     earlier.prefix() + "': a series has one prefix"});
      }
      if (!same_series && earlier.prefix() == rule.prefix()) {
        problems.push_back({at + ".code_prefix", "code prefix '" + rule.prefix() +
                                                     "' is already used by rhythms[" + std::to_string(j) +
                                                     "] for another analyte or specimen"});
      }
      series_known = series_known || same_series;
    }
    for (const auto& code : rhythm_codes(rule)) {
      if (!codes.insert(code).second) problems.push_back({at, "duplicate gradient code '" + code + "'"});
    }
    if (series_known) continue;
    for (const auto& code : dose_curve_codes(rule)) {
      if (!codes.insert(code).second) problems.push_back({at, "duplicate gradient code '" + code + "'"});
    }
  }
}

void validate_rules(const Knowledge& knowledge, std::vector<KnowledgeProblem>& problems) {
  std::set<std::string, std::less<>> codes;
  for (std::size_t i = 0; i < knowledge.rules.ratios.size(); ++i) {
    const RatioRule& rule = knowledge.rules.ratios[i];
    const std::string at = "ratios[" + std::to_string(i) + "]";
    if (!is_code_token(rule.code)) {
      problems.push_back({at + ".code", "a gradient code is lower-case letters, digits and '-'"});
    } else if (!codes.insert(rule.code).second) {
      problems.push_back({at + ".code", "duplicate gradient code '" + rule.code + "'"});
    }
    if (rule.display.empty()) problems.push_back({at + ".display", "a gradient needs a display name"});
    if (!parse_unit(rule.input_unit, UnitDialect::ucum).unit) {
      problems.push_back({at + ".input_unit", "input unit is not UCUM"});
    } else {
      validate_input(knowledge, rule, rule.numerator, at + ".numerator", problems);
      validate_input(knowledge, rule, rule.denominator, at + ".denominator", problems);
    }
    // A timing no code of the numerator carries (a typo such as "AM") would silently admit nothing by code.
    if (const Analyte* numerator = knowledge.catalogue.find(rule.numerator)) {
      for (const auto& timing : rule.numerator_timings) {
        if (std::none_of(numerator->loinc.begin(), numerator->loinc.end(), [&](const LoincCode& code) {
              return code.timing == timing && (!rule.specimen || code.specimen == *rule.specimen);
            })) {
          problems.push_back({at + ".numerator_timing",
                              "no LOINC code of '" + rule.numerator + "'" +
                                  (rule.specimen ? " in " + std::string(to_string(*rule.specimen)) : "") +
                                  " has timing '" + timing + "'"});
        }
      }
    }
    if (rule.numerator == rule.denominator) {
      problems.push_back({at + ".denominator", "numerator and denominator are the same analyte"});
    }
    if (!parse_unit(rule.unit, UnitDialect::ucum).unit) problems.push_back({at + ".unit", "unit is not UCUM"});
    if (rule.window <= std::chrono::seconds::zero()) {
      problems.push_back({at + ".window_hours", "the pairing window must be positive"});
    }
  }
  const auto need_analyte = [&](const std::string& id, const std::string& at) {
    if (knowledge.catalogue.find(id) == nullptr) {
      problems.push_back({at, "needs analyte '" + id + "', which the catalogue does not have"});
    }
  };
  for (std::size_t i = 0; i < knowledge.rules.derived.size(); ++i) {
    const DerivedRule& rule = knowledge.rules.derived[i];
    const std::string at = "derived[" + std::to_string(i) + "]";
    if (!is_code_token(rule.code)) {
      problems.push_back({at + ".code", "a gradient code is lower-case letters, digits and '-'"});
    } else if (!codes.insert(rule.code).second) {
      problems.push_back({at + ".code", "duplicate gradient code '" + rule.code + "'"});
    }
    if (rule.display.empty()) problems.push_back({at + ".display", "a gradient needs a display name"});
    if (rule.window <= std::chrono::seconds::zero()) {
      problems.push_back({at + ".window_hours", "the window must be positive"});
    }
    // The inputs match the formula's signature: every named role is one of its roles, each named once, and every
    // role it cannot do without is an analyte of the catalogue.
    const auto roles = derived_roles(rule.formula);
    for (std::size_t j = 0; j < rule.inputs.size(); ++j) {
      const auto& input = rule.inputs[j];
      if (std::find(roles.begin(), roles.end(), input.role) == roles.end()) {
        std::string expected;
        for (const auto role : roles) expected += (expected.empty() ? "" : ", ") + std::string(role);
        problems.push_back({at + ".inputs." + input.role, "the " + std::string(to_string(rule.formula)) +
                                                              " formula has no input '" + input.role +
                                                              "' (its inputs: " + expected + ")"});
      } else if (std::any_of(rule.inputs.begin(), rule.inputs.begin() + static_cast<std::ptrdiff_t>(j),
                             [&](const DerivedRule::Input& earlier) { return earlier.role == input.role; })) {
        problems.push_back({at + ".inputs." + input.role, "input '" + input.role + "' is named twice"});
      } else if (derived_role_optional(rule.formula, input.role)) {
        need_analyte(input.analyte, at + ".inputs." + input.role);
      }
    }
    for (const auto role : roles) {
      if (derived_role_optional(rule.formula, role)) continue;
      const bool named = std::any_of(rule.inputs.begin(), rule.inputs.end(),
                                     [&](const DerivedRule::Input& input) { return input.role == role; });
      need_analyte(std::string(rule.input(role)), at + (named ? ".inputs." + std::string(role) : ".formula"));
    }
    if (!rule.unit.empty()) {
      const UcumValue one{1.0, std::string(derived_unit(rule.formula))};
      if (!parse_unit(rule.unit, UnitDialect::ucum).unit) {
        problems.push_back({at + ".unit", "unit is not UCUM"});
      } else if (!rescale(one, rule.unit)) {
        problems.push_back(
            {at + ".unit", "the formula computes in " + one.unit + ", which cannot be expressed in " + rule.unit});
      }
    }
    if (rule.formula == DerivedRule::Formula::free_testosterone_vermeulen && !(rule.default_albumin_g_l > 0)) {
      problems.push_back({at + ".default_albumin_g_l", "the default albumin must be positive"});
    }
  }
  validate_rhythms(knowledge, codes, problems);
}

bool overlaps(const AgeBand& a, const AgeBand& b) {
  const bool a_ends_before_b = a.max_years && *a.max_years <= b.min_years;
  const bool b_ends_before_a = b.max_years && *b.max_years <= a.min_years;
  return !a_ends_before_b && !b_ends_before_a;
}

void validate_thresholds(const LevelThresholds& thresholds, const std::string& at,
                         std::vector<KnowledgeProblem>& problems) {
  if (!(thresholds.high_beyond_fraction_of_bound > 0)) {
    problems.push_back({at + ".high_beyond_fraction_of_bound", "the threshold must be a positive fraction"});
  }
}

void validate_assessment(const Knowledge& knowledge, std::vector<KnowledgeProblem>& problems) {
  validate_thresholds(knowledge.assessment.level_thresholds, "assessment.level_thresholds", problems);
  const auto& ranges = knowledge.assessment.target_ranges;
  const auto codes = gradient_codes(knowledge.rules);
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const TargetRange& range = ranges[i];
    const std::string at = "target_ranges[" + std::to_string(i) + "]";
    const bool known = std::find(codes.begin(), codes.end(), range.gradient_code) != codes.end();
    if (!known) problems.push_back({at + ".gradient", "no gradient rule has code '" + range.gradient_code + "'"});
    if (range.source.empty()) {
      problems.push_back({at + ".source",
                          "a target range needs a citable source; without one, leave the range "
                          "out and the value is reported without a risk level"});
    }
    if (!range.low && !range.high) problems.push_back({at, "a target range needs low, high or both"});
    // Bounds are compared with the value as the rule reports it, so a range that states its unit states that one
    // (a calculated free testosterone cited as 0.245-0.785 nmol/L is configured as 245-785 pmol/L).
    if (!range.unit.empty()) {
      const auto unit = gradient_unit(knowledge.rules, range.gradient_code);
      if (unit && *unit != range.unit) {
        problems.push_back({at + ".unit", "'" + range.gradient_code + "' is reported in " + *unit +
                                              ", so its range's low and high are in " + *unit + ", not " +
                                              range.unit});
      }
    }
    if (range.low && range.high && !(*range.low < *range.high)) {
      problems.push_back({at + ".low", "low must be below high"});
    }
    if (range.age.min_years < 0) problems.push_back({at + ".age.min_years", "age cannot be negative"});
    if (range.age.max_years && *range.age.max_years <= range.age.min_years) {
      problems.push_back({at + ".age.max_years", "max_years must be above min_years (the band is [min, max))"});
    }
    if (range.level_thresholds) validate_thresholds(*range.level_thresholds, at + ".level_thresholds", problems);
    if (range.cycle_days && (range.cycle_days->from < 1 || range.cycle_days->to < range.cycle_days->from)) {
      problems.push_back({at + ".cycle_days", "expected 1 <= from <= to"});
    }
    if ((range.cycle_days || range.menopausal_status) && range.sex != SexCriterion::female) {
      problems.push_back({at + ".sex", "a range for cycle days or a menopausal status is for sex female"});
    }
    for (std::size_t j = 0; j < i; ++j) {
      const TargetRange& earlier = ranges[j];
      const bool same_reproductive_criteria =
          earlier.menopausal_status == range.menopausal_status &&
          earlier.cycle_days.has_value() == range.cycle_days.has_value() &&
          (!range.cycle_days ||
           (earlier.cycle_days->from <= range.cycle_days->to && range.cycle_days->from <= earlier.cycle_days->to));
      if (earlier.gradient_code != range.gradient_code || earlier.sex != range.sex ||
          earlier.age.bounded() != range.age.bounded() || !overlaps(earlier.age, range.age) ||
          !same_reproductive_criteria) {
        continue;
      }
      problems.push_back({at + (range.cycle_days ? ".cycle_days" : ".age"),
                          "overlaps target_ranges[" + std::to_string(j) +
                              "] for the same gradient, sex and reproductive criteria, so the choice between "
                              "them would be arbitrary"});
    }
  }
}

}  // namespace

std::vector<KnowledgeProblem> validate_knowledge(const Knowledge& knowledge) {
  auto problems = validate_catalogue(knowledge.catalogue.analytes());
  validate_rules(knowledge, problems);
  validate_assessment(knowledge, problems);
  const auto codes = gradient_codes(knowledge.rules);
  for (auto& problem : validate_suggestions(knowledge.suggestions, codes)) problems.push_back(std::move(problem));
  return problems;
}

}  // namespace gg::analytics
