#include "gateway/ui/patient_page.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "analytics/date_time.hpp"
#include "analytics/gradient_rules.hpp"
#include "gateway/pipeline/patient_context.hpp"
#include "gateway/pipeline/write_back.hpp"

namespace gg::gateway {

double clock_hours(const analytics::FhirInstant& instant) {
  const auto local = instant.utc + instant.utc_offset;
  const auto seconds = (local - std::chrono::floor<std::chrono::days>(local)).count();
  return static_cast<double>(seconds) / 3600.0;
}

namespace {

using analytics::FhirInstant;
using analytics::Gradient;
using Seconds = std::chrono::sys_seconds;

constexpr double kSecondsPerHour = 3600.0;

std::string_view without_history(std::string_view reference) {
  const auto at = reference.find("/_history/");
  return at == std::string_view::npos ? reference : reference.substr(0, at);
}

std::optional<FhirInstant> instant_of(std::string_view text) {
  return analytics::parse_fhir_date_time(text).instant;
}

std::string_view sex_text(analytics::Sex sex) {
  switch (sex) {
    case analytics::Sex::male:
      return "male";
    case analytics::Sex::female:
      return "female";
    case analytics::Sex::other:
      return "other";
    case analytics::Sex::unknown:
      break;
  }
  return "unknown";
}

void null_value(fhir::JsonOut& out) {
  out.raw("null");
}

void number_or_null(fhir::JsonOut& out, std::string_view name, std::optional<double> value) {
  out.key(name);
  if (value && std::isfinite(*value)) {
    out.number(*value);
  } else {
    null_value(out);
  }
}

void text_or_null(fhir::JsonOut& out, std::string_view name, std::string_view value) {
  out.key(name);
  if (value.empty()) {
    null_value(out);
  } else {
    out.text(value);
  }
}

// A plain text member, written even when empty (the page reads every member it is told of).
void member(fhir::JsonOut& out, std::string_view name, std::string_view value) {
  out.key(name);
  out.text(value);
}

// What the view knows of a source Observation: the result as sent, its measurement, its dose timing.
class Sources {
 public:
  explicit Sources(const PatientPageInput& input) : catalogue_(input.knowledge.knowledge.catalogue) {
    for (const auto& observation : input.context.observations) {
      if (!observation.id.empty()) observations_.emplace("Observation/" + observation.id, &observation);
    }
    for (const auto& measurement : input.analysis.measurements) {
      if (!measurement.reference.empty()) measurements_.emplace(measurement.reference, &measurement);
    }
    for (const auto& timing : input.analysis.dose_timings) {
      if (timing.hours_since_dose && !doses_.contains(timing.measurement))
        doses_.emplace(timing.measurement, &timing);
    }
  }

  const fhir::Observation* observation(std::string_view reference) const { return find(observations_, reference); }
  const analytics::Measurement* measurement(std::string_view reference) const {
    return find(measurements_, reference);
  }
  const analytics::DoseTiming* dose(std::string_view reference) const { return find(doses_, reference); }
  std::optional<double> hours_since_dose(std::string_view reference) const {
    const auto* timing = dose(reference);
    return timing != nullptr ? timing->hours_since_dose : std::nullopt;
  }
  std::string_view display(std::string_view analyte_id) const {
    const auto* analyte = catalogue_.find(analyte_id);
    return analyte != nullptr ? std::string_view(analyte->display) : analyte_id;
  }

  // One input of a value: the source Observation with its value as sent and in the canonical unit.
  void write_input(fhir::JsonOut& out, std::string_view versioned_reference) const {
    const std::string_view reference = without_history(versioned_reference);
    const auto* measurement = this->measurement(reference);
    const auto* observation = this->observation(reference);
    out.start_object();
    member(out, "observation", reference);
    const std::string_view analyte = measurement != nullptr ? std::string_view(measurement->analyte_id) : "";
    text_or_null(out, "analyte", analyte);
    text_or_null(out, "display", analyte.empty() ? std::string_view() : display(analyte));
    std::string_view effective;
    if (measurement != nullptr) {
      effective = measurement->effective.text;
    } else if (observation != nullptr) {
      effective = observation->effective_date_time;
    }
    text_or_null(out, "effective", effective);
    out.key("original");
    if (observation != nullptr && observation->value_quantity && observation->value_quantity->value) {
      const auto& quantity = *observation->value_quantity;
      out.start_object();
      out.key("value");
      out.number(*quantity.value);
      member(out, "unit", quantity.unit.empty() ? quantity.code : quantity.unit);
      member(out, "comparator", quantity.comparator);
      out.end_object();
    } else {
      null_value(out);
    }
    out.key("canonical");
    if (measurement != nullptr) {
      out.start_object();
      out.key("value");
      out.number(measurement->value.value);
      member(out, "unit", measurement->value.unit);
      out.end_object();
    } else {
      null_value(out);
    }
    number_or_null(out, "hours_since_dose", hours_since_dose(reference));
    out.end_object();
  }

 private:
  template <typename T>
  static const T* find(const std::map<std::string, const T*, std::less<>>& map, std::string_view key) {
    const auto it = map.find(key);
    return it == map.end() ? nullptr : it->second;
  }

  const analytics::Catalogue& catalogue_;
  std::map<std::string, const fhir::Observation*, std::less<>> observations_;
  std::map<std::string, const analytics::Measurement*, std::less<>> measurements_;
  std::map<std::string, const analytics::DoseTiming*, std::less<>> doses_;
};

// ---- Series: each gradient code over time ----

struct SeriesPoint {
  Seconds at;
  std::string effective;
  double value = 0;
  std::string comparator;
  std::string observation;             // the derived Observation, "" for a value not yet written
  std::vector<std::string> inputs;     // source references (possibly versioned)
  std::optional<std::size_t> current;  // index into the analysis' gradients and findings
};

struct Series {
  std::string code;
  std::string display;
  std::string unit;
  std::vector<SeriesPoint> points;
};

std::optional<SeriesPoint> derived_point(const fhir::Observation& observation, const std::string& subject,
                                         std::string& code, std::string& display) {
  const fhir::Coding* coding = standing_gradient_coding(observation);
  if (coding == nullptr) return std::nullopt;
  if (!subject.empty() && observation.subject.reference != subject) return std::nullopt;
  const auto& quantity = *observation.value_quantity;
  std::string effective = observation.effective_date_time;
  if (effective.empty() && observation.effective_period) effective = observation.effective_period->end;
  const auto when = instant_of(effective);
  if (!when) return std::nullopt;
  code = coding->code;
  display = coding->display.empty() ? observation.code.text : coding->display;
  SeriesPoint point{
      when->utc, std::move(effective), *quantity.value, quantity.comparator, "Observation/" + observation.id,
      {},        std::nullopt};
  for (const auto& source : observation.derived_from) point.inputs.push_back(source.reference);
  return point;
}

bool same_value(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
}

// The effective time a gradient is written with: its period's end for a series, else its latest input's time.
const std::string& written_effective(const Gradient& gradient) {
  return gradient.period ? gradient.period->end : gradient.effective.text;
}

std::vector<Series> build_series(const PatientPageInput& input) {
  std::vector<Series> series;
  const auto series_of = [&](const std::string& code) -> Series& {
    const auto it = std::find_if(series.begin(), series.end(), [&](const Series& s) { return s.code == code; });
    if (it != series.end()) return *it;
    series.push_back({code, "", "", {}});
    return series.back();
  };
  for (const auto& observation : input.derived) {
    std::string code;
    std::string display;
    auto point = derived_point(observation, input.context.facts.reference, code, display);
    if (!point) continue;
    Series& s = series_of(code);
    if (s.display.empty()) s.display = display;
    if (s.unit.empty()) {
      s.unit = observation.value_quantity->code.empty() ? observation.value_quantity->unit
                                                        : observation.value_quantity->code;
    }
    // The same derived Observation found twice (two searches overlap) is one point.
    if (std::none_of(s.points.begin(), s.points.end(),
                     [&](const SeriesPoint& p) { return p.observation == point->observation; })) {
      s.points.push_back(std::move(*point));
    }
  }
  const auto& gradients = input.analysis.gradients;
  for (std::size_t i = 0; i < gradients.size(); ++i) {
    const Gradient& gradient = gradients[i];
    Series& s = series_of(gradient.code);
    s.display = gradient.display;
    s.unit = gradient.value.unit;
    const std::string& effective = written_effective(gradient);
    const auto written = std::find_if(s.points.begin(), s.points.end(), [&](const SeriesPoint& p) {
      return !p.current && p.effective == effective && p.comparator == gradient.comparator &&
             same_value(p.value, gradient.value.value);
    });
    if (written != s.points.end()) {
      written->current = i;
      continue;
    }
    const auto when = instant_of(effective);
    SeriesPoint point{when ? when->utc : gradient.effective.instant.utc,
                      effective,
                      gradient.value.value,
                      gradient.comparator,
                      "",
                      {},
                      i};
    for (const auto& source : gradient.inputs) point.inputs.push_back(source.reference);
    s.points.push_back(std::move(point));
  }
  for (auto& s : series) {
    std::stable_sort(s.points.begin(), s.points.end(),
                     [](const SeriesPoint& a, const SeriesPoint& b) { return a.at < b.at; });
  }
  return series;
}

// The range the analysis applied to this code, else the one it would select for the patient.
const analytics::TargetRange* target_of(const PatientPageInput& input, const std::string& code) {
  const auto& analysis = input.analysis;
  for (std::size_t i = 0; i < analysis.gradients.size() && i < analysis.findings.size(); ++i) {
    if (analysis.gradients[i].code == code) {
      return analysis.findings[i].range ? &*analysis.findings[i].range : nullptr;
    }
  }
  return analytics::select_target_range(input.knowledge.knowledge.assessment.target_ranges, code,
                                        input.context.facts.sex, analysis.age_years);
}

void write_series(fhir::JsonOut& out, const PatientPageInput& input, const Sources& sources, const Series& s) {
  const auto& analysis = input.analysis;
  const analytics::TargetRange* target = target_of(input, s.code);
  // A range stated in another unit than the values is reported, not drawn: nothing here converts it.
  const bool comparable = target != nullptr && (target->unit.empty() || target->unit == s.unit);
  out.start_object();
  member(out, "code", s.code);
  member(out, "display", s.display);
  member(out, "unit", s.unit);
  out.key("target");
  if (target != nullptr) {
    out.start_object();
    number_or_null(out, "low", target->low);
    number_or_null(out, "high", target->high);
    member(out, "unit", target->unit.empty() ? s.unit : target->unit);
    member(out, "source", target->source);
    out.boolean("drawn", comparable);
    out.end_object();
  } else {
    null_value(out);
  }
  out.start_array("points");
  for (const auto& point : s.points) {
    std::optional<analytics::Direction> direction;
    std::optional<analytics::RiskLevel> level;
    if (point.current && *point.current < analysis.findings.size()) {
      const auto& finding = analysis.findings[*point.current];
      direction = finding.direction;
      level = finding.level;
    } else if (comparable) {
      if (target->low && point.value < *target->low) direction = analytics::Direction::below;
      if (target->high && point.value > *target->high) direction = analytics::Direction::above;
      if (direction) {
        level = analytics::risk_level(
            point.value, *target,
            target->level_thresholds.value_or(input.knowledge.knowledge.assessment.level_thresholds));
      }
    }
    out.start_object();
    member(out, "effective", point.effective);
    out.key("value");
    out.number(point.value);
    member(out, "comparator", point.comparator);
    text_or_null(out, "observation", point.observation);
    out.boolean("current", point.current.has_value());
    text_or_null(out, "outside",
                 direction && *direction != analytics::Direction::within ? analytics::to_string(*direction)
                                                                         : std::string_view());
    text_or_null(out, "level", level ? analytics::to_string(*level) : std::string_view());
    out.start_array("inputs");
    for (const auto& reference : point.inputs) sources.write_input(out, reference);
    out.end_array();
    out.end_object();
  }
  out.end_array();
  out.end_object();
}

// ---- Day curves: each rhythm series (a rule's prefix) over the clock ----

const Gradient* gradient_coded(const analytics::Analysis& analysis, const std::string& code) {
  const auto it = std::find_if(analysis.gradients.begin(), analysis.gradients.end(),
                               [&](const Gradient& g) { return g.code == code; });
  return it == analysis.gradients.end() ? nullptr : &*it;
}

std::optional<double> component_ending(const Gradient& gradient, std::string_view suffix) {
  for (const auto& component : gradient.components) {
    if (component.code.ends_with(suffix)) return component.value.value;
  }
  return std::nullopt;
}

std::set<std::string, std::less<>> references_of(const Gradient* gradient) {
  std::set<std::string, std::less<>> references;
  if (gradient == nullptr) return references;
  for (const auto& source : gradient->inputs) references.emplace(without_history(source.reference));
  return references;
}

void write_curve_sample(fhir::JsonOut& out, const Gradient* gradient) {
  if (gradient == nullptr || gradient->inputs.empty()) {
    null_value(out);
    return;
  }
  const auto& first = gradient->inputs.front();
  out.start_object();
  member(out, "observation", without_history(first.reference));
  member(out, "effective", first.effective.text);
  out.key("clock_hours");
  out.number(clock_hours(first.effective.instant));
  out.key("value");
  out.number(gradient->value.value);
  number_or_null(out, "hours_since_dose", component_ending(*gradient, analytics::kHoursSinceDoseCode));
  out.end_object();
}

// The derived Observation a current gradient is written under, when the server holds it.
using WrittenIds = std::map<std::string, std::string, std::less<>>;

WrittenIds written_ids(const std::vector<Series>& series, const analytics::Analysis& analysis) {
  WrittenIds ids;
  for (const auto& s : series) {
    for (const auto& point : s.points) {
      if (point.current && !point.observation.empty())
        ids.emplace(analysis.gradients[*point.current].code, point.observation);
    }
  }
  return ids;
}

void write_day_curve(fhir::JsonOut& out, const PatientPageInput& input, const Sources& sources,
                     const WrittenIds& written, const std::string& prefix, const analytics::RhythmRule& rule,
                     int days) {
  const auto& analysis = input.analysis;
  std::vector<const analytics::Measurement*> samples;
  for (const auto& measurement : analysis.measurements) {
    if (measurement.analyte_id == rule.analyte && measurement.specimen == rule.specimen &&
        !measurement.reference.empty()) {
      samples.push_back(&measurement);
    }
  }
  const Gradient* mesor = gradient_coded(analysis, prefix + "-cosinor-mesor");
  const Gradient* amplitude = gradient_coded(analysis, prefix + "-cosinor-amplitude");
  const Gradient* acrophase = gradient_coded(analysis, prefix + "-cosinor-acrophase");
  const Gradient* aucg = gradient_coded(analysis, prefix + "-car-aucg");
  const Gradient* auci = gradient_coded(analysis, prefix + "-car-auci");
  const Gradient* peak = gradient_coded(analysis, prefix + "-dose-peak");
  const Gradient* trough = gradient_coded(analysis, prefix + "-dose-trough");
  const auto in_fit = references_of(mesor);
  const auto awakening = references_of(aucg);

  if (samples.empty()) return;
  // The most recent days of samples: those the rules read, and whatever else was drawn then.
  Seconds latest = Seconds::min();
  for (const auto* sample : samples) latest = std::max(latest, sample->effective.instant.utc);
  const Seconds from = latest - std::chrono::days(days);
  std::vector<const analytics::Measurement*> shown;
  for (const auto* sample : samples) {
    if (sample->effective.instant.utc > from || in_fit.contains(sample->reference) ||
        awakening.contains(sample->reference)) {
      shown.push_back(sample);
    }
  }
  std::stable_sort(shown.begin(), shown.end(), [](const auto* a, const auto* b) {
    return a->effective.instant.utc < b->effective.instant.utc;
  });
  if (shown.empty()) return;

  out.start_object();
  member(out, "prefix", prefix);
  member(out, "analyte", rule.analyte);
  member(out, "display", sources.display(rule.analyte));
  member(out, "specimen", analytics::to_string(rule.specimen));
  member(out, "unit", rule.unit);
  member(out, "date", analytics::format_fhir_date_time(shown.back()->effective.instant).substr(0, 10));

  // Doses: each sample's last dose, once per medication and clock time (the plot's axis is the clock: the day
  // before's 12:00 dose, the last one before a morning trough, is the same mark as the day's own).
  std::vector<std::pair<std::string, const analytics::DoseTiming*>> doses;  // (dose time text, timing)
  std::map<std::pair<std::string, std::int64_t>, std::size_t> dose_keys;    // -> index in doses

  out.start_array("points");
  for (const auto* sample : shown) {
    const auto& at = sample->effective.instant;
    out.start_object();
    member(out, "observation", sample->reference);
    member(out, "effective", sample->effective.text);
    out.key("clock_hours");
    out.number(clock_hours(at));
    member(out, "date", analytics::format_fhir_date_time(at).substr(0, 10));
    out.key("value");
    out.number(sample->value.value);
    const auto* observation = sources.observation(sample->reference);
    out.key("original");
    if (observation != nullptr && observation->value_quantity && observation->value_quantity->value) {
      out.start_object();
      out.key("value");
      out.number(*observation->value_quantity->value);
      member(out, "unit",
             observation->value_quantity->unit.empty() ? observation->value_quantity->code
                                                       : observation->value_quantity->unit);
      out.end_object();
    } else {
      null_value(out);
    }
    member(out, "comparator", sample->comparator);
    out.boolean("in_fit", in_fit.contains(sample->reference));
    out.boolean("awakening", awakening.contains(sample->reference));
    const auto* dose = sources.dose(sample->reference);
    number_or_null(out, "hours_since_dose", dose != nullptr ? dose->hours_since_dose : std::nullopt);
    out.end_object();
    if (dose != nullptr && dose->hours_since_dose) {
      const auto given = at.utc - std::chrono::seconds(std::llround(*dose->hours_since_dose * kSecondsPerHour));
      const auto local = given + at.utc_offset;
      const auto minute =
          std::chrono::floor<std::chrono::minutes>(local - std::chrono::floor<std::chrono::days>(local)).count();
      // The samples come in time order: the latest dose at that clock time is the one named.
      const auto [it, added] = dose_keys.try_emplace({dose->exposure, minute}, doses.size());
      if (added) doses.emplace_back();
      doses[it->second] = {analytics::format_fhir_date_time({given, at.utc_offset}), dose};
    }
  }
  out.end_array();

  out.key("cosinor");
  if (mesor != nullptr && amplitude != nullptr && acrophase != nullptr) {
    const double m = mesor->value.value;
    const double a = amplitude->value.value;
    const double peak_hours = acrophase->value.value;
    out.start_object();
    out.key("mesor");
    out.number(m);
    out.key("amplitude");
    out.number(a);
    out.key("acrophase_hours");
    out.number(peak_hours);
    number_or_null(out, "p_value", component_ending(*mesor, "-p-value"));
    number_or_null(out, "residual_standard_error", component_ending(*mesor, "-residual-standard-error"));
    out.key("n");
    out.integer(static_cast<std::int64_t>(mesor->inputs.size()));
    member(out, "unit", mesor->value.unit);
    out.start_object("observations");
    const auto written_id = [&](const Gradient* g) {
      const auto it = written.find(g->code);
      return it == written.end() ? std::string_view() : std::string_view(it->second);
    };
    text_or_null(out, "mesor", written_id(mesor));
    text_or_null(out, "amplitude", written_id(amplitude));
    text_or_null(out, "acrophase", written_id(acrophase));
    out.end_object();
    out.start_array("curve");
    for (int i = 0; i < kCurvePoints; ++i) {
      const double t = 24.0 * i / (kCurvePoints - 1);
      out.start_object();
      out.key("clock_hours");
      out.number(t);
      out.key("value");
      out.number(m + a * std::cos(2.0 * std::numbers::pi * (t - peak_hours) / 24.0));
      out.end_object();
    }
    out.end_array();
    out.end_object();
  } else {
    null_value(out);
  }

  out.key("awakening");
  if (aucg != nullptr && !aucg->inputs.empty()) {
    out.start_object();
    out.key("waking_clock_hours");
    out.number(clock_hours(aucg->inputs.front().effective.instant));
    out.key("aucg");
    out.number(aucg->value.value);
    number_or_null(out, "auci", auci != nullptr ? std::optional<double>(auci->value.value) : std::nullopt);
    member(out, "unit", aucg->value.unit);
    out.start_array("observations");
    for (const auto& source : aucg->inputs) out.text(without_history(source.reference));
    out.end_array();
    out.end_object();
  } else {
    null_value(out);
  }

  out.start_array("doses");
  for (const auto& [time, timing] : doses) {
    out.start_object();
    member(out, "time", time);
    out.key("clock_hours");
    out.number(clock_hours(*instant_of(time)));
    member(out, "medication", timing->exposure);
    member(out, "display",
           timing->medication_display.empty() ? timing->medication_id : timing->medication_display);
    out.end_object();
  }
  out.end_array();
  out.key("dose_peak");
  write_curve_sample(out, peak);
  out.key("dose_trough");
  write_curve_sample(out, trough);
  out.end_object();
}

void write_day_curves(fhir::JsonOut& out, const PatientPageInput& input, const Sources& sources,
                      const WrittenIds& written) {
  // One curve per prefix, in rule order; the cosinor's days (else one) say how far back it reaches.
  std::vector<std::string> prefixes;
  for (const auto& rule : input.knowledge.knowledge.rules.rhythms) {
    const std::string prefix = rule.prefix();
    if (std::find(prefixes.begin(), prefixes.end(), prefix) != prefixes.end()) continue;
    prefixes.push_back(prefix);
    int days = 1;
    for (const auto& other : input.knowledge.knowledge.rules.rhythms) {
      if (other.prefix() == prefix && other.kind == analytics::RhythmRule::Kind::cosinor) {
        days = std::max(days, other.days);
      }
    }
    write_day_curve(out, input, sources, written, prefix, rule, days);
  }
}

// ---- Findings and proposals ----

void write_references(fhir::JsonOut& out, std::string_view name, const Gradient& gradient) {
  out.start_array(name);
  for (const auto& source : gradient.inputs) out.text(without_history(source.reference));
  out.end_array();
}

void write_findings(fhir::JsonOut& out, const PatientPageInput& input, const WrittenIds& written) {
  const auto& analysis = input.analysis;
  out.start_array("findings");
  for (std::size_t i = 0; i < analysis.gradients.size() && i < analysis.findings.size(); ++i) {
    const auto& gradient = analysis.gradients[i];
    const auto& finding = analysis.findings[i];
    out.start_object();
    member(out, "code", gradient.code);
    member(out, "display", gradient.display);
    out.key("value");
    out.number(gradient.value.value);
    member(out, "unit", gradient.value.unit);
    member(out, "comparator", gradient.comparator);
    text_or_null(out, "level", finding.level ? analytics::to_string(*finding.level) : std::string_view());
    text_or_null(out, "direction",
                 finding.direction ? analytics::to_string(*finding.direction) : std::string_view());
    member(out, "rationale", finding.rationale);
    member(out, "rule", gradient.code);
    text_or_null(out, "range_source",
                 finding.range ? std::string_view(finding.range->source) : std::string_view());
    write_references(out, "inputs", gradient);
    const auto it = written.find(gradient.code);
    text_or_null(out, "observation", it == written.end() ? std::string_view() : std::string_view(it->second));
    out.end_object();
  }
  out.end_array();
}

void write_proposals(fhir::JsonOut& out, const PatientPageInput& input) {
  const auto& analysis = input.analysis;
  out.start_array("proposals");
  for (const auto& proposal : analysis.finding_proposals) {
    if (proposal.gradient >= analysis.gradients.size()) continue;
    const auto& gradient = analysis.gradients[proposal.gradient];
    out.start_object();
    member(out, "title", proposal.title);
    member(out, "description", proposal.description);
    member(out, "kind", proposal.kind);
    member(out, "rule", proposal.suggestion_id.empty() ? gradient.code : proposal.suggestion_id);
    member(out, "finding", gradient.code);
    write_references(out, "inputs", gradient);
    out.start_array("time_of_day");
    for (const auto& time : proposal.time_of_day) out.text(time);
    out.end_array();
    out.end_object();
  }
  for (const auto& proposal : analysis.timing_proposals) {
    out.start_object();
    member(out, "title", proposal.title);
    member(out, "description", proposal.reason + " " + proposal.description);
    member(out, "kind", "");
    member(out, "rule", "timing:" + proposal.medication_id);
    member(out, "finding",
           proposal.gradient < analysis.gradients.size() ? analysis.gradients[proposal.gradient].code : "");
    out.start_array("inputs");
    out.text(proposal.measurement);
    if (!proposal.exposure.empty()) out.text(proposal.exposure);
    out.end_array();
    out.start_array("time_of_day");
    out.end_array();
    out.end_object();
  }
  out.end_array();
}

}  // namespace

void write_patient_page(fhir::JsonOut& out, const PatientPageInput& input) {
  const Sources sources(input);
  const auto series = build_series(input);
  const auto written = written_ids(series, input.analysis);
  out.start_object();
  out.start_object("patient");
  member(out, "reference", input.context.facts.reference);
  member(out, "sex", sex_text(input.context.facts.sex));
  out.key("age_years");
  if (input.analysis.age_years) {
    out.integer(*input.analysis.age_years);
  } else {
    null_value(out);
  }
  out.end_object();
  member(out, "as_of", analytics::format_fhir_date_time({input.as_of, {}}));
  member(out, "rule_set", input.knowledge.rule_set_id + "|" + input.knowledge.rule_set_version);
  member(out, "version", GG_VERSION);
  member(out, "review", kReviewNote);
  out.start_array("day_curves");
  write_day_curves(out, input, sources, written);
  out.end_array();
  out.start_array("series");
  for (const auto& s : series) write_series(out, input, sources, s);
  out.end_array();
  write_findings(out, input, written);
  write_proposals(out, input);
  out.start_array("notes");
  for (const auto& note : input.analysis.notes) out.text(note);
  out.end_array();
  out.end_object();
}

std::string patient_page_json(const PatientPageInput& input) {
  std::string json;
  {
    fhir::JsonOut out(json);
    write_patient_page(out, input);
  }
  return json;
}

}  // namespace gg::gateway
