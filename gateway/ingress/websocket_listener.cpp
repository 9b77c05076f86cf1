#include "gateway/ingress/websocket_listener.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <stdexcept>
#include <type_traits>

#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;

using PlainStream = websocket::stream<beast::tcp_stream>;
using TlsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

// HAPI's packets are a verb and an id; a ping with the resource appended stays small too. Anything larger is not
// the channel we know.
constexpr std::size_t kMessageLimit = std::size_t{64} * 1024;
// How much of an unexpected message or close reason goes into a log line. HAPI's texts name a Subscription id,
// never a resource (SubscriptionWebsocketHandler); the cut keeps a foreign server's text short.
constexpr std::size_t kQuoteLimit = 200;

std::string quote(std::string_view text) {
  std::string out(text.substr(0, kQuoteLimit));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

// The first word of a message the channel does not define, for the log: never the rest, which might be a resource.
std::string first_word(std::string_view text) {
  return quote(text.substr(0, std::min(text.find_first_of(" \r\n"), std::size_t{40})));
}

// "closed by the server (1008 Invalid bind request ...)" or the error's message.
template <typename Stream>
std::string describe(const error_code& ec, const Stream& stream) {
  if (ec == websocket::error::closed) {
    const auto& reason = stream.reason();
    return "closed by the server (" + std::to_string(reason.code) +
           (reason.reason.empty() ? ""
                                  : " " + quote(std::string_view(reason.reason.data(), reason.reason.size()))) +
           ")";
  }
  if (ec == beast::error::timeout) return "no frame from the server within the keepalive";
  return ec.message();
}

}  // namespace

WebsocketListenerOptions websocket_listener_options(const Config& config, const std::string& user_agent,
                                                    fhir::RestClient* client) {
  WebsocketListenerOptions options;
  options.url = config.subscription.websocket_url;
  options.connect_timeout = config.fhir.connect_timeout;
  options.keepalive = config.subscription.websocket_keepalive;
  options.verify_interval = config.subscription.verify_interval;
  options.backoff = ReconnectBackoff{config.subscription.websocket_reconnect_initial,
                                     config.subscription.websocket_reconnect_max};
  options.verify_peer = config.fhir.verify_tls;
  options.ca_file = config.fhir.ca_file;
  const auto socket_url = parse_websocket_url(options.url);
  const auto fhir_url = fhir::parse_url(config.fhir.base_url);
  if (socket_url && fhir_url && socket_url->url.same_origin(*fhir_url)) {
    options.authorization = fhir::authorization_header(rest_client_options(config.fhir, user_agent));
    if (config.fhir.smart.enabled() && client != nullptr) {
      options.authorize = [client] { return client->authorization(); };
    }
  }
  options.user_agent = user_agent;
  return options;
}

WebsocketListener::WebsocketListener(const asio::any_io_executor& executor, WebsocketListenerOptions options,
                                     Callbacks callbacks, MetricsRegistry& metrics)
    : strand_(asio::make_strand(executor)),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      backoff_timer_(strand_),
      verify_timer_(strand_),
      connections_(
          metrics.counter("gradient_gateway_websocket_connections_total",
                          "WebSocket connections to the FHIR server that were bound to the Subscription")),
      reconnects_(metrics.counter("gradient_gateway_websocket_reconnects_total",
                                  "WebSocket connection attempts after a failed or dropped one")),
      pings_(metrics.counter("gradient_gateway_websocket_pings_total",
                             "WebSocket pings received (each wakes the catch-up search)")),
      bound_(metrics.gauge("gradient_gateway_websocket_bound",
                           "1 while the WebSocket is bound to the Subscription, else 0")) {
  auto url = parse_websocket_url(options_.url);
  if (!url) throw std::invalid_argument("WebsocketListener: not a ws:// or wss:// URL: " + options_.url);
  url_ = std::move(*url);
  if (url_.tls()) {
    // As the REST client does (fhir/rest_client.cpp): TLS 1.2 at least, the system's or the given trust store.
    tls_.emplace(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
    if (options_.verify_peer) {
      tls_->set_verify_mode(ssl::verify_peer);
      if (options_.ca_file.empty()) {
        tls_->set_default_verify_paths();
      } else {
        tls_->load_verify_file(options_.ca_file);
      }
    } else {
      tls_->set_verify_mode(ssl::verify_none);
    }
  }
}

void WebsocketListener::start() {
  asio::co_spawn(strand_, run(), asio::detached);
  if (callbacks_.verify_subscription && options_.verify_interval.count() > 0) {
    asio::co_spawn(strand_, verify_while_bound(), asio::detached);
  }
}

void WebsocketListener::stop() {
  asio::post(strand_, [this] {
    stopped_ = true;
    backoff_timer_.cancel();
    verify_timer_.cancel();
    if (close_) close_();
  });
}

asio::awaitable<void> WebsocketListener::run() {
  unsigned failures = 0;  // attempts since the last successful bind
  bool first = true;
  while (!stopped_) {
    if (!first) reconnects_.inc();
    first = false;
    auto subscription = co_await callbacks_.ensure_subscription();
    if (stopped_) break;
    if (!subscription) {
      log(LogLevel::error, "websocket.subscription-not-active", {{"error", subscription.error()}});
    } else {
      const auto end = co_await connect_and_listen(*subscription);
      if (stopped_) break;
      if (end.bound) failures = 0;
      log(LogLevel::warn, end.bound ? "websocket.closed" : "websocket.connect-failed",
          {{"url", url_.url.origin()}, {"subscription", *subscription}, {"error", end.why}});
    }
    const auto wait = options_.backoff.delay(failures);
    ++failures;
    log(LogLevel::info, "websocket.reconnect-scheduled", {{"in_ms", std::to_string(wait.count())}});
    backoff_timer_.expires_after(wait);
    error_code ignored;
    co_await backoff_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  log(LogLevel::info, "websocket.stopped");
}

asio::awaitable<void> WebsocketListener::verify_while_bound() {
  while (!stopped_) {
    verify_timer_.expires_after(options_.verify_interval);
    error_code ignored;
    co_await verify_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    // Not bound: run() is ensuring the Subscription and binding it already.
    if (stopped_ || !bound_now_) continue;
    const auto verified = co_await callbacks_.verify_subscription();
    if (stopped_ || !bound_now_ || !close_ || !verified || verified->empty()) continue;
    log(LogLevel::error, "subscription.lost", {{"mode", "websocket"}, {"reason", *verified}});
    closed_because_ = "the Subscription was lost";
    close_();  // the session ends (on_bound(false)); run() ensures the Subscription again, binds it, catches up
  }
}

asio::awaitable<WebsocketListener::SessionEnd> WebsocketListener::connect_and_listen(
    const std::string& subscription_id) {
  if (tls_) {
    TlsStream stream(strand_, *tls_);
    co_return co_await listen(stream, subscription_id);
  }
  PlainStream stream(strand_);
  co_return co_await listen(stream, subscription_id);
}

template <typename Stream>
asio::awaitable<WebsocketListener::SessionEnd> WebsocketListener::listen(Stream& stream,
                                                                         const std::string& subscription_id) {
  constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  auto& tcp_stream = beast::get_lowest_layer(stream);
  const auto& host = url_.url.host;
  error_code ec;

  // Connect (and TLS), bounded by the connect timeout; from the WebSocket handshake on the stream's own timeouts
  // apply (Beast: a websocket stream's lowest layer must not carry an expiry of its own).
  tcp_stream.expires_after(options_.connect_timeout);
  error_code not_an_address;
  const auto address = asio::ip::make_address(host, not_an_address);
  if (!not_an_address) {
    co_await tcp_stream.async_connect(tcp::endpoint(address, url_.url.port),
                                      asio::redirect_error(asio::use_awaitable, ec));
  } else {
    tcp::resolver resolver(strand_);
    const auto endpoints = co_await resolver.async_resolve(host, std::to_string(url_.url.port),
                                                           asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return SessionEnd{false, "resolve: " + ec.message()};
    co_await tcp_stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) co_return SessionEnd{false, "connect: " + ec.message()};
  if (stopped_) co_return SessionEnd{false, "stopped"};
  if constexpr (kTls) {
    // SNI carries host names only (RFC 6066 section 3); the certificate must name the host (RFC 6125).
    if (not_an_address && SSL_set_tlsext_host_name(stream.next_layer().native_handle(), host.c_str()) != 1) {
      co_return SessionEnd{false, "TLS: cannot set the server name"};
    }
    if (options_.verify_peer) stream.next_layer().set_verify_callback(ssl::host_name_verification(host));
    co_await stream.next_layer().async_handshake(ssl::stream_base::client,
                                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return SessionEnd{false, "TLS handshake: " + ec.message()};
  }
  tcp_stream.expires_never();

  std::string authorization = options_.authorization;
  if (options_.authorize) {
    auto fresh = co_await options_.authorize();
    if (!fresh) co_return SessionEnd{false, fresh.error().message};
    authorization = std::move(*fresh);
  }

  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = options_.connect_timeout;
  timeouts.idle_timeout = options_.keepalive.count() > 0 ? std::chrono::steady_clock::duration(options_.keepalive)
                                                         : websocket::stream_base::none();
  timeouts.keep_alive_pings = options_.keepalive.count() > 0;
  stream.set_option(timeouts);
  stream.set_option(websocket::stream_base::decorator(
      [agent = options_.user_agent, authorization](websocket::request_type& request) {
        request.set(beast::http::field::user_agent, agent);
        if (!authorization.empty()) request.set(beast::http::field::authorization, authorization);
      }));
  stream.read_message_max(kMessageLimit);
  stream.text(true);
  co_await stream.async_handshake(url_.url.authority(), url_.url.target,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return SessionEnd{false, "WebSocket handshake: " + ec.message()};

  // From here stop() closes the socket, which ends the pending read.
  close_ = [&tcp_stream] { tcp_stream.close(); };
  struct Reset {
    std::function<void()>& close;
    ~Reset() { close = nullptr; }
  } reset{close_};
  if (stopped_) co_return SessionEnd{false, "stopped"};

  const std::string bind = bind_message(subscription_id);
  co_await stream.async_write(asio::buffer(bind), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return SessionEnd{false, "bind: " + describe(ec, stream)};

  beast::flat_buffer buffer;
  {
    // The answer to bind comes at once (HAPI answers in the same handler); a server that never answers would
    // otherwise keep a connection that is not bound (the keepalive pings keep it open).
    asio::steady_timer guard(strand_);
    guard.expires_after(options_.connect_timeout);
    guard.async_wait([&tcp_stream](const error_code& timer_ec) {
      if (!timer_ec) tcp_stream.close();
    });
    co_await stream.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) co_return SessionEnd{false, "waiting for bound: " + describe(ec, stream)};
  const auto reply = parse_channel_message(beast::buffers_to_string(buffer.data()));
  if (reply.kind != ChannelMessage::Kind::bound || reply.subscription_id != subscription_id) {
    co_return SessionEnd{
        false, "bind refused: the server answered '" + first_word(beast::buffers_to_string(buffer.data())) + "'"};
  }
  buffer.consume(buffer.size());

  connections_.inc();
  bound_.set(1);
  bound_now_ = true;
  closed_because_.clear();
  callbacks_.on_bound(true);
  log(LogLevel::info, "websocket.bound", {{"url", url_.url.origin()}, {"subscription", subscription_id}});
  // Catch up on what changed while no connection was bound (before the first one, or during an outage).
  callbacks_.on_change();

  SessionEnd end{true, {}};
  while (true) {
    co_await stream.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      end.why = stopped_ ? "stopped" : !closed_because_.empty() ? closed_because_ : describe(ec, stream);
      break;
    }
    const auto message = parse_channel_message(beast::buffers_to_string(buffer.data()));
    if (message.kind == ChannelMessage::Kind::ping && message.subscription_id == subscription_id) {
      pings_.inc();
      log(LogLevel::debug, "websocket.ping", {{"subscription", subscription_id}});
      callbacks_.on_change();
    } else {
      log(LogLevel::warn, "websocket.unexpected-message",
          {{"verb", first_word(beast::buffers_to_string(buffer.data()))},
           {"bytes", std::to_string(buffer.size())}});
    }
    buffer.consume(buffer.size());
  }
  bound_now_ = false;
  bound_.set(0);
  callbacks_.on_bound(false);
  co_return end;
}

}  // namespace gg::gateway
