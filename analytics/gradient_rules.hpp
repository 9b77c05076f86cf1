// Gradient rules: which relationships between hormones are computed. Data from config/rules/gradients.yaml; the
// codes are part of the external contract (shared/ARCHITECTURE.md, "Derived Observation codes"): ratio,
// derived-value and rhythm rules, and the settings of the trend judgement.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/catalogue.hpp"
#include "analytics/enum_text.hpp"

namespace gg::analytics {

inline constexpr std::string_view kGradientCodeSystem = "http://gradient-gateway.dev/fhir/CodeSystem/gradient";

// A span of local clock time, [from, to] inclusive, read on a result's own clock (the time of day as the result
// wrote it, in its own offset). `from` later than `to` wraps past midnight: 23:00-01:00.
struct ClockWindow {
  std::chrono::minutes from{0};  // since local midnight, [0, 24 h)
  std::chrono::minutes to{0};
  bool contains(std::chrono::seconds time_of_day) const;
  friend bool operator==(const ClockWindow&, const ClockWindow&) = default;
};

// numerator / denominator, both expressed in `input_unit`, from results drawn within `window` of each other.
struct RatioRule {
  std::string code;                   // "cortisol-dheas-ratio"
  std::string display;                // "Cortisol:DHEA-S molar ratio"
  std::string numerator;              // analyte id: "cortisol"
  std::string denominator;            // analyte id: "dhea-s"
  std::string input_unit = "nmol/L";  // both inputs are rescaled to this UCUM unit before dividing
  std::string unit = "1";             // the ratio's UCUM unit
  std::chrono::seconds window = std::chrono::hours{24};  // |t_numerator - t_denominator| <= window
  // Both inputs must be of this specimen type. Without it they must still share one specimen type.
  std::optional<Specimen> specimen = Specimen::serum_plasma;
  // When the numerator's time of day matters (cortisol is diurnal), which of its draws may form the ratio. With
  // neither set, any draw. Otherwise a draw whose LOINC code names a timing ("am", "pm": Measurement::timing)
  // counts only when that timing is listed, so a PM-trough code never forms a morning ratio; a draw whose code
  // names none counts only when its local clock time lies in `numerator_clock` and that time is a draw time (an
  // effective time, not the report's `issued`).
  std::vector<std::string> numerator_timings;
  std::optional<ClockWindow> numerator_clock;
  bool restricts_numerator_time() const { return numerator_clock.has_value() || !numerator_timings.empty(); }
  friend bool operator==(const RatioRule&, const RatioRule&) = default;
};

// A daily rhythm of one analyte in one specimen type (saliva cortisol, serum cortisol), from the samples' local
// clock times. Its codes are "<prefix>-<gradient>" with the prefix `code_prefix`, or the analyte id when that is
// empty: saliva cortisol keeps the contract's "cortisol-..." codes, serum cortisol is "cortisol-serum-...", so the
// two specimens never share a code (and never a series, a target range or a trend).
struct RhythmRule {
  enum class Kind {
    diurnal_slope,       // "<prefix>-diurnal-slope": OLS slope against hours since waking over one day
    awakening_response,  // "<prefix>-car-aucg" and "<prefix>-car-auci": Pruessner 2003 areas, waking to +60 min
    cosinor,             // "<prefix>-cosinor-mesor", "-amplitude", "-acrophase": 24 h single-component cosinor
  };
  // Where a day's series starts: a ClockWindow that does not wrap past midnight (from < to; the loader refuses a
  // wrap), 05:00-11:00 unless set.
  struct WakingWindow : ClockWindow {
    WakingWindow() : ClockWindow{std::chrono::hours{5}, std::chrono::hours{11}} {}
    WakingWindow(std::chrono::minutes from_time, std::chrono::minutes to_time) : ClockWindow{from_time, to_time} {}
  };
  // A code a site uses for "time of awakening" on an Observation.component (no standard LOINC code was found).
  struct WakingTimeCode {
    std::string system;
    std::string code;
    friend bool operator==(const WakingTimeCode&, const WakingTimeCode&) = default;
  };
  Kind kind = Kind::diurnal_slope;
  std::string analyte = "cortisol";
  Specimen specimen = Specimen::saliva;
  std::string code_prefix;      // empty: the analyte id
  std::string unit = "nmol/L";  // the values' unit (the slope is this per hour, the areas this times minutes)
  // Where a day's series starts (rhythm_rules.hpp): its waking sample is the first sample inside this window, and
  // a sample before the window belongs to the previous day's series. Required by the diurnal slope and the
  // awakening response; on a cosinor it leaves the awakening-response samples out of the fit. A site setting.
  std::optional<WakingWindow> waking_window;
  // A sample of the series with a component coded so states its waking (valueDateTime: the instant; valueTime: a
  // clock time on the sample's own clock, on its date or the day before): that day's series then runs from the
  // stated waking (rhythm_rules.hpp) instead of the window. A site setting; empty: the window alone.
  std::vector<WakingTimeCode> waking_time_codes;
  // Cosinor: at least this many samples (after the awakening-response samples are left out) whose local clock
  // times span at least this many hours, from the days ending with the latest sample's.
  std::size_t min_samples = 6;
  double min_span_hours = 12;
  int days = 3;
  std::string prefix() const { return code_prefix.empty() ? analyte : code_prefix; }
  friend bool operator==(const RhythmRule&, const RhythmRule&) = default;
};

// Spelt so in gradients.yaml (`rhythms[].kind`).
inline constexpr std::array<EnumText<RhythmRule::Kind>, 3> kRhythmKindText{{
    {RhythmRule::Kind::diurnal_slope, "diurnal-slope"},
    {RhythmRule::Kind::awakening_response, "awakening-response"},
    {RhythmRule::Kind::cosinor, "cosinor"},
}};

std::string_view to_string(RhythmRule::Kind kind);  // kRhythmKindText
std::optional<RhythmRule::Kind> rhythm_kind_from_string(std::string_view text);

// A value derived from several analytes by a published formula (derived.hpp). Each formula has input roles
// (derived_roles()): testosterone, shbg and albumin for calculated free testosterone (albumin optional: without
// one, default_albumin_g_l), testosterone and shbg for the free androgen index, glucose (with "fasting" timing)
// and insulin for HOMA-IR. `inputs` names the catalogue analyte that fills each role; a role it leaves out is
// filled by the analyte of the same id. The most recent anchor result (the first role: testosterone, the fasting
// glucose) is taken with the closest partner results within the window. The formula computes in its own unit
// (derived_unit()); `unit`, when set, is the unit the value is reported in (rescaled when it differs).
struct DerivedRule {
  enum class Formula {
    free_testosterone_vermeulen,  // "free-testosterone-calculated", pmol/L
    free_androgen_index,          // "free-androgen-index", 1
    homa_ir,                      // "homa-ir", 1
  };
  struct Input {
    std::string role;     // "shbg"
    std::string analyte;  // the catalogue's analyte id: "shbg"
    friend bool operator==(const Input&, const Input&) = default;
  };
  Formula formula = Formula::free_androgen_index;
  std::string code;
  std::string display;
  std::vector<Input> inputs;  // empty: every role's analyte has the role's name
  std::string unit;           // UCUM; empty: the formula's own unit
  std::chrono::seconds window = std::chrono::hours{24};
  double default_albumin_g_l = 43;  // Vermeulen only: used, and said in a note, when no albumin is in the window
  // The analyte filling `role`: the one `inputs` names, else the role's own name.
  std::string_view input(std::string_view role) const;
  // The unit the value is reported in: `unit`, or the formula's own.
  std::string_view output_unit() const;
  friend bool operator==(const DerivedRule&, const DerivedRule&) = default;
};

// Spelt so in gradients.yaml (`derived[].formula`).
inline constexpr std::array<EnumText<DerivedRule::Formula>, 3> kDerivedFormulaText{{
    {DerivedRule::Formula::free_testosterone_vermeulen, "vermeulen-free-testosterone"},
    {DerivedRule::Formula::free_androgen_index, "free-androgen-index"},
    {DerivedRule::Formula::homa_ir, "homa-ir"},
}};

std::string_view to_string(DerivedRule::Formula formula);  // kDerivedFormulaText
std::optional<DerivedRule::Formula> derived_formula_from_string(std::string_view text);
// The formula's input roles, the anchor first, and the roles it can do without (albumin).
std::vector<std::string_view> derived_roles(DerivedRule::Formula formula);
bool derived_role_optional(DerivedRule::Formula formula, std::string_view role);
// The UCUM unit the formula computes in: "pmol/L" (calculated free testosterone), "1" (FAI, HOMA-IR).
std::string_view derived_unit(DerivedRule::Formula formula);

// How a gradient's change since its previous value is judged (analytics/trend.hpp): the log-normal reference
// change limits exp(+-z * sqrt(2) * sigma) - 1, sigma^2 = ln(1 + sum of CV^2). z = 1.96 is two-sided at 95 %
// probability (Fraser CG, Biological Variation: From Principles to Practice, AACC Press 2001, pp. 67-90, as quoted
// at biologicalvariation.com/RCV.html).
struct TrendSettings {
  double z = 1.96;
  friend bool operator==(const TrendSettings&, const TrendSettings&) = default;
};

struct GradientRules {
  std::vector<RatioRule> ratios;
  std::vector<RhythmRule> rhythms;
  std::vector<DerivedRule> derived;
  TrendSettings trends;
  friend bool operator==(const GradientRules&, const GradientRules&) = default;
};

// What rhythm rules write: one entry per code "<prefix>-<suffix>" (RhythmRule::prefix()). The one list that
// emission (rhythm_rules.cpp) and validation (rhythm_codes()) read; config/terminology/gradient.codesystem.json
// publishes the codes it gives with the shipped rules (tests/gateway/codesystem_test.cpp checks both agree).
enum class RhythmOutput {
  diurnal_slope,                    // <p>-diurnal-slope, the rule's unit per hour
  car_aucg,                         // <p>-car-aucg, the rule's unit times minutes
  car_auci,                         // <p>-car-auci, likewise
  cosinor_mesor,                    // <p>-cosinor-mesor, the rule's unit
  cosinor_amplitude,                // <p>-cosinor-amplitude, the rule's unit
  cosinor_acrophase,                // <p>-cosinor-acrophase, h (local clock time)
  cosinor_residual_standard_error,  // component of the three cosinor values, the rule's unit
  cosinor_p_value,                  // component of the three cosinor values, 1
  dose_peak,                        // <p>-dose-peak, the rule's unit: the series' dose curve, any kind
  dose_trough,                      // <p>-dose-trough, likewise
};
struct RhythmOutputSpec {
  enum class Unit { rule, per_hour, times_minutes, hours, one };
  RhythmOutput output;
  std::string_view suffix;               // "car-aucg"
  std::optional<RhythmRule::Kind> kind;  // none: the dose curve of the rule's series (dose_curve_codes())
  bool component;                        // a component of the kind's gradients, not a gradient of its own
  Unit unit;
};
const RhythmOutputSpec& rhythm_output(RhythmOutput output);
std::string rhythm_code(const RhythmRule& rule, RhythmOutput output);  // "cortisol-serum-cosinor-mesor"
std::string rhythm_unit(const RhythmRule& rule, RhythmOutput output);  // "nmol.min/L"

// The codes a rhythm rule emits as gradients ("cortisol-car-aucg", "cortisol-serum-cosinor-mesor", ...), and as
// components of them ("cortisol-cosinor-p-value").
std::vector<std::string> rhythm_codes(const RhythmRule& rule);
std::vector<std::string> rhythm_component_codes(const RhythmRule& rule);
// The codes of the rule's series evaluated as a dose curve under glucocorticoid replacement ("<prefix>-dose-peak",
// "<prefix>-dose-trough": "cortisol-dose-peak" for saliva, "cortisol-serum-dose-peak" for serum), which take the
// place of the rhythm's codes then. Rules of one series share them.
std::vector<std::string> dose_curve_codes(const RhythmRule& rule);
// Every gradient code the rules emit, in rule order.
std::vector<std::string> gradient_codes(const GradientRules& rules);
// The unit of a gradient code the rules emit (a ratio's, a derived value's output unit, a rhythm output's);
// nothing for a code no rule emits.
std::optional<std::string> gradient_unit(const GradientRules& rules, std::string_view code);

// Component codes in the gradient code system that no rule names: an input's hours since its dose
// (analytics/analysis.cpp, rhythm_rules.cpp) and the trend's figures (gateway/pipeline/write_back.cpp).
inline constexpr std::string_view kHoursSinceDoseCode = "hours-since-dose";
inline constexpr std::string_view kTrendComponentCodes[] = {"trend-previous-value", "trend-change-percent",
                                                            "trend-rcv-up-percent", "trend-rcv-down-percent"};

}  // namespace gg::analytics
