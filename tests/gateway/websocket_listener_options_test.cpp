// The WebSocket transport's options from the configuration: the FHIR server's credential (bearer or basic) goes
// into the handshake only towards the FHIR base URL's own origin.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace gg::gateway
