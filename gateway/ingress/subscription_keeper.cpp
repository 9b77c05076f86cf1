#include "gateway/ingress/subscription_keeper.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/telemetry/log.hpp"

namespace gg::gateway {

std::string subscription_lost_reason(std::string_view id, const SubscriptionFound& found) {
  const std::string name = "Subscription/" + std::string(id);
  if (id.empty()) return "none recorded";
  if (found.http_status == 404 || found.http_status == 410) {
    return name + " is gone (HTTP " + std::to_string(found.http_status) + ")";
  }
  // The server gave up on it (R4 Subscription.status: error, or off by someone's hand): it delivers nothing.
  if (found.status == "error" || found.status == "off") return name + " is " + found.status;
  if (!found.serves_spec) return name + " was changed (status " + found.status + ")";
  // requested: someone wrote it again and the server has not activated it yet; ensure() waits for that.
  if (found.status != "active") return name + " is " + found.status + ", not active";
  return {};
}

boost::asio::awaitable<fhir::RestResult<SubscriptionFound>> read_subscription(
    fhir::Client& client, std::string id, std::function<bool(const fhir::Subscription&)> serves) {
  auto read = co_await client.read<fhir::Subscription>(std::move(id));
  if (!read) co_return fhir::RestResult<SubscriptionFound>(boost::system::in_place_error, read.error());
  SubscriptionFound found{read->status, {}, false};
  if (read->resource) {
    found.status = read->resource->status;
    found.serves_spec = serves(*read->resource);
  }
  co_return fhir::RestResult<SubscriptionFound>(boost::system::in_place_value, std::move(found));
}

SubscriptionKeeper::SubscriptionKeeper(StateStore& store, std::string mode, Ensure ensure, Read read)
    : store_(&store), mode_(std::move(mode)), ensure_(std::move(ensure)), read_(std::move(read)) {}

boost::asio::awaitable<VerifyResult> SubscriptionKeeper::verify() const {
  const auto known = store_->subscription_id(mode_);
  if (!known) co_return VerifyResult(boost::system::in_place_value, subscription_lost_reason({}, {}));
  std::string id = *known;  // a local, not a temporary of the co_await expression (GCC 12)
  auto found = co_await read_(std::move(id));
  if (!found) co_return VerifyResult(boost::system::in_place_error, found.error().message);
  co_return VerifyResult(boost::system::in_place_value, subscription_lost_reason(*known, *found));
}

boost::asio::awaitable<void> keep_subscription(const SubscriptionKeeper& keeper, KeepOptions options,
                                               std::function<void(bool active)> on_active) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  bool active = false;
  while (true) {
    if (!active) {
      auto result = co_await keeper.ensure();
      if (result) {
        active = true;
        on_active(true);
      } else {
        log(LogLevel::error, "subscription.not-active", {{"mode", keeper.mode()}, {"error", result.error()}});
      }
    }
    timer.expires_after(active ? options.verify_interval : std::min(options.retry, options.verify_interval));
    co_await timer.async_wait(boost::asio::use_awaitable);
    if (!active) continue;
    auto verified = co_await keeper.verify();
    if (verified && !verified->empty()) {
      active = false;
      on_active(false);
      log(LogLevel::error, "subscription.lost", {{"mode", keeper.mode()}, {"reason", *verified}});
    }
  }
}

}  // namespace gg::gateway
