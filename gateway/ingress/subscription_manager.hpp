// Makes sure the FHIR server holds our R4 Subscription (criteria: the catalogue's hormone codes; channel:
// rest-hook to our notification endpoint with the full resource and the shared-secret header), and waits until it
// is active.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "fhir/client.hpp"
#include "fhir/resources.hpp"
#include "gateway/ingress/subscription_keeper.hpp"
#include "gateway/store/state_store.hpp"

namespace gg::gateway {

struct SubscriptionSpec {
  std::string criteria;  // "Observation?code=http://loinc.org|2143-6,http://loinc.org|2191-5"
  std::string endpoint;  // public base URL + notification path
  std::string header;    // "X-Gradient-Secret: value"
  std::string reason = "Gradient Gateway: hormone results for gradient analysis";
};

// The criteria for a set of (system, code) pairs, as HAPI's in-memory matcher accepts them (a comma OR list).
std::string subscription_criteria(const std::vector<std::pair<std::string, std::string>>& codes);

// The Subscription resource we want on the server.
fhir::Subscription desired_subscription(const SubscriptionSpec& spec);

// Whether an existing Subscription already does what spec asks (same criteria, endpoint, payload and header) and
// is not off or in error (then it is put back to requested).
bool subscription_matches(const fhir::Subscription& existing, const SubscriptionSpec& spec);

// The scheduled check of the Subscription recorded in the state store (SubscriptionKeeper::verify), to be repaired
// by ensure_subscription.
boost::asio::awaitable<VerifyResult> verify_subscription(fhir::Client& client, StateStore& store,
                                                         SubscriptionSpec spec);

// Finds our Subscription (by the id remembered in the state store, else by endpoint), creates or updates it as
// needed, then polls until the server reports it active or activation_timeout passes.
boost::asio::awaitable<EnsureResult> ensure_subscription(fhir::Client& client, StateStore& store,
                                                         SubscriptionSpec spec,
                                                         std::chrono::seconds activation_timeout);

// subscription.mode: rest-hook, kept on a schedule (subscription_keeper.hpp).
SubscriptionKeeper rest_hook_keeper(fhir::Client& client, StateStore& store, const SubscriptionSpec& spec,
                                    std::chrono::seconds activation_timeout);

}  // namespace gg::gateway
