#include "gateway/ingress/subscription_manager.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fhir/url.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

constexpr std::string_view kStoreName = "rest-hook";
constexpr std::string_view kPayload = "application/fhir+json";
// HAPI's channel extension: deletes are delivered too (DELETE {endpoint}/{type}/{id}), so that a deleted input
// retracts what was written from it (shared/HAPI-NOTES.md, "R4 REST-hook delivery").
constexpr std::string_view kSendDeletes =
    "http://hapifhir.io/fhir/StructureDefinition/subscription-send-delete-messages";

}  // namespace

std::string subscription_criteria(const std::vector<std::pair<std::string, std::string>>& codes) {
  std::string criteria = "Observation?code=";
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (i > 0) criteria += ',';
    criteria += codes[i].first + "|" + codes[i].second;
  }
  return criteria;
}

fhir::Subscription desired_subscription(const SubscriptionSpec& spec) {
  fhir::Subscription subscription;
  subscription.status = "requested";
  subscription.reason = spec.reason;
  subscription.criteria = spec.criteria;
  subscription.channel.type = "rest-hook";
  subscription.channel.endpoint = spec.endpoint;
  subscription.channel.payload = std::string(kPayload);
  subscription.channel.header = {spec.header};
  subscription.channel.extension_flags = {{std::string(kSendDeletes), true}};
  return subscription;
}

bool subscription_matches(const fhir::Subscription& existing, const SubscriptionSpec& spec) {
  return existing.criteria == spec.criteria && existing.channel.type == "rest-hook" &&
         existing.channel.endpoint == spec.endpoint && existing.channel.payload.rfind(kPayload, 0) == 0 &&
         existing.channel.header == std::vector<std::string>{spec.header} &&
         std::find(existing.channel.extension_flags.begin(), existing.channel.extension_flags.end(),
                   std::pair<std::string, bool>(std::string(kSendDeletes), true)) !=
             existing.channel.extension_flags.end() &&
         existing.status != "off" && existing.status != "error";
}

boost::asio::awaitable<VerifyResult> verify_subscription(fhir::Client& client, StateStore& store,
                                                         SubscriptionSpec spec) {
  const auto keeper = rest_hook_keeper(client, store, spec, std::chrono::seconds(0));
  co_return co_await keeper.verify();
}

SubscriptionKeeper rest_hook_keeper(fhir::Client& client, StateStore& store, const SubscriptionSpec& spec,
                                    std::chrono::seconds activation_timeout) {
  return SubscriptionKeeper(
      store, std::string(kStoreName),
      [&client, &store, spec, activation_timeout] {
        return ensure_subscription(client, store, spec, activation_timeout);
      },
      [&client, spec](std::string id) {
        return read_subscription(client, std::move(id), [spec](const fhir::Subscription& found) {
          return subscription_matches(found, spec);
        });
      });
}

boost::asio::awaitable<EnsureResult> ensure_subscription(fhir::Client& client, StateStore& store,
                                                         SubscriptionSpec spec,
                                                         std::chrono::seconds activation_timeout) {
  const auto fail = [](std::string why) { return EnsureResult(boost::system::in_place_error, std::move(why)); };
  std::optional<fhir::Subscription> existing;

  if (auto known = store.subscription_id(std::string(kStoreName))) {
    auto read = co_await client.read<fhir::Subscription>(*known);
    if (!read.has_value()) {
      co_return fail("cannot read Subscription/" + *known + ": " + read.error().message);
    }
    existing = std::move(read->resource);
  }
  if (!existing) {
    auto found = co_await client.search("Subscription", "url=" + fhir::percent_encode(spec.endpoint));
    if (!found.has_value()) {
      co_return fail("cannot search Subscriptions: " + found.error().message);
    }
    for (const auto& resource : found->resources) {
      if (const auto* subscription = std::get_if<fhir::Subscription>(&resource)) {
        existing = *subscription;
        if (subscription_matches(*subscription, spec)) break;
      }
    }
  }

  std::string id;
  if (existing && subscription_matches(*existing, spec)) {
    id = existing->id;
    log(LogLevel::info, "subscription.found", {{"id", id}, {"status", existing->status}});
  } else {
    auto wanted = desired_subscription(spec);
    std::string method = "POST";
    if (existing) {
      wanted.id = existing->id;
      method = "PUT";
    }
    // A local, not a temporary of the co_await expression: GCC 12 destroys those wrongly in a coroutine.
    const fhir::Resource resource{std::move(wanted)};
    fhir::RestResult<fhir::Resource> written;
    if (existing) {
      written = co_await client.update(resource);
    } else {
      written = co_await client.create(resource);
    }
    if (!written.has_value()) {
      co_return fail("cannot " + method + " the Subscription: " + written.error().message);
    }
    const auto* created = std::get_if<fhir::Subscription>(&*written);
    if (!created || created->id.empty()) {
      co_return fail("the server's answer to " + method + " Subscription is not a Subscription");
    }
    id = created->id;
    log(LogLevel::info, existing ? "subscription.updated" : "subscription.created", {{"id", id}});
  }
  store.set_subscription_id(std::string(kStoreName), id);

  // The server activates a Subscription asynchronously (HAPI: a scheduled job, every 5 s): poll for it.
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + activation_timeout;
  while (true) {
    auto read = co_await client.read<fhir::Subscription>(id);
    if (read.has_value() && read->status == 200) {
      if (const auto& current = read->resource) {
        if (current->status == "active") {
          log(LogLevel::info, "subscription.active", {{"id", id}});
          co_return EnsureResult(boost::system::in_place_value, id);
        }
        if (current->status == "error") {
          co_return fail("the server set Subscription/" + id + " to error: " + current->error);
        }
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      co_return fail("Subscription/" + id + " did not become active in time");
    }
    timer.expires_after(std::chrono::milliseconds(500));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace gg::gateway
