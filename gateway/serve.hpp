// `gradient-gateway serve`: the long-running service. Wires the state store, the FHIR client, the pipeline, the
// notification endpoint and the HTTP server on one io_context with a small thread pool, manages the Subscription,
// and stops cleanly on SIGINT or SIGTERM.
#pragma once

#include "gateway/config/config.hpp"
#include "gateway/config/knowledge_loader.hpp"

namespace gg::gateway {

// Returns the process exit status.
int run_service(const Config& config, const LoadedKnowledge& knowledge);

}  // namespace gg::gateway
