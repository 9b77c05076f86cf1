// Which webhook endpoint URLs a subscription may have (issue 10, item 2): https only, because alerts carry
// findings about patients; plain http only to this machine, for tests and local receivers, when the operator opts
// in.
#pragma once

#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace gg::gateway {

// The normalised URL (RFC 3986 section 6.2.2: lower-case scheme and host, percent-encoding and dot segments
// normalised) or the reason it is refused, worded for a 400 OperationOutcome. Refused: anything but an absolute
// URI; a scheme other than https (http only when `allow_insecure_loopback` and the host is 127.0.0.0/8, ::1 or
// `localhost`); no host; userinfo (credentials in a URL end up in logs and delivery records); a fragment (never
// sent on the wire, so it can only be a mistake).
boost::system::result<std::string, std::string> check_endpoint(std::string_view url, bool allow_insecure_loopback);

}  // namespace gg::gateway
