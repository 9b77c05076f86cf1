#include "gateway/ingress/subscription_manager.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fhir/json_codec.hpp"
#include "fhir/url.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

constexpr std::string_view kStoreName = "rest-hook";
constexpr std::string_view kPayload = "application/fhir+json";

std::optional<fhir::Subscription> as_subscription(const std::string& body) {
  auto decoded = fhir::decode_resource(body);
  if (!decoded.ok()) return std::nullopt;
  if (auto* subscription = std::get_if<fhir::Subscription>(&*decoded.value)) return *subscription;
  return std::nullopt;
}

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
  return subscription;
}

bool subscription_matches(const fhir::Subscription& existing, const SubscriptionSpec& spec) {
  return existing.criteria == spec.criteria && existing.channel.type == "rest-hook" &&
         existing.channel.endpoint == spec.endpoint && existing.channel.payload.rfind(kPayload, 0) == 0 &&
         existing.channel.header == std::vector<std::string>{spec.header} && existing.status != "off";
}

boost::asio::awaitable<EnsureResult> ensure_subscription(fhir::RestClient& client, StateStore& store,
                                                         SubscriptionSpec spec,
                                                         std::chrono::seconds activation_timeout) {
  EnsureResult result;
  std::optional<fhir::Subscription> existing;

  if (auto known = store.subscription_id(std::string(kStoreName))) {
    auto read = co_await client.read("Subscription", *known);
    if (!read.ok()) {
      result.error = "cannot read Subscription/" + *known + ": " + read.error->message;
      co_return result;
    }
    if (read.value->status == 200) existing = as_subscription(read.value->body);
  }
  if (!existing) {
    auto found = co_await client.search("Subscription", "url=" + fhir::percent_encode(spec.endpoint));
    if (!found.ok()) {
      result.error = "cannot search Subscriptions: " + found.error->message;
      co_return result;
    }
    for (const auto& resource : found.value->resources) {
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
    std::string target = "Subscription";
    if (existing) {
      wanted.id = existing->id;
      method = "PUT";
      target = "Subscription/" + existing->id;
    }
    auto written = co_await client.request(method, target, fhir::to_json(fhir::Resource{wanted}));
    if (!written.ok() || written.value->status >= 300) {
      result.error = "cannot " + method + " the Subscription: " +
                     (written.ok() ? "status " + std::to_string(written.value->status) : written.error->message);
      co_return result;
    }
    auto created = as_subscription(written.value->body);
    if (!created || created->id.empty()) {
      result.error = "the server's answer to " + method + " Subscription is not a Subscription";
      co_return result;
    }
    id = created->id;
    log(LogLevel::info, existing ? "subscription.updated" : "subscription.created", {{"id", id}});
  }
  store.set_subscription_id(std::string(kStoreName), id);

  // The server activates a Subscription asynchronously (HAPI: a scheduled job, every 5 s): poll for it.
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + activation_timeout;
  while (true) {
    auto read = co_await client.read("Subscription", id);
    if (read.ok() && read.value->status == 200) {
      if (auto current = as_subscription(read.value->body)) {
        if (current->status == "active") {
          result.ok = true;
          result.id = id;
          log(LogLevel::info, "subscription.active", {{"id", id}});
          co_return result;
        }
        if (current->status == "error") {
          result.error = "the server set Subscription/" + id + " to error: " + current->error;
          co_return result;
        }
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      result.error = "Subscription/" + id + " did not become active in time";
      co_return result;
    }
    timer.expires_after(std::chrono::milliseconds(500));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace gg::gateway
