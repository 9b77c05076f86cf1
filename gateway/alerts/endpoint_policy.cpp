#include "gateway/alerts/endpoint_policy.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

namespace gg::gateway {
namespace {

using Checked = boost::system::result<std::string, std::string>;

// result<string, string> cannot tell a value from an error by type: say which, in place.
Checked refuse(std::string reason) {
  return Checked(boost::system::in_place_error, std::move(reason));
}

std::string lower_case(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

// Only address literals and the name `localhost` count: a name such as "127.0.0.1.evil.com" is a DNS name that
// resolves wherever its owner wants. 127.0.0.0/8 is loopback by RFC 1122 section 3.2.1.3, ::1 by RFC 4291
// section 2.5.3; `localhost` always resolves to loopback by RFC 6761 section 6.3.
bool is_loopback_host(const boost::urls::url_view& url) {
  switch (url.host_type()) {
    case boost::urls::host_type::ipv4:
      return (url.host_ipv4_address().to_uint() >> 24) == 127;
    case boost::urls::host_type::ipv6:
      return url.host_ipv6_address().is_loopback();
    case boost::urls::host_type::name:
      return lower_case(url.encoded_host()) == "localhost";
    default:
      return false;
  }
}

}  // namespace

boost::system::result<std::string, std::string> check_endpoint(std::string_view url,
                                                               bool allow_insecure_loopback) {
  // parse_uri, not parse_absolute_uri: the latter fails on a fragment, and a fragment deserves its own message.
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return refuse("the endpoint is not an absolute URL (https://host/path)");
  const std::string scheme = lower_case(parsed->scheme());
  if (scheme != "https" && scheme != "http")
    return refuse("the endpoint must be an https:// URL, not " + scheme + "://");
  if (!parsed->has_authority() || parsed->encoded_host().empty()) return refuse("the endpoint URL has no host");
  // After an authority the path is empty or starts with '/' (RFC 3986 section 3.3, path-abempty). Boost 1.81
  // parses "http://127.0.0.1.evil.com/x" as host 127.0.0.1 with path ".evil.com/x": a name would become an
  // address.
  if (!parsed->encoded_path().empty() && !parsed->encoded_path().starts_with('/')) {
    return refuse("the endpoint is not a valid URL: its host is not followed by /, ? or the end");
  }
  if (parsed->host_type() == boost::urls::host_type::ipvfuture) {
    return refuse("the endpoint host is not a name, an IPv4 or an IPv6 address");
  }
  if (parsed->has_userinfo()) {
    return refuse("the endpoint URL must not carry credentials (user:password@): they would leak into logs");
  }
  if (parsed->has_fragment()) return refuse("the endpoint URL must not have a #fragment");
  if (scheme == "http" && !(allow_insecure_loopback && is_loopback_host(*parsed))) {
    return refuse(
        "http:// is accepted only for a loopback address (127.0.0.0/8, [::1], localhost) with "
        "alerts.allow_insecure_loopback: true; use https://");
  }
  boost::urls::url normalised(*parsed);
  normalised.normalize();
  return Checked(boost::system::in_place_value, normalised.buffer());
}

}  // namespace gg::gateway
