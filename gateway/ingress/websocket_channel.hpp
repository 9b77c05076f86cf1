// The pure parts of the WebSocket transport (gateway/ingress/websocket_listener.hpp): the text messages of the R4
// websocket channel, the reconnect schedule and the endpoint URL (its default is gateway/config/config.cpp's). No
// sockets here, so that tests call them as functions.
//
// The channel: FHIR R4 names it (Subscription.channel.type `websocket`, "sending a packet across a web socket
// connection maintained by the client", https://hl7.org/fhir/R4/valueset-subscription-channel-type.html); HAPI
// FHIR defines the packets (its SubscriptionWebsocketHandler; shared/HAPI-NOTES.md, deploy/hapi-local/README.md):
// the client sends `bind {id}`, the server answers `bound {id}`, then sends `ping {id}` for each change that
// matches the Subscription. A ping names no resource: the client searches for what changed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "fhir/url.hpp"

namespace gg::gateway {

struct ChannelMessage {
  enum class Kind { bound, ping, other };
  Kind kind = Kind::other;
  std::string subscription_id;  // bound and ping: the id the server named ("123", from "Subscription/123" too)
};

// The text sent to bind a Subscription: "bind {id}".
std::string bind_message(std::string_view subscription_id);

// Reads one text message. Only the first line counts (a server that appends the resource after a newline, as
// HAPI does for a Subscription with a payload, still sends a ping); the verb is case-sensitive, as the spec writes
// it. Anything else (an error text, an unknown verb, a verb without an id) is `other`.
ChannelMessage parse_channel_message(std::string_view text);

// Exponential backoff between connection attempts: initial, 2 x initial, 4 x initial, ... never above max.
// `failures` counts the attempts that failed since the last successful bind (0: the first retry after a drop).
struct ReconnectBackoff {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{60000};

  [[nodiscard]] std::chrono::milliseconds delay(unsigned failures) const;
};

// A ws:// or wss:// URL as the listener connects to it: `url` carries the matching http(s) scheme (so that
// fhir::Url's host, port, authority and target rules apply), `tls` is true for wss. Empty when the text is not
// an absolute ws or wss URL.
struct WebsocketUrl {
  fhir::Url url;
  [[nodiscard]] bool tls() const { return url.tls(); }
};
std::optional<WebsocketUrl> parse_websocket_url(std::string_view text);

}  // namespace gg::gateway
