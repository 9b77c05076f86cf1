// Loads config/terminology/analytes.yaml (schema at the top of the shipped file): the analyte catalogue, with
// each analyte's canonical unit, molar mass, LOINC codes and plausible range. validate_catalogue() checks its
// meaning once the whole knowledge is read.
#pragma once

#include <string>
#include <vector>

#include "analytics/catalogue.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

std::vector<analytics::Analyte> read_catalogue(const std::string& file, std::vector<ConfigProblem>& problems);

}  // namespace gg::gateway
