// The Subscription the gateway keeps on the FHIR server, whatever its kind: the classic rest-hook one
// (subscription_manager.hpp), the Backport IG topic-based one (topic_subscription.hpp) or the websocket one
// (websocket_subscription.hpp). Each kind knows how to make it exist and be active (ensure) and how to read it
// back; what counts as lost, the scheduled check and the repair loop are written once, here (issue 11, item 5:
// "the Subscription is verified on a schedule and recreated when it is missing or errored; /readyz reports its
// real state").
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "fhir/client.hpp"
#include "gateway/store/state_store.hpp"

namespace gg::gateway {

// The server id of the active Subscription, or why there is none (without secrets).
using EnsureResult = boost::system::result<std::string, std::string>;

// The scheduled check: empty when the Subscription is on the server, unchanged and active; else what is wrong
// with it (gone, changed, errored, not active). An error when the server could not be asked (it is down: the
// circuit breaker and /readyz's fhirServer already say so, and the Subscription is not lost for that).
using VerifyResult = boost::system::result<std::string, std::string>;

// What a read of Subscription/{id} found, as much as the decision needs.
struct SubscriptionFound {
  unsigned http_status = 0;  // 2xx: read; 404 (never was) or 410 (deleted): gone
  std::string status;        // requested | active | error | off
  bool serves_spec = false;  // criteria, channel, endpoint, header as the gateway wants them (the kind's matcher)
};

// The decision, pure: empty when nothing is wrong, else the reason (for the log; no secrets, no patient data).
// Gone before errored before changed before not active: the first that applies names what the repair must do.
std::string subscription_lost_reason(std::string_view id, const SubscriptionFound& found);

// GET Subscription/{id} through the client seam, for the kinds fhir::Subscription models (rest-hook, websocket);
// `serves` is the kind's matcher.
boost::asio::awaitable<fhir::RestResult<SubscriptionFound>> read_subscription(
    fhir::Client& client, std::string id, std::function<bool(const fhir::Subscription&)> serves);

class SubscriptionKeeper {
 public:
  // Finds, creates or repairs the Subscription, and waits until the server reports it active.
  using Ensure = std::function<boost::asio::awaitable<EnsureResult>()>;
  // GET Subscription/{id}: 404 and 410 are values (SubscriptionFound::http_status), other failures errors.
  using Read = std::function<boost::asio::awaitable<fhir::RestResult<SubscriptionFound>>(std::string id)>;

  // mode: "rest-hook", "topic" or "websocket"; also the state store's name for the Subscription's id. The
  // functions must not be coroutines themselves (their captures would die before the coroutine ends): they call
  // one, which copies its arguments.
  SubscriptionKeeper(StateStore& store, std::string mode, Ensure ensure, Read read);

  const std::string& mode() const { return mode_; }
  boost::asio::awaitable<EnsureResult> ensure() const { return ensure_(); }

  // The scheduled check of the Subscription whose id the state store holds (see VerifyResult). The same for
  // every kind: read it, then subscription_lost_reason.
  boost::asio::awaitable<VerifyResult> verify() const;

 private:
  StateStore* store_;
  std::string mode_;
  Ensure ensure_;
  Read read_;
};

struct KeepOptions {
  std::chrono::seconds verify_interval{30};  // subscription.verify_interval_s
  std::chrono::seconds retry{15};            // the wait after a failed ensure (at most verify_interval)
};

// Keeps the Subscription until the io_context stops: ensure() it, then verify() it every verify_interval; when it
// is lost, logs subscription.lost, calls on_active(false), and ensures it again. on_active(true) after each
// successful ensure: the caller sets /readyz and runs a catch-up search for what changed while it was not active.
boost::asio::awaitable<void> keep_subscription(const SubscriptionKeeper& keeper, KeepOptions options,
                                               std::function<void(bool active)> on_active);

}  // namespace gg::gateway
