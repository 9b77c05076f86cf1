// Loads config/terminology/reproductive-status.yaml (schema at the top of the shipped file): the codes of the
// Observations that state a woman's menopausal status or last menstrual period. Optional: without the file, no
// reproductive target range applies.
#pragma once

#include <string>
#include <vector>

#include "analytics/reproductive.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

analytics::ReproductiveCodes read_reproductive_codes(const std::string& file,
                                                     std::vector<ConfigProblem>& problems);

}  // namespace gg::gateway
