#include "analytics/derived_rules.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <span>
#include <string_view>

#include "analytics/derived.hpp"

namespace gg::analytics {
namespace {

bool usable(const Measurement& m, std::string_view analyte) {
  return m.analyte_id == analyte && m.specimen == Specimen::serum_plasma && !m.censored();
}

std::chrono::seconds distance(const Measurement& a, const Measurement& b) {
  const auto d = a.effective.instant.utc - b.effective.instant.utc;
  return d < std::chrono::seconds{0} ? -d : d;
}

// The partner of `anchor` closest in time within the window (ties: the more recent, then by reference).
const Measurement* closest(std::span<const Measurement> measurements, const Measurement& anchor,
                           std::string_view analyte, std::chrono::seconds window) {
  const Measurement* best = nullptr;
  for (const auto& m : measurements) {
    if (!usable(m, analyte) || m.subject != anchor.subject || distance(m, anchor) > window) continue;
    if (best == nullptr || distance(m, anchor) < distance(*best, anchor) ||
        (distance(m, anchor) == distance(*best, anchor) &&
         (m.effective.instant.utc > best->effective.instant.utc ||
          (m.effective.instant.utc == best->effective.instant.utc && m.reference < best->reference)))) {
      best = &m;
    }
  }
  return best;
}

// Anchors, most recent first (ties by reference), so the first complete set is the most recent.
std::vector<const Measurement*> anchors(std::span<const Measurement> measurements, std::string_view analyte,
                                        std::string_view timing) {
  std::vector<const Measurement*> out;
  for (const auto& m : measurements) {
    if (usable(m, analyte) && (timing.empty() || m.timing == timing)) out.push_back(&m);
  }
  std::sort(out.begin(), out.end(), [](const Measurement* a, const Measurement* b) {
    return a->effective.instant.utc != b->effective.instant.utc
               ? a->effective.instant.utc > b->effective.instant.utc
               : a->reference < b->reference;
  });
  return out;
}

// With `after` (a gradient already computed) only anchors strictly older than its anchor, its first input, count:
// the previous value of a trend.
bool older_anchor(const Measurement& anchor, const Gradient* after) {
  return after == nullptr || after->inputs.empty() ||
         anchor.effective.instant.utc < after->inputs.front().effective.instant.utc;
}

// True when `after` used this result: a previous value shares no input with the value it is compared with.
bool uses(const Gradient* after, const Measurement& m) {
  if (after == nullptr) return false;
  return std::any_of(after->inputs.begin(), after->inputs.end(), [&](const GradientInput& input) {
    return input.reference == m.reference && input.version_id == m.version_id;
  });
}

std::optional<double> in(const Measurement& m, std::string_view unit) {
  const auto value = rescale(m.value, unit);
  return value ? std::optional<double>(value->value) : std::nullopt;
}

// `value` is in the formula's own unit (derived_unit()); the gradient carries it in the rule's output unit.
// One input of a derived value: the measurement and the unit the formula reads it in.
using DerivedInput = std::pair<const Measurement*, std::string_view>;

Gradient make(const DerivedRule& rule, std::span<const DerivedInput> inputs, double value) {
  Gradient gradient;
  gradient.code = rule.code;
  gradient.display = rule.display;
  gradient.subject = inputs.front().first->subject;
  UcumValue computed{value, std::string(derived_unit(rule.formula))};
  if (rule.output_unit() != computed.unit) {
    // validate_knowledge() refuses an output unit the formula's cannot be expressed in.
    if (auto rescaled = rescale(computed, rule.output_unit())) computed = std::move(*rescaled);
  }
  gradient.value = std::move(computed);
  const Measurement* latest = inputs.front().first;
  gradient.inputs.reserve(inputs.size());
  for (const auto& [m, input_unit] : inputs) {
    gradient.inputs.push_back(GradientInput{m->reference, m->version_id, m->analyte_id,
                                            rescale(m->value, input_unit).value_or(m->value), m->effective,
                                            m->status});
    gradient.preliminary = gradient.preliminary || m->status == ResultStatus::preliminary;
    if (m->effective.instant.utc > latest->effective.instant.utc) latest = m;
  }
  gradient.effective = latest->effective;
  return gradient;
}

std::string grams_per_litre(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::optional<Gradient> testosterone_shbg(const DerivedRule& rule, std::span<const Measurement> measurements,
                                          const Gradient* after) {
  for (const Measurement* testosterone : anchors(measurements, rule.input("testosterone"), "")) {
    if (!older_anchor(*testosterone, after)) continue;
    const Measurement* shbg = closest(measurements, *testosterone, rule.input("shbg"), rule.window);
    if (shbg == nullptr || uses(after, *shbg)) continue;
    const auto tt = in(*testosterone, "nmol/L");
    const auto binding = in(*shbg, "nmol/L");
    if (!tt || !binding) continue;
    if (rule.formula == DerivedRule::Formula::free_androgen_index) {
      const auto fai = free_androgen_index(*tt, *binding);
      if (!fai) continue;
      const std::array<DerivedInput, 2> inputs{{{testosterone, "nmol/L"}, {shbg, "nmol/L"}}};
      return make(rule, inputs, *fai);
    }
    const Measurement* albumin = closest(measurements, *testosterone, rule.input("albumin"), rule.window);
    if (albumin != nullptr && uses(after, *albumin)) continue;
    const auto albumin_g_l = albumin != nullptr ? in(*albumin, "g/L") : std::nullopt;
    const auto free_t =
        vermeulen_free_testosterone_pmol_l(*tt, *binding, albumin_g_l.value_or(rule.default_albumin_g_l));
    if (!free_t) continue;
    const std::array<DerivedInput, 3> inputs{{{testosterone, "nmol/L"}, {shbg, "nmol/L"}, {albumin, "g/L"}}};
    auto gradient = make(rule, std::span(inputs).first(albumin_g_l ? 3 : 2), *free_t);
    if (!albumin_g_l) {
      gradient.notes.push_back("No albumin result within the window: albumin taken as " +
                               grams_per_litre(rule.default_albumin_g_l) + " g/L (Vermeulen 1999 default).");
    }
    return gradient;
  }
  return std::nullopt;
}

std::optional<Gradient> homa(const DerivedRule& rule, std::span<const Measurement> measurements,
                             const Gradient* after) {
  for (const Measurement* glucose : anchors(measurements, rule.input("glucose"), "fasting")) {
    if (!older_anchor(*glucose, after)) continue;
    const Measurement* insulin = closest(measurements, *glucose, rule.input("insulin"), rule.window);
    if (insulin == nullptr || uses(after, *insulin)) continue;
    const auto glucose_mmol = in(*glucose, "mmol/L");
    const auto insulin_uiu = in(*insulin, "u[IU]/mL");
    if (!glucose_mmol || !insulin_uiu) continue;
    const auto value = homa_ir(*glucose_mmol, *insulin_uiu);
    if (!value) continue;
    const std::array<DerivedInput, 2> inputs{{{glucose, "mmol/L"}, {insulin, "u[IU]/mL"}}};
    return make(rule, inputs, *value);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(DerivedRule::Formula formula) {
  return text_of(kDerivedFormulaText, formula);
}

std::optional<DerivedRule::Formula> derived_formula_from_string(std::string_view text) {
  return value_of(kDerivedFormulaText, text);
}

std::vector<std::string_view> derived_roles(DerivedRule::Formula formula) {
  switch (formula) {
    case DerivedRule::Formula::free_testosterone_vermeulen:
      return {"testosterone", "shbg", "albumin"};
    case DerivedRule::Formula::free_androgen_index:
      return {"testosterone", "shbg"};
    case DerivedRule::Formula::homa_ir:
      return {"glucose", "insulin"};
  }
  return {};
}

bool derived_role_optional(DerivedRule::Formula formula, std::string_view role) {
  return formula == DerivedRule::Formula::free_testosterone_vermeulen && role == "albumin";
}

// The units of the functions in derived.hpp, which name them.
std::string_view derived_unit(DerivedRule::Formula formula) {
  return formula == DerivedRule::Formula::free_testosterone_vermeulen ? "pmol/L" : "1";
}

std::string_view DerivedRule::input(std::string_view role) const {
  for (const auto& entry : inputs) {
    if (entry.role == role) return entry.analyte;
  }
  return role;
}

std::string_view DerivedRule::output_unit() const {
  return unit.empty() ? derived_unit(formula) : std::string_view(unit);
}

namespace {

std::optional<Gradient> compute(const DerivedRule& rule, std::span<const Measurement> measurements,
                                const Gradient* after) {
  switch (rule.formula) {
    case DerivedRule::Formula::free_testosterone_vermeulen:
    case DerivedRule::Formula::free_androgen_index:
      return testosterone_shbg(rule, measurements, after);
    case DerivedRule::Formula::homa_ir:
      return homa(rule, measurements, after);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Gradient> compute_derived(const DerivedRule& rule, std::span<const Measurement> measurements) {
  return compute(rule, measurements, nullptr);
}

std::optional<Gradient> previous_derived(const DerivedRule& rule, std::span<const Measurement> measurements,
                                         const Gradient& current) {
  return compute(rule, measurements, &current);
}

}  // namespace gg::analytics
