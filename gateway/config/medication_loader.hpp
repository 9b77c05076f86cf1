// Loads config/terminology/medications.yaml (schema at the top of the shipped file) into the medication catalogue
// dose timing reads (analytics/dosing.hpp). A missing file means no medication is recognised; a broken one is a
// configuration error, reported with every problem's location like the other knowledge files.
#pragma once

#include <string>
#include <vector>

#include "analytics/catalogue.hpp"
#include "analytics/dosing.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

analytics::MedicationCatalogue read_medications(const std::string& file, const analytics::Catalogue& analytes,
                                                std::vector<ConfigProblem>& problems);

}  // namespace gg::gateway
