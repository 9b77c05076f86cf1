// The central value type of the analytics: a Gradient (a ratio, a derived value, a rhythm or dose-curve value),
// with its inputs, qualifying components, series period and trend. Every rule kind produces it; assessment,
// trends and the gateway's write-back consume it (issue 9: out of ratio.hpp, where it grew up).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analytics/measurement.hpp"

namespace gg::analytics {

// One input of a gradient, as the derived Observation's derivedFrom and the RiskAssessment's basis name it.
struct GradientInput {
  std::string reference;  // "Observation/123"
  std::string version_id;
  std::string analyte_id;
  UcumValue value;  // in the unit the rule computes with (RatioRule::input_unit)
  EffectiveTime effective;
  ResultStatus status = ResultStatus::final;
  friend bool operator==(const GradientInput&, const GradientInput&) = default;
};

// A further number that qualifies a gradient (a cosinor fit's residual standard error), written as a component.
struct GradientComponent {
  std::string code;  // in kGradientCodeSystem
  std::string display;
  UcumValue value;
  friend bool operator==(const GradientComponent&, const GradientComponent&) = default;
};

// The span of a series' draws, as the first and last inputs wrote their times.
struct GradientPeriod {
  std::string start;
  std::string end;
  friend bool operator==(const GradientPeriod&, const GradientPeriod&) = default;
};

// How a gradient changed since the patient's previous value of the same rule and specimen type (issue 4,
// "Trends"), judged against the two log-normal reference change limits (analytics/trend.hpp). Without them the
// change is reported and not judged.
struct Trend {
  UcumValue previous_value;        // in the gradient's unit
  std::string previous_effective;  // the previous gradient's effective time, as its latest input wrote it
  std::vector<GradientInput> previous_inputs;  // what the previous value was computed from
  double change_percent = 0;                   // 100 * (current - previous) / previous
  // The reference change limits in percent, when every input has variation data: both set or neither.
  std::optional<double> rcv_up_percent;    // > 0: a rise must exceed it
  std::optional<double> rcv_down_percent;  // in (-100, 0): a fall must go below it
  std::string no_rcv_reason;               // why there are no limits (said in the written note); empty with them
  bool significant = false;                // change_percent > rcv_up_percent or change_percent < rcv_down_percent
  bool rising() const { return change_percent > 0; }
  friend bool operator==(const Trend&, const Trend&) = default;
};

struct Gradient {
  std::string code;                           // in kGradientCodeSystem: "cortisol-dheas-ratio"
  std::string display;                        // "Cortisol:DHEA-S molar ratio"
  std::string subject;                        // "Patient/7"
  UcumValue value;                            // {0.121, "1"}
  std::vector<GradientInput> inputs;          // numerator first, then denominator; for a series in time order
  EffectiveTime effective;                    // the latest input's time, as that input wrote it
  std::optional<GradientPeriod> period;       // for a series: its first and last draw (written as effectivePeriod)
  std::vector<GradientComponent> components;  // qualifiers of the value (cosinor fit statistics)
  std::vector<std::string> notes;             // what a reader must know (an assumed default input)
  bool preliminary = false;                   // some input is preliminary
  bool dose_curve = false;                    // a value of a dose curve (its draws are timed on purpose)
  // A bound, not a value, when an input was censored ("<", "<=", ">", ">="): value is the bound.
  std::string comparator;
  std::optional<Trend> trend;  // the change since the previous value of this rule, when one exists
  friend bool operator==(const Gradient&, const Gradient&) = default;
};

}  // namespace gg::analytics
