#include "analytics/rhythm_rules.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "analytics/rhythm.hpp"

namespace gg::analytics {
namespace {

// The awakening response: the samples from waking to +60 min (the contract's definition of the car-* codes).
constexpr double kAwakeningWindowMinutes = 60;
// With a stated waking, the awakening response needs its waking sample drawn at most this long after it. The CAR
// expert consensus asks for the first sample immediately on awakening, with the awakening time verified (Stalder T
// et al., Assessment of the cortisol awakening response: expert consensus guidelines, Psychoneuroendocrinology
// 2016;63:414-432). The figure is the adherence bound of the study that guideline builds on: delays of 5-15 min
// between awakening and the first sample overestimated the CAR against delays under 5 min (Smyth N et al.,
// Psychoneuroendocrinology 2013;38:1476-1483, abstract). A later first sample measures a rise already under way.
constexpr std::chrono::minutes kMaxWakingSampleDelay{5};
// A stated waking's series: at most 24 h from it (and ending at the next stated waking).
constexpr std::chrono::hours kStatedDayLength{24};
constexpr std::size_t kDoseCurveMinSamples = 4;
constexpr std::chrono::hours kDoseCurveMinSpan{12};

struct Sample {
  const Measurement* measurement = nullptr;
  double value = 0;                   // in the rule's unit
  std::chrono::sys_seconds utc;       // the draw
  std::int64_t local_day = 0;         // days since 1970-01-01 on the sample's own clock
  double local_hours = 0;             // clock time of day, [0, 24)
  std::chrono::seconds local_time{};  // the same, in seconds
  // The day whose series the sample belongs to: its local day, or the day before for a sample drawn before the
  // rule's waking window (a late-night sample after midnight ends the previous day's series) or before the waking
  // stated for its day; with a stated waking, the waking's date.
  std::int64_t series_day = 0;
  // The stated waking whose series the sample is in (from it up to 24 h later, before the next stated waking);
  // none: its day is grouped by the waking window.
  std::optional<std::chrono::sys_seconds> day_waking;
};

// A waking stated by a sample: the instant, and its date on its own clock (the key of its day's series).
struct StatedWaking {
  std::chrono::sys_seconds utc;
  std::int64_t local_day = 0;
};

// A sample before the waking window (a late-night 00:30) ends the previous day's series.
bool before_waking_window(const RhythmRule& rule, std::chrono::seconds time_of_day) {
  return rule.waking_window && time_of_day < rule.waking_window->from;
}

bool inside_waking_window(const RhythmRule& rule, const Sample& sample) {
  return rule.waking_window && sample.local_day == sample.series_day &&
         rule.waking_window->contains(sample.local_time);
}

// FHIR time "hh:mm:ss" with an optional fraction (R4 2.24.0.1): the clock time, or nullopt when malformed.
std::optional<std::chrono::seconds> parse_fhir_time(std::string_view text) {
  const auto digit = [&](std::size_t i) { return std::isdigit(static_cast<unsigned char>(text[i])) != 0; };
  if (text.size() < 8 || text[2] != ':' || text[5] != ':') return std::nullopt;
  for (const std::size_t i : {0, 1, 3, 4, 6, 7}) {
    if (!digit(i)) return std::nullopt;
  }
  if (text.size() > 8) {
    if (text[8] != '.' || text.size() == 9) return std::nullopt;
    for (std::size_t i = 9; i < text.size(); ++i) {
      if (!digit(i)) return std::nullopt;
    }
  }
  const auto two = [&](std::size_t i) { return (text[i] - '0') * 10 + (text[i + 1] - '0'); };
  if (two(0) > 23 || two(3) > 59 || two(6) > 59) return std::nullopt;
  return std::chrono::hours{two(0)} + std::chrono::minutes{two(3)} + std::chrono::seconds{two(6)};
}

bool names_waking(const RhythmRule& rule, const TimeComponent& component) {
  return std::any_of(component.coding.begin(), component.coding.end(), [&](const fhir::Coding& coding) {
    return std::any_of(rule.waking_time_codes.begin(), rule.waking_time_codes.end(),
                       [&](const auto& code) { return coding.system == code.system && coding.code == code.code; });
  });
}

// The waking the sample states in a component of the rule's codes: valueDateTime is the instant; valueTime is a
// clock time on the sample's own clock, on the sample's date, or the day before when it is later than the sample's
// clock time (a 23:50 waking stated on a 00:20 sample). A value that does not parse states nothing.
std::optional<StatedWaking> stated_waking(const RhythmRule& rule, const Sample& sample) {
  for (const auto& component : sample.measurement->time_components) {
    if (!names_waking(rule, component)) continue;
    if (!component.value_date_time.empty()) {
      const auto parsed = parse_fhir_date_time(component.value_date_time);
      if (!parsed.instant) continue;
      const auto local = parsed.instant->utc + parsed.instant->utc_offset;
      return StatedWaking{parsed.instant->utc,
                          std::chrono::floor<std::chrono::days>(local).time_since_epoch().count()};
    }
    const auto time = parse_fhir_time(component.value_time);
    if (!time) continue;
    const std::int64_t day = sample.local_day - (*time > sample.local_time ? 1 : 0);
    const std::chrono::sys_seconds local{std::chrono::days{day} + *time};
    return StatedWaking{local - sample.measurement->effective.instant.utc_offset, day};
  }
  return std::nullopt;
}

// Days with a stated waking: each sample from a waking up to 24 h after it, and before the next stated waking, is
// in that waking's series. A sample of the window's day that was drawn before its day's stated waking belongs to
// the previous day's series, as a sample before the window does. Two wakings stated for one date: the later one
// is that day's (rhythm_rules.hpp).
void assign_stated_days(const RhythmRule& rule, std::vector<Sample>& samples) {
  if (rule.waking_time_codes.empty()) return;
  std::vector<StatedWaking> wakings;
  for (const auto& sample : samples) {
    if (auto waking = stated_waking(rule, sample)) wakings.push_back(*waking);
  }
  if (wakings.empty()) return;
  std::sort(wakings.begin(), wakings.end(), [](const auto& a, const auto& b) { return a.utc < b.utc; });
  wakings.erase(
      std::unique(wakings.begin(), wakings.end(), [](const auto& a, const auto& b) { return a.utc == b.utc; }),
      wakings.end());
  for (auto& sample : samples) {
    const auto next =
        std::upper_bound(wakings.begin(), wakings.end(), sample.utc,
                         [](const auto& utc, const StatedWaking& waking) { return utc < waking.utc; });
    if (next != wakings.begin()) {
      const StatedWaking& waking = *(next - 1);
      if (sample.utc < waking.utc + kStatedDayLength && (next == wakings.end() || sample.utc < next->utc)) {
        sample.series_day = waking.local_day;
        sample.day_waking = waking.utc;
        continue;
      }
    }
    const auto first_of_day = std::find_if(wakings.begin(), wakings.end(), [&](const StatedWaking& waking) {
      return waking.local_day == sample.series_day;
    });
    if (first_of_day != wakings.end() && sample.utc < first_of_day->utc) --sample.series_day;
  }
}

std::vector<Sample> series_samples(const RhythmRule& rule, std::span<const Measurement> measurements) {
  std::vector<Sample> samples;
  for (const auto& m : measurements) {
    if (m.analyte_id != rule.analyte || m.specimen != rule.specimen || m.censored()) continue;
    const auto value = rescale(m.value, rule.unit);
    if (!value || !std::isfinite(value->value)) continue;
    const auto local = m.effective.instant.utc + m.effective.instant.utc_offset;
    const auto day = std::chrono::floor<std::chrono::days>(local);
    Sample sample;
    sample.measurement = &m;
    sample.value = value->value;
    sample.utc = m.effective.instant.utc;
    sample.local_day = day.time_since_epoch().count();
    sample.local_hours = std::chrono::duration<double, std::ratio<3600>>(local - day).count();
    sample.local_time = local - day;
    sample.series_day = sample.local_day - (before_waking_window(rule, sample.local_time) ? 1 : 0);
    samples.push_back(sample);
  }
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
    return a.utc != b.utc ? a.utc < b.utc : a.measurement->reference < b.measurement->reference;
  });
  assign_stated_days(rule, samples);
  return samples;
}

std::string analyte_display(const RhythmRule& rule, const Catalogue& catalogue) {
  const Analyte* analyte = catalogue.find(rule.analyte);
  return (analyte != nullptr ? analyte->display : rule.analyte) + " (" + std::string(to_string(rule.specimen)) +
         ")";
}

Gradient series_gradient(const RhythmRule& rule, std::span<const Sample> used, std::string code,
                         std::string display, UcumValue value) {
  Gradient gradient;
  gradient.code = std::move(code);
  gradient.display = std::move(display);
  gradient.subject = used.front().measurement->subject;
  gradient.value = std::move(value);
  for (const auto& sample : used) {
    const Measurement& m = *sample.measurement;
    gradient.inputs.push_back(GradientInput{m.reference, m.version_id, m.analyte_id,
                                            UcumValue{sample.value, rule.unit}, m.effective, m.status});
    gradient.preliminary = gradient.preliminary || m.status == ResultStatus::preliminary;
  }
  gradient.effective = used.back().measurement->effective;
  gradient.period =
      GradientPeriod{used.front().measurement->effective.text, used.back().measurement->effective.text};
  return gradient;
}

// One day's series in time order, and its waking sample. Without a stated waking: the first sample inside the
// rule's waking window (none without a window, or when no sample of the day falls inside it). With one
// (`stated_waking`, the latest stated for the day): the day's series is the samples in that waking's series, and
// its waking sample the first of them when drawn within kMaxWakingSampleDelay of the waking; other samples of the
// date (drawn before the waking, or in an earlier waking's series of the same date) enter only the cosinor.
struct SeriesDay {
  std::int64_t day = 0;
  std::vector<Sample> samples;
  std::optional<std::size_t> waking;
  std::optional<std::chrono::sys_seconds> stated_waking;

  bool in_series(const Sample& sample) const { return !stated_waking || sample.day_waking == stated_waking; }
};

double minutes_between(std::chrono::sys_seconds from, std::chrono::sys_seconds to) {
  return std::chrono::duration<double, std::ratio<60>>(to - from).count();
}
double minutes_between(const Sample& from, const Sample& to) {
  return minutes_between(from.utc, to.utc);
}

// The series of each day, the most recent day first.
std::vector<SeriesDay> days_newest_first(const RhythmRule& rule, const std::vector<Sample>& samples) {
  std::vector<SeriesDay> days;
  for (const auto& sample : samples) {
    auto it =
        std::find_if(days.begin(), days.end(), [&](const SeriesDay& day) { return day.day == sample.series_day; });
    if (it == days.end()) {
      days.push_back({sample.series_day, {}, std::nullopt, std::nullopt});
      it = days.end() - 1;
    }
    if (sample.day_waking) it->stated_waking = sample.day_waking;  // in time order: the latest
    it->samples.push_back(sample);
  }
  for (auto& day : days) {
    for (std::size_t i = 0; i < day.samples.size() && !day.waking; ++i) {
      const Sample& sample = day.samples[i];
      if (!day.stated_waking) {
        if (inside_waking_window(rule, sample)) day.waking = i;
      } else if (day.in_series(sample)) {
        // The first sample of the stated waking's series: the waking sample only when drawn promptly.
        if (sample.utc - *day.stated_waking <= kMaxWakingSampleDelay) day.waking = i;
        break;
      }
    }
  }
  std::sort(days.begin(), days.end(), [](const auto& a, const auto& b) { return a.day > b.day; });
  return days;
}

// Minutes from the day's waking to the sample: from the stated waking, or else from the waking sample.
double minutes_since_waking(const SeriesDay& day, const Sample& sample) {
  if (day.stated_waking) return minutes_between(*day.stated_waking, sample.utc);
  return minutes_between(day.samples[*day.waking], sample);
}

// Samples of the day's series after waking up to +60 min, other than the waking sample: the awakening response,
// not part of the day's decline or of its 24 h rhythm. Counted from the stated waking where there is one.
bool in_awakening_response(const SeriesDay& day, std::size_t index) {
  if (!day.stated_waking && !day.waking) return false;
  if (day.waking && index == *day.waking) return false;
  const Sample& sample = day.samples[index];
  if (!day.in_series(sample)) return false;
  const double minutes = minutes_since_waking(day, sample);
  return minutes > 0 && minutes <= kAwakeningWindowMinutes;
}

std::string clock_text(std::chrono::minutes minutes) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", static_cast<int>(minutes.count() / 60),
                static_cast<int>(minutes.count() % 60));
  return text;
}

std::string date_text(std::int64_t day) {
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{day}}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

// Why a more recent day gave no value, for the note on the value taken from an older day: a silent fallback would
// hide that the latest collection was incomplete.
std::string left_out(const RhythmRule& rule, const Catalogue& catalogue, const SeriesDay& day,
                     std::string_view reason) {
  return analyte_display(rule, catalogue) + " series of " + date_text(day.day) +
         " left out: " + std::string(reason) + "; this value is from an earlier day.";
}

std::string no_waking_sample(const RhythmRule& rule) {
  return "no sample inside the waking window " + clock_text(rule.waking_window->from) + "-" +
         clock_text(rule.waking_window->to) + " (local time), so its waking sample is missing";
}

// Why a day with a stated waking gives no awakening response: its first sample was not drawn promptly after it.
// The waking's clock time is read on that sample's clock.
std::string late_waking_sample(const SeriesDay& day) {
  for (const auto& sample : day.samples) {
    if (!day.in_series(sample)) continue;
    const auto local = *day.stated_waking + sample.measurement->effective.instant.utc_offset;
    const auto clock =
        std::chrono::floor<std::chrono::minutes>(local - std::chrono::floor<std::chrono::days>(local));
    return "its first sample was drawn " +
           std::to_string(std::lround(minutes_between(*day.stated_waking, sample.utc))) +
           " min after the stated waking at " + clock_text(clock) +
           " (local time), and the awakening response needs one within " +
           std::to_string(kMaxWakingSampleDelay.count()) +
           " min of waking (Stalder T et al., Psychoneuroendocrinology 2016;63:414-432; Smyth N et al., "
           "Psychoneuroendocrinology 2013;38:1476-1483)";
  }
  return "no sample after its stated waking";
}

std::vector<Gradient> diurnal_slope(const RhythmRule& rule, const std::vector<Sample>& samples,
                                    const Catalogue& catalogue) {
  if (!rule.waking_window) return {};
  std::vector<std::string> notes;
  for (const auto& day : days_newest_first(rule, samples)) {
    if (!day.waking && !day.stated_waking) {
      notes.push_back(left_out(rule, catalogue, day, no_waking_sample(rule)));
      continue;
    }
    // From waking on, the awakening response (after waking up to +60 min, the waking sample kept) left out: it is
    // not part of the decline. Time is hours since waking: the stated waking where there is one (a sample need not
    // be drawn at it), else the waking sample; a late-night sample after midnight is then ~17 h, not ~0 h.
    std::vector<Sample> used;
    std::vector<TimedValue> points;
    for (std::size_t i = 0; i < day.samples.size(); ++i) {
      const Sample& sample = day.samples[i];
      if (!day.in_series(sample) || in_awakening_response(day, i)) continue;
      const double minutes = minutes_since_waking(day, sample);
      if (minutes < 0) continue;
      used.push_back(sample);
      points.push_back({minutes / 60.0, sample.value});
    }
    const auto fit = least_squares_line(points);
    if (!fit) {
      notes.push_back(
          left_out(rule, catalogue, day, "fewer than two sample times outside the awakening response"));
      continue;
    }
    auto gradient = series_gradient(rule, used, rhythm_code(rule, RhythmOutput::diurnal_slope),
                                    analyte_display(rule, catalogue) + " diurnal slope",
                                    UcumValue{fit->slope, rhythm_unit(rule, RhythmOutput::diurnal_slope)});
    gradient.notes = std::move(notes);
    std::vector<Gradient> gradients;  // not a braced list: its elements would be copied, not moved
    gradients.push_back(std::move(gradient));
    return gradients;
  }
  return {};
}

std::vector<Gradient> awakening_response(const RhythmRule& rule, const std::vector<Sample>& samples,
                                         const Catalogue& catalogue) {
  if (!rule.waking_window) return {};
  std::vector<std::string> notes;
  for (const auto& day : days_newest_first(rule, samples)) {
    if (!day.waking) {
      notes.push_back(
          left_out(rule, catalogue, day, day.stated_waking ? late_waking_sample(day) : no_waking_sample(rule)));
      continue;
    }
    std::vector<Sample> used;
    std::vector<TimedValue> points;
    for (std::size_t i = *day.waking; i < day.samples.size(); ++i) {
      const Sample& sample = day.samples[i];
      if (!day.in_series(sample)) continue;
      const double minutes = minutes_since_waking(day, sample);
      if (minutes > kAwakeningWindowMinutes) break;
      if (!points.empty() && minutes == points.back().hours) continue;  // two draws at one instant: keep the first
      used.push_back(sample);
      points.push_back({minutes, sample.value});
    }
    const auto area = pruessner_auc(points);
    if (!area) {
      notes.push_back(left_out(rule, catalogue, day, "no sample within 60 min after its waking sample"));
      continue;
    }
    const std::string display = analyte_display(rule, catalogue) + " awakening response";
    std::vector<Gradient> gradients;  // pushed one by one: a braced list's elements would be copied
    gradients.reserve(2);
    gradients.push_back(series_gradient(rule, used, rhythm_code(rule, RhythmOutput::car_aucg),
                                        display + ", area under the curve (ground)",
                                        UcumValue{area->ground, rhythm_unit(rule, RhythmOutput::car_aucg)}));
    gradients.push_back(series_gradient(rule, used, rhythm_code(rule, RhythmOutput::car_auci),
                                        display + ", area under the curve (increase)",
                                        UcumValue{area->increase, rhythm_unit(rule, RhythmOutput::car_auci)}));
    for (auto& gradient : gradients) gradient.notes = notes;
    return gradients;
  }
  return {};
}

// How much of the 24 h clock the samples span: the day minus the longest gap between neighbouring clock times,
// around midnight too (20:00, 23:00, 01:00, 03:00 span 7 h, not 22 h).
double clock_coverage_hours(std::vector<double> hours) {
  if (hours.size() < 2) return 0;
  std::sort(hours.begin(), hours.end());
  double longest_gap = 24 - (hours.back() - hours.front());
  for (std::size_t i = 1; i < hours.size(); ++i) longest_gap = std::max(longest_gap, hours[i] - hours[i - 1]);
  return 24 - longest_gap;
}

std::vector<Gradient> cosinor(const RhythmRule& rule, const std::vector<Sample>& samples,
                              const Catalogue& catalogue) {
  if (samples.empty()) return {};
  const std::int64_t last_day = std::max_element(samples.begin(), samples.end(), [](const auto& a, const auto& b) {
                                  return a.series_day < b.series_day;
                                })->series_day;
  const std::int64_t first_day = last_day - std::max(rule.days, 1) + 1;
  std::vector<Sample> used;
  std::vector<TimedValue> points;
  std::vector<double> clock_hours;
  for (const auto& day : days_newest_first(rule, samples)) {
    if (day.day < first_day) continue;
    for (std::size_t i = 0; i < day.samples.size(); ++i) {
      const Sample& sample = day.samples[i];
      // The awakening response is a burst on top of the circadian curve, not part of a single 24 h cosine
      // (review L13): the samples after waking up to +60 min (from a stated waking, or from the waking sample of
      // a waking window) are left out of the fit.
      if (in_awakening_response(day, i)) continue;
      used.push_back(sample);
      clock_hours.push_back(sample.local_hours);
    }
  }
  std::sort(used.begin(), used.end(), [](const Sample& a, const Sample& b) {
    return a.utc != b.utc ? a.utc < b.utc : a.measurement->reference < b.measurement->reference;
  });
  // Only the clock time matters to a 24 h fit; the day offset keeps the axis increasing.
  points.reserve(points.size() + used.size());
  for (const auto& sample : used) {
    points.push_back(
        {static_cast<double>(sample.local_day - first_day) * 24.0 + sample.local_hours, sample.value});
  }
  if (used.size() < rule.min_samples || clock_coverage_hours(clock_hours) < rule.min_span_hours) return {};
  const auto fit = fit_cosinor(points, 24.0);
  if (!fit) return {};
  const std::string display = analyte_display(rule, catalogue) + " 24 h cosinor";
  const std::vector<GradientComponent> statistics{
      {rhythm_code(rule, RhythmOutput::cosinor_residual_standard_error),
       "Residual standard error of the cosinor fit",
       UcumValue{fit->residual_standard_error, rhythm_unit(rule, RhythmOutput::cosinor_residual_standard_error)}},
      {rhythm_code(rule, RhythmOutput::cosinor_p_value), "p-value of the zero-amplitude F test",
       UcumValue{fit->p_value, rhythm_unit(rule, RhythmOutput::cosinor_p_value)}}};
  std::vector<Gradient> gradients;  // pushed one by one: a braced list's elements would be copied
  gradients.reserve(3);
  gradients.push_back(series_gradient(rule, used, rhythm_code(rule, RhythmOutput::cosinor_mesor),
                                      display + " MESOR",
                                      UcumValue{fit->mesor, rhythm_unit(rule, RhythmOutput::cosinor_mesor)}));
  gradients.push_back(
      series_gradient(rule, used, rhythm_code(rule, RhythmOutput::cosinor_amplitude), display + " amplitude",
                      UcumValue{fit->amplitude, rhythm_unit(rule, RhythmOutput::cosinor_amplitude)}));
  gradients.push_back(series_gradient(
      rule, used, rhythm_code(rule, RhythmOutput::cosinor_acrophase), display + " acrophase (local clock time)",
      UcumValue{fit->acrophase_hours, rhythm_unit(rule, RhythmOutput::cosinor_acrophase)}));
  for (auto& gradient : gradients) gradient.components = statistics;
  return gradients;
}

// The measurement's timing with a known time since the dose, if any.
const DoseTiming* timed_dose(const Measurement& m, std::span<const DoseTiming> timings) {
  for (const auto& timing : timings) {
    if (timing.measurement == m.reference && timing.hours_since_dose) return &timing;
  }
  return nullptr;
}

}  // namespace

std::string_view to_string(RhythmRule::Kind kind) {
  return text_of(kRhythmKindText, kind);
}

std::optional<RhythmRule::Kind> rhythm_kind_from_string(std::string_view text) {
  return value_of(kRhythmKindText, text);
}

std::vector<Gradient> compute_rhythm(const RhythmRule& rule, std::span<const Measurement> measurements,
                                     const Catalogue& catalogue) {
  const auto samples = series_samples(rule, measurements);
  switch (rule.kind) {
    case RhythmRule::Kind::diurnal_slope:
      return diurnal_slope(rule, samples, catalogue);
    case RhythmRule::Kind::awakening_response:
      return awakening_response(rule, samples, catalogue);
    case RhythmRule::Kind::cosinor:
      return cosinor(rule, samples, catalogue);
  }
  return {};
}

std::vector<Gradient> compute_dose_curve(const RhythmRule& rule, std::span<const Measurement> measurements,
                                         std::span<const DoseTiming> timings, const Catalogue& catalogue) {
  struct Timed {
    Sample sample;
    const DoseTiming* timing;
  };
  std::vector<Timed> timed;
  for (const auto& sample : series_samples(rule, measurements)) {
    if (const auto* timing = timed_dose(*sample.measurement, timings)) timed.push_back({sample, timing});
  }
  if (timed.empty()) return {};
  const auto day = timed.back().sample.series_day;
  std::erase_if(timed, [&](const Timed& t) { return t.sample.series_day != day; });
  // A dose curve is a day's series, not one draw: at least 4 timed samples spanning at least 12 h (the day curve
  // of issue 8: an inpatient series at fixed times, or a hydrocortisone day curve). A lone draw after a dose is
  // still reported with its hours since the dose by the ratio and derived rules; it is not a peak or a trough.
  if (timed.size() < kDoseCurveMinSamples ||
      timed.back().sample.utc - timed.front().sample.utc < kDoseCurveMinSpan) {
    return {};
  }

  const std::string name = analyte_display(rule, catalogue);
  const auto gradient_of = [&](const Timed& t, RhythmOutput output, std::string display) {
    const Sample used[] = {t.sample};
    Gradient gradient = series_gradient(rule, used, rhythm_code(rule, output), std::move(display),
                                        {t.sample.value, rhythm_unit(rule, output)});
    gradient.period.reset();
    gradient.dose_curve = true;
    gradient.components.push_back({std::string(kHoursSinceDoseCode),
                                   "Hours since the " + t.timing->medication_display + " dose",
                                   {*t.timing->hours_since_dose, "h"}});
    gradient.notes.push_back("Evaluated as a " + t.timing->medication_display + " dose curve" +
                             cited(t.timing->exposure) + ", not as an endogenous rhythm: drawn " +
                             std::to_string(std::lround(*t.timing->hours_since_dose * 60)) +
                             " min after the dose.");
    return gradient;
  };

  const Timed* peak = nullptr;
  const Timed* trough = nullptr;
  for (const auto& t : timed) {
    if (t.timing->phase == DosePhase::expected_peak && (peak == nullptr || t.sample.value > peak->sample.value)) {
      peak = &t;
    }
    if (t.timing->phase == DosePhase::after_peak &&
        (trough == nullptr || *t.timing->hours_since_dose > *trough->timing->hours_since_dose)) {
      trough = &t;
    }
  }
  std::vector<Gradient> gradients;
  if (peak != nullptr) {
    gradients.push_back(gradient_of(*peak, RhythmOutput::dose_peak, name + " at the expected peak after a dose"));
  }
  if (trough != nullptr) {
    gradients.push_back(
        gradient_of(*trough, RhythmOutput::dose_trough, name + " furthest after a dose (pre-dose trough)"));
  }
  return gradients;
}

}  // namespace gg::analytics
