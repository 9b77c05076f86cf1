// Loads config/terminology/biological-variation.yaml (schema at the top of the shipped file): per analyte and
// specimen type, the analytical and within-subject biological CVs that trends are judged with. Optional: without
// the file, changes are reported and none is judged.
#pragma once

#include <string>
#include <vector>

#include "analytics/catalogue.hpp"
#include "analytics/trend.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

// Every entry names a catalogue analyte, and each (id, specimen) appears once.
std::vector<analytics::BiologicalVariation> read_biological_variation(const std::string& file,
                                                                      const analytics::Catalogue& catalogue,
                                                                      std::vector<ConfigProblem>& problems);

}  // namespace gg::gateway
