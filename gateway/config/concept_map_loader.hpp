// Loads every *.json in config/terminology/ that is a FHIR R4 ConceptMap: mappings from a site's own lab codes to
// LOINC. Equivalence equivalent, equal, wider or subsumes maps a result; the others never do. A CodeSystem there
// is the gateway's published vocabulary (gradient.codesystem.json), not a mapping, and is passed over; any other
// resource is an error.
#pragma once

#include <string>
#include <vector>

#include "analytics/catalogue.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

std::vector<analytics::LocalCodeMapping> read_concept_maps(const std::string& dir,
                                                           std::vector<ConfigProblem>& problems);

}  // namespace gg::gateway
