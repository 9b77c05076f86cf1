#include "gateway/config/knowledge_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "analytics/catalogue.hpp"
#include "analytics/trend.hpp"
#include "gateway/config/medication_loader.hpp"
#include "gateway/config/yaml_reader.hpp"

namespace gg::gateway {
namespace {

std::vector<analytics::Analyte> read_catalogue(const std::string& file, std::vector<ConfigProblem>& problems) {
  std::vector<analytics::Analyte> analytes;
  auto root = load_yaml(file, problems);
  if (!root) return analytes;
  YamlReader reader(file, problems);
  if (!reader.expect_map(*root, "", {"version", "analytes"})) return analytes;
  check_version(reader, *root);
  const YAML::Node list = (*root)["analytes"];
  if (!list || !list.IsSequence()) {
    reader.problem(*root, "analytes", "required list 'analytes' is missing");
    return analytes;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node node = list[i];
    const std::string path = "analytes[" + std::to_string(i) + "]";
    if (!reader.expect_map(node, path,
                           {"id", "display", "canonical_unit", "molar_mass", "iu_equivalent", "accepted_units",
                            "unit_aliases", "loinc", "plausible_range"})) {
      continue;
    }
    analytics::Analyte analyte;
    analyte.id = reader.text(node, "id", path, true).value_or("");
    analyte.display = reader.text(node, "display", path, true).value_or("");
    analyte.canonical_unit = reader.text(node, "canonical_unit", path, true).value_or("");
    if (const YAML::Node mass = node["molar_mass"]) {
      if (reader.expect_map(mass, path + ".molar_mass", {"g_per_mol", "source"})) {
        analytics::MolarMass molar;
        molar.g_per_mol = reader.number(mass, "g_per_mol", path + ".molar_mass", true).value_or(0);
        molar.source = reader.text(mass, "source", path + ".molar_mass", true).value_or("");
        analyte.molar_mass = molar;
      }
    }
    if (const YAML::Node iu = node["iu_equivalent"]) {
      const std::string iu_path = path + ".iu_equivalent";
      if (reader.expect_map(iu, iu_path, {"quantity", "unit", "standard", "source"})) {
        analytics::InternationalUnitEquivalent equivalent;
        equivalent.quantity = reader.number(iu, "quantity", iu_path, true).value_or(0);
        equivalent.unit = reader.text(iu, "unit", iu_path, true).value_or("");
        equivalent.standard = reader.text(iu, "standard", iu_path, true).value_or("");
        equivalent.source = reader.text(iu, "source", iu_path, true).value_or("");
        analyte.iu_equivalent = equivalent;
      }
    }
    if (const YAML::Node aliases = node["unit_aliases"]) {
      if (!aliases.IsMap()) {
        reader.problem(aliases, path + ".unit_aliases", "expected a mapping of unit text to UCUM code");
      } else {
        for (const auto& alias : aliases) {
          if (!alias.second.IsScalar()) {
            reader.problem(alias.second, path + ".unit_aliases", "expected a UCUM code");
            continue;
          }
          analyte.unit_aliases.push_back({alias.first.as<std::string>(), alias.second.Scalar()});
        }
      }
    }
    analyte.accepted_units = string_list(reader, node["accepted_units"], path + ".accepted_units");
    if (const YAML::Node range = node["plausible_range"]) {
      // Bounds, unit and source are checked against the analyte by validate_catalogue().
      const std::string range_path = path + ".plausible_range";
      if (reader.expect_map(range, range_path, {"low", "high", "unit", "source"})) {
        analytics::PlausibleRange plausible;
        plausible.low = reader.number(range, "low", range_path, false);
        plausible.high = reader.number(range, "high", range_path, false);
        plausible.unit = reader.text(range, "unit", range_path, true).value_or("");
        plausible.source = reader.text(range, "source", range_path, true).value_or("");
        analyte.plausible_range = std::move(plausible);
      }
    }
    const YAML::Node codes = node["loinc"];
    if (!codes || !codes.IsSequence()) {
      reader.problem(node, path + ".loinc", "required list 'loinc' is missing");
    } else {
      for (std::size_t j = 0; j < codes.size(); ++j) {
        const YAML::Node code = codes[j];
        const std::string code_path = path + ".loinc[" + std::to_string(j) + "]";
        if (!reader.expect_map(code, code_path,
                               {"code", "long_common_name", "property", "specimen", "timing", "method"})) {
          continue;
        }
        analytics::LoincCode loinc;
        loinc.code = reader.text(code, "code", code_path, true).value_or("");
        loinc.long_common_name = reader.text(code, "long_common_name", code_path, true).value_or("");
        if (auto property = reader.text(code, "property", code_path, true)) {
          if (auto parsed = analytics::loinc_property_from_string(*property)) {
            loinc.property = *parsed;
          } else {
            reader.problem(code["property"], code_path + ".property",
                           "expected MCnc, SCnc, ACnc, MRto, SRto, MFr, MRat or SRat");
          }
        }
        if (auto specimen = reader.text(code, "specimen", code_path, true)) {
          if (auto parsed = analytics::specimen_from_string(*specimen)) {
            loinc.specimen = *parsed;
          } else {
            reader.problem(code["specimen"], code_path + ".specimen",
                           "expected serum-plasma, saliva, urine or blood");
          }
        }
        loinc.timing = reader.text(code, "timing", code_path, false).value_or("");
        loinc.method = reader.text(code, "method", code_path, false).value_or("");
        analyte.loinc.push_back(std::move(loinc));
      }
    }
    analytes.push_back(std::move(analyte));
  }
  return analytes;
}

// terminology/biological-variation.yaml: per analyte and specimen type, the CVs trends are judged with. Every
// entry names a catalogue analyte, and each (id, specimen) appears once.
std::vector<analytics::BiologicalVariation> read_biological_variation(const std::string& file,
                                                                      const analytics::Catalogue& catalogue,
                                                                      std::vector<ConfigProblem>& problems) {
  std::vector<analytics::BiologicalVariation> entries;
  auto root = load_yaml(file, problems);
  if (!root) return entries;
  YamlReader reader(file, problems);
  if (!reader.expect_map(*root, "", {"version", "analytes"})) return entries;
  check_version(reader, *root);
  const YAML::Node list = (*root)["analytes"];
  if (!list || !list.IsSequence()) {
    reader.problem(*root, "analytes", "required list 'analytes' is missing");
    return entries;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node node = list[i];
    const std::string path = "analytes[" + std::to_string(i) + "]";
    if (!reader.expect_map(node, path,
                           {"id", "specimen", "sex", "cvi_percent", "cvi_population", "cvi_source", "cva_percent",
                            "cva_source"})) {
      continue;
    }
    analytics::BiologicalVariation entry;
    bool complete = true;
    if (auto id = reader.text(node, "id", path, true)) {
      entry.analyte_id = *id;
      if (catalogue.find(*id) == nullptr) {
        reader.problem(node["id"], path + ".id", "unknown analyte '" + *id + "' (not in analytes.yaml)");
        complete = false;
      }
    } else {
      complete = false;
    }
    if (auto specimen = reader.text(node, "specimen", path, true)) {
      if (auto parsed = analytics::specimen_from_string(*specimen)) {
        entry.specimen = *parsed;
      } else {
        reader.problem(node["specimen"], path + ".specimen", "expected serum-plasma, saliva, urine or blood");
        complete = false;
      }
    } else {
      complete = false;
    }
    if (auto sex = reader.text(node, "sex", path, false)) {
      const auto parsed = analytics::sex_criterion_from_string(*sex);
      if (!parsed || *parsed == analytics::SexCriterion::any) {
        reader.problem(node["sex"], path + ".sex", "expected male or female (leave it out for both)");
      } else {
        entry.sex = *parsed;
      }
    }
    const auto percent = [&](const char* key) {
      const auto value = reader.number(node, key, path, true);
      if (value && !(*value > 0 && std::isfinite(*value))) {
        reader.problem(node[key], path + "." + key, "must be a percentage above 0");
      }
      return value.value_or(0);
    };
    entry.cvi_percent = percent("cvi_percent");
    entry.cva_percent = percent("cva_percent");
    const auto cited = [&](const char* key) {
      auto value = reader.text(node, key, path, true);
      if (value && value->empty()) reader.problem(node[key], path + "." + key, "must not be empty");
      return value.value_or("");
    };
    entry.cvi_population = cited("cvi_population");
    entry.cvi_source = cited("cvi_source");
    entry.cva_source = cited("cva_source");
    if (complete) {
      if (analytics::find_biological_variation(entries, entry.analyte_id, entry.specimen) != nullptr) {
        reader.problem(node, path,
                       "duplicate entry for '" + entry.analyte_id + "' in " +
                           std::string(analytics::to_string(entry.specimen)));
        continue;
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// R4 ConceptMapEquivalence: the target may stand for the source when it means the same or more (the source is a
// narrower, site-specific code for a LOINC measurand). narrower, specializes, inexact, relatedto, unmatched and
// disjoint never map a result.
bool usable_equivalence(std::string_view equivalence) {
  return equivalence == "equivalent" || equivalence == "equal" || equivalence == "wider" ||
         equivalence == "subsumes";
}

constexpr std::array kEquivalences{"relatedto", "equivalent",  "equal",   "wider",     "subsumes",
                                   "narrower",  "specializes", "inexact", "unmatched", "disjoint"};

std::optional<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every *.json in the terminology directory is a FHIR R4 ConceptMap from a site's codes to LOINC.
std::vector<analytics::LocalCodeMapping> read_concept_maps(const std::string& dir,
                                                           std::vector<ConfigProblem>& problems) {
  std::vector<analytics::LocalCodeMapping> mappings;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    const auto text = read_text_file(file);
    if (!text) {
      problems.push_back({name, "cannot read the file"});
      continue;
    }
    auto decoded = fhir::decode_resource(*text);
    if (!decoded.ok()) {
      for (const auto& issue : decoded.issues) problems.push_back({name + " (" + issue.path + ")", issue.message});
      continue;
    }
    const auto* map = std::get_if<fhir::ConceptMap>(&*decoded.value);
    if (map == nullptr) {
      problems.push_back(
          {name, "expected a ConceptMap, found " + std::string(fhir::resource_type(*decoded.value))});
      continue;
    }
    if (map->status == "retired") continue;
    const std::string label = map->url.empty() ? name : map->url;
    for (std::size_t g = 0; g < map->group.size(); ++g) {
      const auto& group = map->group[g];
      const std::string at = name + " (ConceptMap.group[" + std::to_string(g) + "]";
      if (group.target != analytics::kLoincSystem) {
        problems.push_back({at + ".target)", "'" + group.target + "': only maps to http://loinc.org are read"});
        continue;
      }
      if (group.source.empty()) {
        problems.push_back({at + ".source)", "a group needs the source code system"});
        continue;
      }
      for (std::size_t e = 0; e < group.element.size(); ++e) {
        const auto& element = group.element[e];
        for (std::size_t t = 0; t < element.target.size(); ++t) {
          const auto& target = element.target[t];
          const std::string target_at =
              at + ".element[" + std::to_string(e) + "].target[" + std::to_string(t) + "])";
          if (std::find(kEquivalences.begin(), kEquivalences.end(), target.equivalence) == kEquivalences.end()) {
            problems.push_back(
                {target_at, "equivalence '" + target.equivalence + "' is not an R4 ConceptMapEquivalence"});
            continue;
          }
          if (!usable_equivalence(target.equivalence)) continue;
          if (!analytics::loinc_check_digit_valid(target.code)) {
            problems.push_back({target_at, "'" + target.code + "' is not a LOINC code (format or check digit)"});
            continue;
          }
          mappings.push_back({group.source, element.code, target.code, label});
        }
      }
    }
  }
  for (const auto& problem : analytics::validate_local_codes(mappings))
    problems.push_back({problem.path, problem.message});
  return mappings;
}

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

// {from: "07:00", to: "10:00"}: local clock times; `from` after `to` wraps past midnight. Equal times are refused
// (a one-minute window is almost certainly a mistake).
std::optional<analytics::ClockWindow> read_clock_window(YamlReader& reader, const YAML::Node& node,
                                                        const std::string& path) {
  if (!reader.expect_map(node, path, {"from", "to"})) return std::nullopt;
  const auto from = clock_time(reader, node, "from", path);
  const auto to = clock_time(reader, node, "to", path);
  if (!from || !to) return std::nullopt;
  if (*from == *to) {
    reader.problem(node, path, "'from' and 'to' are the same time");
    return std::nullopt;
  }
  return analytics::ClockWindow{*from, *to};
}

void read_rules(const std::string& file, LoadedKnowledge& loaded, std::vector<ConfigProblem>& problems) {
  auto root = load_yaml(file, problems);
  if (!root) return;
  YamlReader reader(file, problems);
  if (!reader.expect_map(*root, "",
                         {"version", "rule_set", "assessment", "trends", "ratios", "derived", "rhythms",
                          "target_ranges", "suggestions"})) {
    return;
  }
  check_version(reader, *root);

  if (const YAML::Node rule_set = (*root)["rule_set"]) {
    if (reader.expect_map(rule_set, "rule_set", {"id", "version"})) {
      loaded.rule_set_id = reader.text(rule_set, "id", "rule_set", true).value_or(loaded.rule_set_id);
      loaded.rule_set_version =
          reader.text(rule_set, "version", "rule_set", true).value_or(loaded.rule_set_version);
    }
  }
  if (const YAML::Node assessment = (*root)["assessment"]) {
    if (reader.expect_map(assessment, "assessment", {"level_thresholds"})) {
      if (auto thresholds =
              read_thresholds(reader, assessment["level_thresholds"], "assessment.level_thresholds")) {
        loaded.knowledge.assessment.level_thresholds = *thresholds;
      }
    }
  }

  if (const YAML::Node trends = (*root)["trends"]) {
    if (reader.expect_map(trends, "trends", {"z"})) {
      if (auto z = reader.number(trends, "z", "trends", true)) {
        if (!(*z > 0 && std::isfinite(*z))) reader.problem(trends["z"], "trends.z", "must be above 0");
        loaded.knowledge.rules.trends.z = *z;
      }
    }
  }

  const YAML::Node ratios = (*root)["ratios"];
  if (ratios && !ratios.IsSequence()) reader.problem(ratios, "ratios", "expected a list");
  for (std::size_t i = 0; ratios && ratios.IsSequence() && i < ratios.size(); ++i) {
    const YAML::Node node = ratios[i];
    const std::string path = "ratios[" + std::to_string(i) + "]";
    if (!reader.expect_map(node, path,
                           {"code", "display", "numerator", "denominator", "input_unit", "unit", "window_hours",
                            "specimen", "numerator_timing", "numerator_clock"})) {
      continue;
    }
    analytics::RatioRule rule;
    rule.code = reader.text(node, "code", path, true).value_or("");
    rule.display = reader.text(node, "display", path, true).value_or("");
    rule.numerator = reader.text(node, "numerator", path, true).value_or("");
    rule.denominator = reader.text(node, "denominator", path, true).value_or("");
    rule.input_unit = reader.text(node, "input_unit", path, false).value_or(rule.input_unit);
    rule.unit = reader.text(node, "unit", path, false).value_or(rule.unit);
    if (auto hours = reader.number(node, "window_hours", path, false)) {
      if (*hours <= 0) reader.problem(node["window_hours"], path + ".window_hours", "must be above 0");
      rule.window = std::chrono::seconds(static_cast<std::int64_t>(*hours * 3600.0));
    }
    rule.specimen = std::nullopt;
    if (auto specimen = reader.text(node, "specimen", path, false)) {
      rule.specimen = analytics::specimen_from_string(*specimen);
      if (!rule.specimen)
        reader.problem(node["specimen"], path + ".specimen", "expected serum-plasma, saliva, urine or blood");
    }
    rule.numerator_timings = string_list(reader, node["numerator_timing"], path + ".numerator_timing");
    if (const YAML::Node clock = node["numerator_clock"]) {
      rule.numerator_clock = read_clock_window(reader, clock, path + ".numerator_clock");
    }
    loaded.knowledge.rules.ratios.push_back(std::move(rule));
  }

  const YAML::Node derived = (*root)["derived"];
  if (derived && !derived.IsSequence()) reader.problem(derived, "derived", "expected a list");
  for (std::size_t i = 0; derived && derived.IsSequence() && i < derived.size(); ++i) {
    const YAML::Node node = derived[i];
    const std::string path = "derived[" + std::to_string(i) + "]";
    if (!reader.expect_map(node, path, {"code", "display", "formula", "window_hours", "default_albumin_g_l"})) {
      continue;
    }
    analytics::DerivedRule rule;
    rule.code = reader.text(node, "code", path, true).value_or("");
    rule.display = reader.text(node, "display", path, true).value_or("");
    if (auto formula = reader.text(node, "formula", path, true)) {
      if (auto parsed = analytics::derived_formula_from_string(*formula)) {
        rule.formula = *parsed;
      } else {
        reader.problem(node["formula"], path + ".formula",
                       "expected vermeulen-free-testosterone, free-androgen-index or homa-ir");
      }
    }
    if (auto hours = reader.number(node, "window_hours", path, false)) {
      if (*hours <= 0) reader.problem(node["window_hours"], path + ".window_hours", "must be above 0");
      rule.window = std::chrono::seconds(static_cast<std::int64_t>(*hours * 3600.0));
    }
    if (auto albumin = reader.number(node, "default_albumin_g_l", path, false))
      rule.default_albumin_g_l = *albumin;
    loaded.knowledge.rules.derived.push_back(std::move(rule));
  }

  const YAML::Node rhythms = (*root)["rhythms"];
  if (rhythms && !rhythms.IsSequence()) reader.problem(rhythms, "rhythms", "expected a list");
  for (std::size_t i = 0; rhythms && rhythms.IsSequence() && i < rhythms.size(); ++i) {
    const YAML::Node node = rhythms[i];
    const std::string path = "rhythms[" + std::to_string(i) + "]";
    if (!reader.expect_map(node, path,
                           {"kind", "analyte", "specimen", "code_prefix", "unit", "waking_window",
                            "waking_time_codes", "min_samples", "min_span_hours", "days"})) {
      continue;
    }
    analytics::RhythmRule rule;
    if (auto kind = reader.text(node, "kind", path, true)) {
      if (auto parsed = analytics::rhythm_kind_from_string(*kind)) {
        rule.kind = *parsed;
      } else {
        reader.problem(node["kind"], path + ".kind", "expected diurnal-slope, awakening-response or cosinor");
      }
    }
    rule.analyte = reader.text(node, "analyte", path, true).value_or("");
    if (auto specimen = reader.text(node, "specimen", path, true)) {
      if (auto parsed = analytics::specimen_from_string(*specimen)) {
        rule.specimen = *parsed;
      } else {
        reader.problem(node["specimen"], path + ".specimen", "expected serum-plasma, saliva, urine or blood");
      }
    }
    rule.code_prefix = reader.text(node, "code_prefix", path, false).value_or("");
    rule.unit = reader.text(node, "unit", path, false).value_or(rule.unit);
    if (const YAML::Node window = node["waking_window"]) {
      const std::string window_path = path + ".waking_window";
      if (reader.expect_map(window, window_path, {"from", "to"})) {
        const auto from = clock_time(reader, window, "from", window_path);
        const auto to = clock_time(reader, window, "to", window_path);
        if (from && to) rule.waking_window = analytics::RhythmRule::WakingWindow{*from, *to};
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
    loaded.knowledge.rules.rhythms.push_back(std::move(rule));
  }

  const YAML::Node suggestions = (*root)["suggestions"];
  if (suggestions && !suggestions.IsSequence()) reader.problem(suggestions, "suggestions", "expected a list");
  for (std::size_t i = 0; suggestions && suggestions.IsSequence() && i < suggestions.size(); ++i) {
    const YAML::Node node = suggestions[i];
    const std::string path = "suggestions[" + std::to_string(i) + "]";
    if (!reader.expect_map(node, path,
                           {"id", "gradients", "direction", "min_level", "kind", "title", "description",
                            "time_of_day", "source"})) {
      continue;
    }
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
    loaded.knowledge.suggestions.push_back(std::move(suggestion));
  }

  const YAML::Node ranges = (*root)["target_ranges"];
  if (ranges && !ranges.IsSequence()) reader.problem(ranges, "target_ranges", "expected a list");
  for (std::size_t i = 0; ranges && ranges.IsSequence() && i < ranges.size(); ++i) {
    const YAML::Node node = ranges[i];
    const std::string path = "target_ranges[" + std::to_string(i) + "]";
    if (!reader.expect_map(node, path,
                           {"gradient", "sex", "age", "menopausal_status", "cycle_days", "low", "high", "source",
                            "level_thresholds"})) {
      continue;
    }
    analytics::TargetRange range;
    range.gradient_code = reader.text(node, "gradient", path, true).value_or("");
    if (auto sex = reader.text(node, "sex", path, false)) {
      if (auto parsed = analytics::sex_criterion_from_string(*sex)) {
        range.sex = *parsed;
      } else {
        reader.problem(node["sex"], path + ".sex", "expected any, male or female");
      }
    }
    if (const YAML::Node age = node["age"]) {
      if (reader.expect_map(age, path + ".age", {"min_years", "max_years"})) {
        if (auto min = reader.number(age, "min_years", path + ".age", false))
          range.age.min_years = static_cast<int>(*min);
        if (auto max = reader.number(age, "max_years", path + ".age", false))
          range.age.max_years = static_cast<int>(*max);
      }
    }
    if (auto status = reader.text(node, "menopausal_status", path, false)) {
      if (auto parsed = analytics::menopausal_status_from_string(*status)) {
        range.menopausal_status = *parsed;
      } else {
        reader.problem(node["menopausal_status"], path + ".menopausal_status",
                       "expected premenopausal, perimenopausal or postmenopausal");
      }
    }
    if (const YAML::Node days = node["cycle_days"]) {
      if (reader.expect_map(days, path + ".cycle_days", {"from", "to"})) {
        const auto from = reader.number(days, "from", path + ".cycle_days", true);
        const auto to = reader.number(days, "to", path + ".cycle_days", true);
        if (from && to) range.cycle_days = analytics::CycleDays{static_cast<int>(*from), static_cast<int>(*to)};
      }
    }
    range.low = reader.number(node, "low", path, false);
    range.high = reader.number(node, "high", path, false);
    range.source = reader.text(node, "source", path, true).value_or("");
    range.level_thresholds = read_thresholds(reader, node["level_thresholds"], path + ".level_thresholds");
    loaded.knowledge.assessment.target_ranges.push_back(std::move(range));
  }
}

std::vector<analytics::ConceptCode> concept_codes(YamlReader& reader, const YAML::Node& node,
                                                  const std::string& path) {
  std::vector<analytics::ConceptCode> codes;
  if (!node || !node.IsSequence()) {
    reader.problem(node, path, "expected a list of {system, code}");
    return codes;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    if (!reader.expect_map(node[i], at, {"system", "code", "display"})) continue;
    codes.push_back({reader.text(node[i], "system", at, true).value_or(""),
                     reader.text(node[i], "code", at, true).value_or("")});
  }
  return codes;
}

// terminology/reproductive-status.yaml (schema at the top of the shipped file); optional.
analytics::ReproductiveCodes read_reproductive_codes(const std::string& file,
                                                     std::vector<ConfigProblem>& problems) {
  analytics::ReproductiveCodes codes;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return codes;
  auto root = load_yaml(file, problems);
  if (!root) return codes;
  YamlReader reader(file, problems);
  if (!reader.expect_map(*root, "", {"version", "menopausal_status", "last_menstrual_period"})) return codes;
  check_version(reader, *root);
  if (const YAML::Node status = (*root)["menopausal_status"]) {
    if (reader.expect_map(status, "menopausal_status", {"questions", "answers"})) {
      codes.menopausal_status_questions =
          concept_codes(reader, status["questions"], "menopausal_status.questions");
      const YAML::Node answers = status["answers"];
      if (reader.expect_map(answers, "menopausal_status.answers",
                            {"premenopausal", "perimenopausal", "postmenopausal"})) {
        for (const auto& entry : answers) {
          const auto name = entry.first.as<std::string>();
          const auto parsed = analytics::menopausal_status_from_string(name);
          if (!parsed) continue;  // reported by expect_map
          for (auto& code : concept_codes(reader, entry.second, "menopausal_status.answers." + name)) {
            codes.menopausal_status_answers.emplace_back(*parsed, std::move(code));
          }
        }
      }
    }
  }
  if (const YAML::Node period = (*root)["last_menstrual_period"]) {
    if (reader.expect_map(period, "last_menstrual_period", {"questions"})) {
      codes.last_menstrual_period = concept_codes(reader, period["questions"], "last_menstrual_period.questions");
    }
  }
  return codes;
}

}  // namespace

fhir::DecodeOptions LoadedKnowledge::decode_options() const {
  fhir::DecodeOptions options;
  const analytics::Catalogue* catalogue = &knowledge.catalogue;
  auto reproductive = knowledge.reproductive.observation_codes();
  options.observation_wanted = [catalogue, reproductive](const fhir::CodeableConcept& code) {
    return std::any_of(code.coding.begin(), code.coding.end(), [&](const fhir::Coding& coding) {
      const bool context = std::any_of(reproductive.begin(), reproductive.end(), [&](const auto& c) {
        return c.system == coding.system && c.code == coding.code;
      });
      return context || (coding.system == analytics::kLoincSystem
                             ? catalogue->find_loinc(coding.code).has_value()
                             : catalogue->find_local(coding.system, coding.code).has_value());
    });
  };
  return options;
}

std::vector<std::pair<std::string, std::string>> LoadedKnowledge::subscription_codes() const {
  std::vector<std::pair<std::string, std::string>> codes;
  for (const auto& code : knowledge.catalogue.loinc_codes()) codes.emplace_back(analytics::kLoincSystem, code);
  for (auto& local : knowledge.catalogue.mapped_local_codes()) codes.push_back(std::move(local));
  // A new menopausal status or last menstrual period changes which target ranges apply.
  for (auto& context : knowledge.reproductive.observation_codes()) {
    codes.emplace_back(std::move(context.system), std::move(context.code));
  }
  return codes;
}

KnowledgeLoad load_knowledge(const std::string& terminology_dir, const std::string& rules_dir) {
  KnowledgeLoad result;
  auto& problems = result.problems;
  LoadedKnowledge loaded;

  const std::string catalogue_file = (std::filesystem::path(terminology_dir) / "analytes.yaml").string();
  auto analytes = read_catalogue(catalogue_file, problems);
  auto local_codes = read_concept_maps(terminology_dir, problems);
  loaded.knowledge.catalogue = analytics::Catalogue(std::move(analytes), std::move(local_codes));
  loaded.knowledge.reproductive = read_reproductive_codes(
      (std::filesystem::path(terminology_dir) / "reproductive-status.yaml").string(), problems);
  loaded.knowledge.medications =
      read_medications((std::filesystem::path(terminology_dir) / "medications.yaml").string(),
                       loaded.knowledge.catalogue, problems);
  // Optional: without it every trend is reported and none is judged.
  const auto variation_file = std::filesystem::path(terminology_dir) / "biological-variation.yaml";
  if (std::filesystem::exists(variation_file)) {
    loaded.knowledge.biological_variation =
        read_biological_variation(variation_file.string(), loaded.knowledge.catalogue, problems);
  }

  std::vector<std::string> rule_files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(rules_dir, ec)) {
    const auto extension = entry.path().extension();
    if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml")) {
      rule_files.push_back(entry.path().string());
    }
  }
  if (ec) problems.push_back({rules_dir, "cannot read the rules directory: " + ec.message()});
  std::sort(rule_files.begin(), rule_files.end());
  if (!ec && rule_files.empty()) problems.push_back({rules_dir, "no rule files (*.yaml)"});
  for (const auto& file : rule_files) read_rules(file, loaded, problems);

  // The data's own consistency: unknown analytes, units, ranges without sources, overlapping bands.
  if (problems.empty()) {
    for (const auto& problem : analytics::validate_knowledge(loaded.knowledge)) {
      problems.push_back({"knowledge (" + problem.path + ")", problem.message});
    }
  }
  if (problems.empty()) result.knowledge = std::move(loaded);
  return result;
}

}  // namespace gg::gateway
