// Read-only operator endpoints beside /metrics: what the gateway did with a given resource.
#pragma once

#include <string>

#include "gateway/state_store.hpp"

namespace gg::gateway {

// GET /admin/events?type=Observation&id=123: the intake events of that resource as JSON
// ({"events":[{"seq":..,"versionId":..,"source":..,"state":..,"attempts":..,"receivedAt":..,"lastError":..}]}).
// Payloads are patient data and are never included.
std::string events_json(StateStore& store, const std::string& resource_type, const std::string& resource_id);

}  // namespace gg::gateway
