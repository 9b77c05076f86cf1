// Read-only operator endpoints beside /metrics: what the gateway did with a given resource.
#pragma once

#include <string>

#include "gateway/store/state_store.hpp"

namespace gg::gateway {

// GET /admin/events?type=Observation&id=123: the intake events of that resource as JSON
// ({"events":[{"seq":..,"versionId":..,"source":..,"state":..,"attempts":..,"receivedAt":..,"lastError":..}]}).
// Payloads are patient data and are never included.
std::string events_json(StateStore& store, const std::string& resource_type, const std::string& resource_id);

// GET /admin/rejections[?observation=Observation/123][&limit=N]: the hormone results that could not be used, most
// recent first, as a FHIR Bundle (type collection) of their OperationOutcomes. limit defaults to 100, at most
// 1000.
std::string rejections_bundle(StateStore& store, const std::string& observation, std::size_t limit);

}  // namespace gg::gateway
