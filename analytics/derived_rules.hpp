// Derived-value gradients: calculated free testosterone (Vermeulen 1999), the free androgen index and HOMA-IR
// from the patient's results, each a Gradient naming every input it used. The formulas are derived.hpp's; which
// results feed them is decided here.
#pragma once

#include <optional>
#include <span>

#include "analytics/gradient.hpp"
#include "analytics/gradient_rules.hpp"

namespace gg::analytics {

// The rule's gradient from the most recent anchor result that has its partners within the window (serum or
// plasma, exact values only); nothing when no such set exists.
std::optional<Gradient> compute_derived(const DerivedRule& rule, std::span<const Measurement> measurements);

// The gradient before `current` (what compute_derived() returned), for its trend: from the most recent anchor
// strictly older than `current`'s anchor whose partners are found within the window, none of them an input of
// `current` (an anchor whose closest partner `current` used is passed over). Nothing when there is none.
std::optional<Gradient> previous_derived(const DerivedRule& rule, std::span<const Measurement> measurements,
                                         const Gradient& current);

}  // namespace gg::analytics
