// The WebSocket transport (ARCHITECTURE.md step 1), for sites where the gateway may not open an inbound port: the
// gateway connects out to the FHIR server's subscription WebSocket, binds its websocket Subscription
// (gateway/ingress/websocket_subscription.hpp) and, on each `ping`, wakes the catch-up search
// (gateway/ingress/reconciler.hpp), which reads what changed: a ping carries no resource
// (gateway/ingress/websocket_channel.hpp). A dropped connection is reopened with exponential backoff, and each
// new bind is followed by a catch-up, so what changed while it was down is found by the search.
//
// HAPI sends nothing while nothing changes, so a half-open connection (a NAT or a proxy that forgot it) would look
// like a quiet one: WebSocket ping frames (RFC 6455 section 5.5.2, answered by the server's stack) every half
// keepalive detect it, and the connection is dropped after a keepalive without any frame from the server.
//
// Nor does HAPI close a bound connection when its Subscription is deleted: the pings just stop. So while bound,
// the Subscription is verified every verify_interval (SubscriptionKeeper::verify); when it is lost the connection
// is closed, and the next one ensures (recreates) the Subscription, binds it and catches up.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/ingress/websocket_channel.hpp"
#include "gateway/ingress/websocket_subscription.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

struct WebsocketListenerOptions {
  std::string url;  // ws://host:port/websocket or wss://...
  // Resolving, TCP connect, TLS and WebSocket handshakes each, and the wait for `bound` after `bind`.
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::seconds keepalive{30};        // 0: no WebSocket pings; a silent dead connection then goes unnoticed
  std::chrono::seconds verify_interval{30};  // subscription.verify_interval_s; 0: the Subscription is not verified
  ReconnectBackoff backoff;
  // TLS (wss) as the FHIR REST client does it (fhir/rest_client.hpp): the same verification and trust store.
  bool verify_peer = true;
  std::string ca_file;
  // The FHIR server's credential, "Bearer ..." or "Basic ..." (fhir::authorization_header), sent as Authorization
  // in the WebSocket handshake only when the URL is on the FHIR base URL's origin: never handed to another host.
  std::string authorization;
  // With SMART Backend Services the credential is a token that expires: asked for before each handshake instead
  // (fhir::RestClient::authorization), under the same origin rule. A failure ends that attempt.
  std::function<boost::asio::awaitable<fhir::RestResult<std::string>>()> authorize;
  std::string user_agent = "gradient-gateway";
};

// The listener options of a configuration (subscription.websocket_*, the fhir section's TLS and credential).
// `client` is the gateway's FHIR client, which keeps the SMART token when config.fhir.smart is set; it must
// outlive the listener.
WebsocketListenerOptions websocket_listener_options(const Config& config, const std::string& user_agent,
                                                    fhir::RestClient* client = nullptr);

class WebsocketListener {
 public:
  struct Callbacks {
    // Finds or creates the websocket Subscription and waits until it is active; run before every connection.
    std::function<boost::asio::awaitable<WebsocketSubscriptionResult>()> ensure_subscription;
    // The scheduled check while bound (SubscriptionKeeper::verify); empty: none.
    std::function<boost::asio::awaitable<VerifyResult>()> verify_subscription;
    // true once bound, false when that connection ends (for /readyz).
    std::function<void(bool bound)> on_bound;
    // Something may have changed (a ping, or a new bind after which the server may have missed changes): run the
    // catch-up search. Called on the listener's strand; must not block.
    std::function<void()> on_change;
  };

  // Throws std::invalid_argument for a URL that is not ws:// or wss://, boost::system::system_error when
  // ca_file cannot be loaded. The executor's io_context must outlive the listener's run.
  WebsocketListener(const boost::asio::any_io_executor& executor, WebsocketListenerOptions options,
                    Callbacks callbacks, MetricsRegistry& metrics);
  WebsocketListener(const WebsocketListener&) = delete;
  WebsocketListener& operator=(const WebsocketListener&) = delete;

  // Starts connecting, on the listener's own strand; it keeps reconnecting until stop().
  void start();
  // Thread-safe: closes the connection and stops reconnecting.
  void stop();

 private:
  // How one connection ended: whether it was bound first, and why it ended (no patient data).
  struct SessionEnd {
    bool bound = false;
    std::string why;
  };

  boost::asio::awaitable<void> run();
  // Every verify_interval while bound: verify the Subscription, and close the connection when it is lost.
  boost::asio::awaitable<void> verify_while_bound();
  // One connection: connect, bind, read pings until it ends.
  boost::asio::awaitable<SessionEnd> connect_and_listen(const std::string& subscription_id);
  template <typename Stream>
  boost::asio::awaitable<SessionEnd> listen(Stream& stream, const std::string& subscription_id);

  boost::asio::any_io_executor strand_;
  WebsocketListenerOptions options_;
  WebsocketUrl url_;
  std::optional<boost::asio::ssl::context> tls_;
  Callbacks callbacks_;
  boost::asio::steady_timer backoff_timer_;
  boost::asio::steady_timer verify_timer_;
  // Guarded by the strand: whether stop() was called, how to close the open connection (empty: none), whether it
  // is bound, and why the gateway closed it itself (empty: it did not).
  bool stopped_ = false;
  std::function<void()> close_;
  bool bound_now_ = false;
  std::string closed_because_;
  Counter& connections_;
  Counter& reconnects_;
  Counter& pings_;
  Gauge& bound_;
};

}  // namespace gg::gateway
