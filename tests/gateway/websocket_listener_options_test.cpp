// The WebSocket transport's options from the configuration: the FHIR server's credential (bearer or basic) goes
// into the handshake only towards the FHIR base URL's own origin.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "gateway/config/config.hpp"
#include "gateway/ingress/websocket_listener.hpp"

namespace gg::gateway {
namespace {

TEST(WebsocketListenerOptions, SendsTheFhirCredentialOnlyToTheFhirServersOrigin) {
  Config config;
  config.fhir.base_url = "https://fhir.example.org/r4";
  config.fhir.basic_auth = "Aladdin:open sesame";  // RFC 7617 section 2's example
  config.subscription.websocket_url = "wss://fhir.example.org/websocket";
  EXPECT_EQ(websocket_listener_options(config, "ua").authorization, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  config.fhir.basic_auth.clear();
  config.fhir.bearer_token = "t0ken";
  EXPECT_EQ(websocket_listener_options(config, "ua").authorization, "Bearer t0ken");
  config.subscription.websocket_url = "wss://elsewhere.example.org/websocket";
  EXPECT_EQ(websocket_listener_options(config, "ua").authorization, "");
}

// With SMART Backend Services the handshake asks the FHIR client for its current token, under the same rule.
TEST(WebsocketListenerOptions, AsksTheFhirClientForASmartTokenOnlyForTheFhirServersOrigin) {
  Config config;
  config.fhir.base_url = "https://fhir.example.org/r4";
  config.fhir.smart.client_id = "gradient-gateway";
  config.subscription.websocket_url = "wss://fhir.example.org/websocket";
  boost::asio::io_context io;
  fhir::RestClientOptions options;
  options.base_url = config.fhir.base_url;
  fhir::RestClient client(io.get_executor(), options);
  EXPECT_TRUE(websocket_listener_options(config, "ua", &client).authorize);
  EXPECT_FALSE(websocket_listener_options(config, "ua").authorize);
  config.subscription.websocket_url = "wss://elsewhere.example.org/websocket";
  EXPECT_FALSE(websocket_listener_options(config, "ua", &client).authorize);
  config.subscription.websocket_url = "wss://fhir.example.org/websocket";
  config.fhir.smart.client_id.clear();
  EXPECT_FALSE(websocket_listener_options(config, "ua", &client).authorize);
}

}  // namespace
}  // namespace gg::gateway
