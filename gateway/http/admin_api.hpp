// Read-only operator endpoints beside /metrics: what the gateway did with a given resource. Each route reads its
// own query parameters (percent-decoded, http/query.hpp) and answers a problem as an OperationOutcome.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/message.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

// GET /admin/events?type=Observation&id=123: the intake events of that resource as JSON
// ({"events":[{"seq":..,"versionId":..,"source":..,"state":..,"attempts":..,"receivedAt":..,"lastError":..}]}).
// Payloads are patient data and are never included. A malformed target is a 400.
HttpResponse admin_events(StateStore& store, const HttpRequest& request);

// GET /admin/rejections[?observation=Observation/123][&limit=N]: the hormone results that could not be used, most
// recent first, as a FHIR Bundle (type collection) of their OperationOutcomes. A limit outside 1..1000 or a
// malformed target is a 400.
HttpResponse admin_rejections(StateStore& store, const HttpRequest& request);

// POST /admin/events/retry: re-drives dead events (and failed ones with failed=true) back to pending, due now,
// with 0 attempts (EventQueue::redrive); optionally only those received since an instant. The parameters come in
// the query (?since=2026-11-25T00:00:00Z&failed=true) or a JSON object body ({"since": "...", "failed": true}; its
// members win over the query's). Answers {"redriven": N}, counts N in redriven and logs events.redriven. A since
// that is not a dateTime with time and zone nor a date, a failed that is not true or false, or a body that is not
// such an object is a 400 OperationOutcome and re-drives nothing; a store failure is a 503.
HttpResponse admin_events_retry(StateStore& store, const HttpRequest& request, const Clock& clock,
                                Counter& redriven);

// The limit parameter's value: 100 when it is absent or empty, a whole number from 1 to 1000 otherwise; nullopt
// for anything else ("0", "1001", "abc", "10x").
std::optional<std::size_t> rejections_limit(std::string_view text);

// The bodies of the two routes.
std::string events_json(StateStore& store, const std::string& resource_type, const std::string& resource_id);
std::string rejections_bundle(StateStore& store, const std::string& observation, std::size_t limit);

}  // namespace gg::gateway
