#include "analytics/ratio.hpp"

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <tuple>

namespace gg::analytics {
namespace {

using std::chrono::sys_seconds;

// The draw's time of day on its own clock (the offset it was written with).
std::chrono::seconds local_time_of_day(const EffectiveTime& effective) {
  const auto local = effective.instant.utc + effective.instant.utc_offset;
  return local - std::chrono::floor<std::chrono::days>(local);
}

// RatioRule::numerator_timings and numerator_clock: the code's own timing decides where it names one; otherwise
// the local clock time of the draw. The report's issued time says nothing about when the sample was drawn.
bool numerator_time_allowed(const RatioRule& rule, const Measurement& m) {
  if (!rule.restricts_numerator_time()) return true;
  if (!m.timing.empty()) {
    return std::find(rule.numerator_timings.begin(), rule.numerator_timings.end(), m.timing) !=
           rule.numerator_timings.end();
  }
  if (!rule.numerator_clock || m.effective.source == TimeSource::issued) return false;
  return rule.numerator_clock->contains(local_time_of_day(m.effective));
}

bool eligible(const RatioRule& rule, const Measurement& m, std::string_view analyte_id, bool censored = false) {
  if (m.analyte_id != analyte_id || m.censored() != censored) return false;
  if (rule.specimen && m.specimen != *rule.specimen) return false;
  if (analyte_id == rule.numerator && !numerator_time_allowed(rule, m)) return false;
  return rescale(m.value, rule.input_unit).has_value();
}

sys_seconds later_time(const Measurement& a, const Measurement& b) {
  return std::max(a.effective.instant.utc, b.effective.instant.utc);
}

// A total order on candidate pairs that does not depend on the order the measurements came in.
using CandidateKey = std::tuple<std::chrono::seconds, std::chrono::seconds, const std::string&, const std::string&,
                                const std::string&, const std::string&, sys_seconds, sys_seconds, double, double>;

CandidateKey candidate_key(const Measurement& n, const Measurement& d, std::chrono::seconds interval) {
  return CandidateKey{interval,
                      -later_time(n, d).time_since_epoch(),
                      n.reference,
                      n.version_id,
                      d.reference,
                      d.version_id,
                      n.effective.instant.utc,
                      d.effective.instant.utc,
                      n.value.value,
                      d.value.value};
}

bool upper(std::string_view comparator) {
  return comparator == "<" || comparator == "<=";
}
bool lower(std::string_view comparator) {
  return comparator == ">" || comparator == ">=";
}

}  // namespace

std::optional<std::string> ratio_comparator(std::string_view numerator, std::string_view denominator) {
  if (numerator.empty() && denominator.empty()) return std::string();
  const bool strict = numerator == "<" || numerator == ">" || denominator == "<" || denominator == ">";
  // Upper bound of the ratio: numerator at most, denominator at least (or exact).
  if ((upper(numerator) && (denominator.empty() || lower(denominator))) ||
      (numerator.empty() && lower(denominator))) {
    return std::string(strict ? "<" : "<=");
  }
  if ((lower(numerator) && (denominator.empty() || upper(denominator))) ||
      (numerator.empty() && upper(denominator))) {
    return std::string(strict ? ">" : ">=");
  }
  return std::nullopt;
}

namespace {

// Disjoint pairs, closest first (see pair_measurements); with `censored`, censored results take part too.
std::vector<MeasurementPair> pairs_of(const RatioRule& rule, std::span<const Measurement> measurements,
                                      bool censored) {
  const auto usable = [&](const Measurement& m, std::string_view analyte) {
    return eligible(rule, m, analyte) || (censored && eligible(rule, m, analyte, true));
  };
  // A patient has a few results of each analyte: the working lists stay inline, so pairing allocates little.
  boost::container::small_vector<std::size_t, 8> numerators;
  boost::container::small_vector<std::size_t, 8> denominators;
  for (std::size_t i = 0; i < measurements.size(); ++i) {
    const Measurement& m = measurements[i];
    if (usable(m, rule.numerator)) numerators.push_back(i);
    if (usable(m, rule.denominator) && m.value.value > 0) denominators.push_back(i);
  }

  boost::container::small_vector<MeasurementPair, 16> candidates;
  for (const std::size_t n : numerators) {
    for (const std::size_t d : denominators) {
      const Measurement& numerator = measurements[n];
      const Measurement& denominator = measurements[d];
      if (n == d || numerator.subject != denominator.subject || numerator.specimen != denominator.specimen)
        continue;
      const auto difference = numerator.effective.instant.utc - denominator.effective.instant.utc;
      const auto interval = difference < difference.zero() ? -difference : difference;
      if (interval > rule.window) continue;
      candidates.push_back({n, d, interval});
    }
  }
  std::sort(candidates.begin(), candidates.end(), [&](const MeasurementPair& a, const MeasurementPair& b) {
    return candidate_key(measurements[a.numerator], measurements[a.denominator], a.interval) <
           candidate_key(measurements[b.numerator], measurements[b.denominator], b.interval);
  });

  boost::container::small_vector<bool, 32> used(measurements.size(), false);
  std::vector<MeasurementPair> pairs;
  for (const auto& candidate : candidates) {
    if (used[candidate.numerator] || used[candidate.denominator]) continue;
    used[candidate.numerator] = true;
    used[candidate.denominator] = true;
    pairs.push_back(candidate);
  }
  // Oldest first; equal times keep the closest-first order of the greedy pass (stable sort).
  std::stable_sort(pairs.begin(), pairs.end(), [&](const MeasurementPair& a, const MeasurementPair& b) {
    return later_time(measurements[a.numerator], measurements[a.denominator]) <
           later_time(measurements[b.numerator], measurements[b.denominator]);
  });
  return pairs;
}

// The most recent pair with a censored input whose bound is determinate, paired as exact results are.
std::optional<MeasurementPair> latest_bounded_pair(const RatioRule& rule,
                                                   std::span<const Measurement> measurements) {
  // Nearly always no input of the rule is censored, and then no pair is bounded: pairing again is not needed.
  if (std::none_of(measurements.begin(), measurements.end(), [&](const Measurement& m) {
        return m.censored() && (m.analyte_id == rule.numerator || m.analyte_id == rule.denominator);
      })) {
    return std::nullopt;
  }
  std::optional<MeasurementPair> latest;
  for (const auto& pair : pairs_of(rule, measurements, true)) {  // oldest first
    const Measurement& n = measurements[pair.numerator];
    const Measurement& d = measurements[pair.denominator];
    if (!n.censored() && !d.censored()) continue;
    if (!ratio_comparator(n.comparator, d.comparator)) continue;
    if (!latest ||
        later_time(n, d) > later_time(measurements[latest->numerator], measurements[latest->denominator]))
      latest = pair;
  }
  return latest;
}

}  // namespace

std::vector<MeasurementPair> pair_measurements(const RatioRule& rule, std::span<const Measurement> measurements) {
  return pairs_of(rule, measurements, false);
}

Gradient ratio_gradient(const RatioRule& rule, const Measurement& numerator, const Measurement& denominator) {
  const auto input = [&](const Measurement& m) {
    // eligible() has checked that the value rescales to the rule's unit.
    return GradientInput{m.reference, m.version_id, m.analyte_id, rescale(m.value, rule.input_unit).value(),
                         m.effective, m.status};
  };
  Gradient gradient;
  gradient.code = rule.code;
  gradient.display = rule.display;
  gradient.subject = numerator.subject;
  gradient.inputs.reserve(2);  // pushed, not a braced list: its elements would be copied
  gradient.inputs.push_back(input(numerator));
  gradient.inputs.push_back(input(denominator));
  gradient.value = UcumValue{gradient.inputs[0].value.value / gradient.inputs[1].value.value, rule.unit};
  gradient.effective = denominator.effective.instant.utc > numerator.effective.instant.utc ? denominator.effective
                                                                                           : numerator.effective;
  gradient.preliminary =
      numerator.status == ResultStatus::preliminary || denominator.status == ResultStatus::preliminary;
  return gradient;
}

std::optional<Gradient> compute_ratio(const RatioRule& rule, std::span<const Measurement> measurements) {
  const auto pairs = pair_measurements(rule, measurements);
  const auto bounded = latest_bounded_pair(rule, measurements);
  const auto bounded_gradient = [&]() {
    const Measurement& numerator = measurements[bounded->numerator];
    const Measurement& denominator = measurements[bounded->denominator];
    Gradient gradient = ratio_gradient(rule, numerator, denominator);
    gradient.comparator = ratio_comparator(numerator.comparator, denominator.comparator).value_or("");
    return gradient;
  };
  if (pairs.empty()) {
    if (bounded) return bounded_gradient();
    return std::nullopt;
  }
  // The most recent: pairs are oldest first; among pairs ending at the same instant the closest comes first.
  auto latest = pairs.begin();
  for (auto it = pairs.begin(); it != pairs.end(); ++it) {
    if (later_time(measurements[it->numerator], measurements[it->denominator]) >
        later_time(measurements[latest->numerator], measurements[latest->denominator])) {
      latest = it;
    }
  }
  if (bounded && later_time(measurements[bounded->numerator], measurements[bounded->denominator]) >
                     later_time(measurements[latest->numerator], measurements[latest->denominator])) {
    return bounded_gradient();
  }
  return ratio_gradient(rule, measurements[latest->numerator], measurements[latest->denominator]);
}

std::optional<Specimen> ratio_specimen(std::span<const Measurement> measurements, const Gradient& gradient) {
  if (gradient.inputs.empty()) return std::nullopt;
  const auto& first = gradient.inputs.front();
  const auto it = std::find_if(measurements.begin(), measurements.end(), [&](const Measurement& m) {
    return m.reference == first.reference && m.version_id == first.version_id;
  });
  if (it == measurements.end()) return std::nullopt;
  return it->specimen;
}

std::optional<Gradient> previous_ratio(const RatioRule& rule, std::span<const Measurement> measurements,
                                       const Gradient& current) {
  const auto specimen = ratio_specimen(measurements, current);
  if (!specimen) return std::nullopt;
  const auto before = current.effective.instant.utc;
  // A pair ends when its later result was taken: one ending before `current` needs a result of each analyte from
  // before it. A patient with one panel has none, and then pairing again is not needed.
  const auto earlier_result_of = [&](const std::string& analyte) {
    return std::any_of(measurements.begin(), measurements.end(), [&](const Measurement& m) {
      return m.analyte_id == analyte && m.effective.instant.utc < before;
    });
  };
  if (!earlier_result_of(rule.numerator) || !earlier_result_of(rule.denominator)) return std::nullopt;
  // Both results of a pair share a specimen type, so a pair of another type never takes a result from one of
  // this type: filtering the disjoint pairs gives the pairs this type alone would give.
  const auto pairs = pair_measurements(rule, measurements);
  const MeasurementPair* previous = nullptr;
  // Oldest first: the last pair ending before `current` is the most recent; among pairs ending at the same
  // instant the first (the closest) wins, as in compute_ratio().
  for (const auto& pair : pairs) {
    if (measurements[pair.numerator].specimen != *specimen) continue;
    const auto end = later_time(measurements[pair.numerator], measurements[pair.denominator]);
    if (end >= before) continue;
    if (previous == nullptr ||
        end > later_time(measurements[previous->numerator], measurements[previous->denominator])) {
      previous = &pair;
    }
  }
  if (previous == nullptr) return std::nullopt;
  return ratio_gradient(rule, measurements[previous->numerator], measurements[previous->denominator]);
}

}  // namespace gg::analytics
