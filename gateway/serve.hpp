// `gradient-gateway serve`: the long-running service, and the composition root: the only place that wires rooms
// together. It wires the state store, the FHIR client, the pipeline, the notification endpoint, the router
// (http/router.hpp) and the HTTP server on one io_context with a small thread pool, starts the FHIR reachability
// probe (http/probes.hpp) and the Subscription upkeep, and stops cleanly on SIGINT or SIGTERM.
#pragma once

#include "gateway/config/config.hpp"
#include "gateway/config/knowledge_loader.hpp"

namespace gg::gateway {

// Returns the process exit status.
int run_service(const Config& config, const LoadedKnowledge& knowledge);

}  // namespace gg::gateway
