// `gradient-gateway backfill`: history from files (NDJSON bulk exports, Bundles) analysed exactly as the service
// would and written to the FHIR server, one conditional-create transaction per patient, with a progress display.
// Rerunning it writes nothing twice (deterministic identifiers, If-None-Exist).
#pragma once

#include <iosfwd>

#include "gateway/commands/analyze_command.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

// Returns the exit status: 0 when every input was processed and written, 1 when some were rejected or a
// transaction failed.
int run_backfill(const Config& config, const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                 std::ostream& err);

}  // namespace gg::gateway
