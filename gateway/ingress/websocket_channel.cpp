#include "gateway/ingress/websocket_channel.hpp"

#include <algorithm>

namespace gg::gateway {
namespace {

// "Subscription/123" and "Subscription/123/_history/2" name the id "123"; "123" is "123".
std::string id_part(std::string_view reference) {
  constexpr std::string_view kType = "Subscription/";
  if (reference.substr(0, kType.size()) == kType) reference.remove_prefix(kType.size());
  return std::string(reference.substr(0, reference.find('/')));
}

}  // namespace

std::string bind_message(std::string_view subscription_id) {
  return "bind " + std::string(subscription_id);
}

ChannelMessage parse_channel_message(std::string_view text) {
  text = text.substr(0, text.find_first_of("\r\n"));
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return {};
  const auto verb = text.substr(0, space);
  auto argument = text.substr(space + 1);
  while (!argument.empty() && argument.back() == ' ') argument.remove_suffix(1);
  if (argument.empty() || argument.find(' ') != std::string_view::npos) return {};
  ChannelMessage message;
  if (verb == "bound") {
    message.kind = ChannelMessage::Kind::bound;
  } else if (verb == "ping") {
    message.kind = ChannelMessage::Kind::ping;
  } else {
    return {};
  }
  message.subscription_id = id_part(argument);
  if (message.subscription_id.empty()) return {};
  return message;
}

std::chrono::milliseconds ReconnectBackoff::delay(unsigned failures) const {
  const auto ceiling = std::max(max, initial);
  auto wait = initial;
  for (unsigned i = 0; i < failures && wait < ceiling; ++i) wait *= 2;
  return std::min(wait, ceiling);
}

std::optional<WebsocketUrl> parse_websocket_url(std::string_view text) {
  std::string as_http;
  if (text.substr(0, 5) == "ws://") {
    as_http = "http://" + std::string(text.substr(5));
  } else if (text.substr(0, 6) == "wss://") {
    as_http = "https://" + std::string(text.substr(6));
  } else {
    return std::nullopt;
  }
  auto url = fhir::parse_url(as_http);
  if (!url) return std::nullopt;
  return WebsocketUrl{std::move(*url)};
}

}  // namespace gg::gateway
