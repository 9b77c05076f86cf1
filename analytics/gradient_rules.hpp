// Gradient rules: which relationships between hormones are computed. Data from config/rules/gradients.yaml; the
// codes are part of the external contract (shared/ARCHITECTURE.md, "Derived Observation codes"). Issue 4 adds
// derived-value, rhythm and trend rules beside RatioRule.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/catalogue.hpp"

namespace gg::analytics {

inline constexpr std::string_view kGradientCodeSystem = "http://gradient-gateway.dev/fhir/CodeSystem/gradient";

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
  friend bool operator==(const RatioRule&, const RatioRule&) = default;
};

struct GradientRules {
  std::vector<RatioRule> ratios;
  friend bool operator==(const GradientRules&, const GradientRules&) = default;
};

}  // namespace gg::analytics
