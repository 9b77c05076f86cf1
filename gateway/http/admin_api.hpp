// Read-only operator endpoints beside /metrics: what the gateway did with a given resource. Each route reads its
// own query parameters (percent-decoded, http/query.hpp) and answers a problem as an OperationOutcome.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/message.hpp"
#include "gateway/store/state_store.hpp"

namespace gg::gateway {

// GET /admin/events?type=Observation&id=123: the intake events of that resource as JSON
// ({"events":[{"seq":..,"versionId":..,"source":..,"state":..,"attempts":..,"receivedAt":..,"lastError":..}]}).
// Payloads are patient data and are never included. A malformed target is a 400.
HttpResponse admin_events(StateStore& store, const HttpRequest& request);

// GET /admin/rejections[?observation=Observation/123][&limit=N]: the hormone results that could not be used, most
// recent first, as a FHIR Bundle (type collection) of their OperationOutcomes. A limit outside 1..1000 or a
// malformed target is a 400.
HttpResponse admin_rejections(StateStore& store, const HttpRequest& request);

// The limit parameter's value: 100 when it is absent or empty, a whole number from 1 to 1000 otherwise; nullopt
// for anything else ("0", "1001", "abc", "10x").
std::optional<std::size_t> rejections_limit(std::string_view text);

// The bodies of the two routes.
std::string events_json(StateStore& store, const std::string& resource_type, const std::string& resource_id);
std::string rejections_bundle(StateStore& store, const std::string& observation, std::size_t limit);

}  // namespace gg::gateway
