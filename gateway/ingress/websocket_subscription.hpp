// Makes sure the FHIR server holds an R4 Subscription the WebSocket transport can bind to (channel type
// `websocket`, criteria: the catalogue's hormone codes, no endpoint and no payload: a ping names no resource), and
// waits until it is active. The rest-hook Subscription is gateway/ingress/subscription_manager.hpp's.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <string>

#include "fhir/client.hpp"
#include "fhir/resources.hpp"
#include "gateway/ingress/subscription_keeper.hpp"
#include "gateway/store/state_store.hpp"

namespace gg::gateway {

struct WebsocketSubscriptionSpec {
  std::string criteria;  // subscription_criteria(knowledge.subscription_codes())
  std::string reason = "Gradient Gateway: hormone results for gradient analysis (websocket)";
  // false (subscription.manage: false): use a matching Subscription someone else keeps, never create or change
  // one.
  bool create = true;
};

// The Subscription resource we want on the server.
fhir::Subscription desired_websocket_subscription(const WebsocketSubscriptionSpec& spec);

// Whether an existing Subscription serves the spec: channel type websocket, the same criteria, not off. Any such
// Subscription will do, whoever made it: binding to it gives the same pings.
bool websocket_subscription_matches(const fhir::Subscription& existing, const WebsocketSubscriptionSpec& spec);

// The server id of the active Subscription, or why there is none.
using WebsocketSubscriptionResult = EnsureResult;

// Finds our Subscription (by the id remembered in the state store, else by a search for websocket Subscriptions
// with our criteria), creates it when there is none (spec.create), then polls until the server reports it active
// or activation_timeout passes.
boost::asio::awaitable<WebsocketSubscriptionResult> ensure_websocket_subscription(
    fhir::Client& client, StateStore& store, WebsocketSubscriptionSpec spec,
    std::chrono::seconds activation_timeout);

// subscription.mode: websocket, kept on a schedule (subscription_keeper.hpp). The WebSocket listener ensures it
// before each connection and verifies it while bound: HAPI 8.8 neither closes a bound connection nor tells it when
// its Subscription is deleted, the pings just stop (SubscriptionWebsocketHandler keeps the session).
SubscriptionKeeper websocket_keeper(fhir::Client& client, StateStore& store, const WebsocketSubscriptionSpec& spec,
                                    std::chrono::seconds activation_timeout);

}  // namespace gg::gateway
