// The pure parts of the WebSocket transport: the channel's text messages, the reconnect schedule, the URL. The
// connection itself is proven against HAPI (tests/integration/test_websocket_transport.py).
#include "gateway/ingress/websocket_channel.hpp"

#include <gtest/gtest.h>

namespace gg::gateway {
namespace {

using Kind = ChannelMessage::Kind;
using std::chrono::milliseconds;

TEST(WebsocketChannel, BindNamesTheSubscriptionId) {
  EXPECT_EQ(bind_message("123"), "bind 123");
}

TEST(WebsocketChannel, ReadsBoundAndPingWithTheirId) {
  struct Case {
    std::string text;
    Kind kind;
    std::string id;
  };
  const std::vector<Case> cases = {
      {"bound 123", Kind::bound, "123"},
      {"ping 123", Kind::ping, "123"},
      {"ping Subscription/123", Kind::ping, "123"},  // a server that sends the reference
      {"ping Subscription/123/_history/4", Kind::ping, "123"},
      {"ping 123 ", Kind::ping, "123"},                                     // a trailing space
      {"ping 123\n{\"resourceType\":\"Observation\"}", Kind::ping, "123"},  // a payload after the first line
      {"ping 123\r\n", Kind::ping, "123"},
  };
  for (const auto& c : cases) {
    const auto message = parse_channel_message(c.text);
    EXPECT_EQ(message.kind, c.kind) << c.text;
    EXPECT_EQ(message.subscription_id, c.id) << c.text;
  }
}

TEST(WebsocketChannel, AnythingElseIsOther) {
  for (const std::string text :
       {"", "ping", "ping ", "bound", "PING 123", "pong 123", "bind 123", "ping 12 3",
        "ERROR Invalid bind request - Unknown subscription: Subscription/9", "ping Subscription/"}) {
    const auto message = parse_channel_message(text);
    EXPECT_EQ(message.kind, Kind::other) << text;
    EXPECT_TRUE(message.subscription_id.empty()) << text;
  }
}

TEST(WebsocketChannel, BackoffDoublesFromInitialAndStopsAtMax) {
  const ReconnectBackoff backoff{milliseconds(500), milliseconds(5000)};
  const std::vector<long long> expected = {500, 1000, 2000, 4000, 5000, 5000};
  for (unsigned failures = 0; failures < expected.size(); ++failures) {
    EXPECT_EQ(backoff.delay(failures).count(), expected[failures]) << failures;
  }
  EXPECT_EQ(backoff.delay(1000).count(), 5000);  // no overflow after many failures
}

TEST(WebsocketChannel, BackoffNeverWaitsLessThanInitial) {
  const ReconnectBackoff inverted{milliseconds(2000), milliseconds(1000)};
  EXPECT_EQ(inverted.delay(0).count(), 2000);
  EXPECT_EQ(inverted.delay(3).count(), 2000);
}

TEST(WebsocketChannel, WebsocketUrlsMapToTheirHttpSchemes) {
  const auto plain = parse_websocket_url("ws://127.0.0.1:8080/websocket");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls());
  EXPECT_EQ(plain->url.host, "127.0.0.1");
  EXPECT_EQ(plain->url.port, 8080);
  EXPECT_EQ(plain->url.target, "/websocket");

  const auto secure = parse_websocket_url("wss://fhir.example.org/websocket");
  ASSERT_TRUE(secure);
  EXPECT_TRUE(secure->tls());
  EXPECT_EQ(secure->url.port, 443);
  EXPECT_EQ(secure->url.authority(), "fhir.example.org");

  for (const auto* text : {"http://127.0.0.1/websocket", "wss://", "ws://user@host/websocket", "websocket"}) {
    EXPECT_FALSE(parse_websocket_url(text)) << text;
  }
}

}  // namespace
}  // namespace gg::gateway
