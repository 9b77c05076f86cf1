// subscription.mode: topic. Makes sure the FHIR server holds our R4 topic and a topic-based Subscription on it
// (Subscriptions R5 Backport IG, http://hl7.org/fhir/uv/subscriptions-backport/), and waits until it is active.
//   - The topic: an R4 `Basic` with code fhir-types#SubscriptionTopic and the SubscriptionTopic extensions (the
//     IG's R4 representation), triggered by Observation create and update, filterable by `code`.
//   - The Subscription: profile backport-subscription, criteria = the topic's canonical URL, the catalogue's codes
//   as
//     backport-filter-criteria on `criteria`, channel rest-hook to our notification endpoint with the
//     shared-secret header, payload application/fhir+json with backport-payload-content full-resource.
// fhir::Subscription does not model those extensions, so both resources are written and read as JSON here.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/rest_client.hpp"
#include "gateway/ingress/subscription_keeper.hpp"
#include "gateway/store/state_store.hpp"

namespace gg::gateway {

// Our topic's canonical URL (SubscriptionTopic.url): one topic, "a hormone-result Observation changed".
inline constexpr std::string_view kHormoneTopicUrl =
    "http://gradient-gateway.dev/fhir/SubscriptionTopic/observation-changed";

struct TopicSubscriptionSpec {
  std::string topic_url = std::string(kHormoneTopicUrl);
  std::string filter;    // "Observation?code=http://loinc.org|2143-6,..." (subscription_criteria)
  std::string endpoint;  // public base URL + notification path
  std::string header;    // "X-Gradient-Secret: value"
  std::string reason = "Gradient Gateway: hormone results for gradient analysis (topic-based)";
};

// The Basic resource carrying our topic (no id: the server assigns it).
std::string topic_basic_json(const TopicSubscriptionSpec& spec);

// The backport Subscription; `id` empty for a create, the server's id for an update.
std::string topic_subscription_json(const TopicSubscriptionSpec& spec, std::string_view id = {});

// Whether a Subscription (its JSON) already does what spec asks: our topic, filter, endpoint, header and
// full-resource content, and not off or in error.
bool topic_subscription_matches(std::string_view subscription_json, const TopicSubscriptionSpec& spec);

// Finds or creates the topic, then finds (by the id kept in the state store, else by endpoint), creates or updates
// the Subscription, and polls until the server reports it active or activation_timeout passes. The result is the
// Subscription's server id, or why there is none (without secrets).
boost::asio::awaitable<EnsureResult> ensure_topic_subscription(fhir::RestClient& client, StateStore& store,
                                                               TopicSubscriptionSpec spec,
                                                               std::chrono::seconds activation_timeout);

// What the server's answer to GET Subscription/{id} (its status and body) says for the scheduled check.
SubscriptionFound topic_subscription_found(unsigned http_status, std::string_view body,
                                           const TopicSubscriptionSpec& spec);

// subscription.mode: topic, kept on a schedule (subscription_keeper.hpp).
SubscriptionKeeper topic_keeper(fhir::RestClient& client, StateStore& store, const TopicSubscriptionSpec& spec,
                                std::chrono::seconds activation_timeout);

}  // namespace gg::gateway
