#include "gateway/ingress/websocket_subscription.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

// The state store's name for this Subscription's id, beside the rest-hook one.
constexpr std::string_view kStoreName = "websocket";
constexpr std::string_view kChannelType = "websocket";
// How often the activation is polled (HAPI activates from a scheduled job: shared/HAPI-NOTES.md "Timing").
constexpr auto kActivationPoll = std::chrono::milliseconds(500);

}  // namespace

fhir::Subscription desired_websocket_subscription(const WebsocketSubscriptionSpec& spec) {
  fhir::Subscription subscription;
  subscription.status = "requested";
  subscription.reason = spec.reason;
  subscription.criteria = spec.criteria;
  subscription.channel.type = std::string(kChannelType);
  return subscription;
}

bool websocket_subscription_matches(const fhir::Subscription& existing, const WebsocketSubscriptionSpec& spec) {
  return existing.channel.type == kChannelType && existing.criteria == spec.criteria && existing.status != "off" &&
         existing.status != "error";
}

boost::asio::awaitable<WebsocketSubscriptionResult> ensure_websocket_subscription(
    fhir::Client& client, StateStore& store, WebsocketSubscriptionSpec spec,
    std::chrono::seconds activation_timeout) {
  const auto fail = [](std::string why) {
    return WebsocketSubscriptionResult(boost::system::in_place_error, std::move(why));
  };
  const std::string store_name(kStoreName);
  std::optional<fhir::Subscription> existing;  // the one we remembered (matching or not)

  if (auto known = store.subscription_id(store_name)) {
    auto read = co_await client.read<fhir::Subscription>(*known);
    if (!read.has_value()) co_return fail("cannot read Subscription/" + *known + ": " + read.error().message);
    existing = std::move(read->resource);  // empty when it is gone (404, 410)
  }
  std::string id;
  if (existing && websocket_subscription_matches(*existing, spec)) id = existing->id;
  if (id.empty()) {
    auto found = co_await client.search("Subscription", "type=websocket");
    if (!found.has_value()) co_return fail("cannot search Subscriptions: " + found.error().message);
    for (const auto& resource : found->resources) {
      const auto* subscription = std::get_if<fhir::Subscription>(&resource);
      if (subscription && websocket_subscription_matches(*subscription, spec)) {
        id = subscription->id;
        break;
      }
    }
  }
  if (!id.empty()) {
    log(LogLevel::info, "websocket.subscription-found", {{"id", id}});
  } else if (!spec.create) {
    co_return fail(
        "the server holds no websocket Subscription with the catalogue's criteria, and "
        "subscription.manage is false");
  } else {
    auto wanted = desired_websocket_subscription(spec);
    const bool update = existing.has_value();
    if (update) wanted.id = existing->id;
    // A local, not a temporary of the co_await expression: GCC 12 destroys those wrongly in a coroutine.
    const fhir::Resource resource{std::move(wanted)};
    fhir::RestResult<fhir::Resource> written;
    if (update) {
      written = co_await client.update(resource);
    } else {
      written = co_await client.create(resource);
    }
    if (!written.has_value()) {
      co_return fail(std::string("cannot ") + (update ? "PUT" : "POST") +
                     " the websocket Subscription: " + written.error().message);
    }
    const auto* created = std::get_if<fhir::Subscription>(&*written);
    if (!created || created->id.empty()) co_return fail("the server's answer to the Subscription is not one");
    id = created->id;
    log(LogLevel::info, update ? "websocket.subscription-updated" : "websocket.subscription-created",
        {{"id", id}});
  }
  store.set_subscription_id(store_name, id);

  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + activation_timeout;
  while (true) {
    auto read = co_await client.read<fhir::Subscription>(id);
    if (read.has_value() && read->status == 200 && read->resource) {
      if (read->resource->status == "active")
        co_return WebsocketSubscriptionResult(boost::system::in_place_value, id);
      if (read->resource->status == "error") {
        co_return fail("the server set Subscription/" + id + " to error: " + read->resource->error);
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      co_return fail("Subscription/" + id + " did not become active in time");
    }
    timer.expires_after(kActivationPoll);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

SubscriptionKeeper websocket_keeper(fhir::Client& client, StateStore& store, const WebsocketSubscriptionSpec& spec,
                                    std::chrono::seconds activation_timeout) {
  return SubscriptionKeeper(
      store, std::string(kStoreName),
      [&client, &store, spec, activation_timeout] {
        return ensure_websocket_subscription(client, store, spec, activation_timeout);
      },
      [&client, spec](std::string id) {
        return read_subscription(client, std::move(id), [spec](const fhir::Subscription& found) {
          return websocket_subscription_matches(found, spec);
        });
      });
}

}  // namespace gg::gateway
