// URLs as the FHIR REST client needs them (RFC 3986, restricted to http and https): a parsed base URL, and the
// resolution of a request target against it. A FHIR server's base URL (R4 section 3.1.0.1.2) has no query and no
// fragment; search "next" links (R4 section 3.1.1.5.6) are usually absolute and must stay on the base's origin so
// a server cannot send the client, and its bearer token, elsewhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gg::fhir {

struct Url {
  std::string scheme;      // "http" or "https", lower case
  std::string host;        // lower case; an IPv6 literal without its brackets
  std::uint16_t port = 0;  // as written, or the scheme's default (80, 443)
  std::string target;      // origin-form request target: path and query, at least "/"; no fragment

  [[nodiscard]] bool tls() const { return scheme == "https"; }
  // host[:port] as sent in the Host header: the port only when not the default, an IPv6 literal in brackets.
  [[nodiscard]] std::string authority() const;
  // "scheme://host:port" with the port always written: for comparisons and for messages (no path, no query).
  [[nodiscard]] std::string origin() const;
  [[nodiscard]] bool same_origin(const Url& other) const;
};

// Parses an absolute http or https URL. Refuses other schemes, user information ("user@host"), an empty host, a
// port outside 1..65535, and control characters or spaces anywhere. Bytes above 0x7f in the path or query are
// percent-encoded; everything else is kept as written (no dot-segment removal).
std::optional<Url> parse_url(std::string_view text);

// Percent-encodes everything but RFC 3986 unreserved characters, for one search parameter value
// ("Patient/1" -> "Patient%2F1", "http://loinc.org|2143-6,..." -> "http%3A%2F%2Floinc.org%7C2143-6%2C...").
std::string percent_encode(std::string_view text);

// Base64 (RFC 4648 section 4, padded), as HTTP Basic authentication sends its credentials (RFC 7617 section 2);
// with `url`, the URL-safe alphabet without padding (section 5), as JWS encodes its parts (RFC 7515 section 2).
std::string base64(std::string_view bytes, bool url = false);
// The bytes of a base64 text, strictly (RFC 4648): the standard alphabet with its padding ('=' to a multiple of 4
// characters, or none), or with `url` the URL-safe alphabet without padding; the unused bits of the last character
// must be zero (section 3.5). nullopt for anything else (whitespace, a stray '=', the other alphabet).
std::optional<std::string> base64_decode(std::string_view text, bool url = false);

// The result of resolving a request target against a base URL: the origin-form target to send, or why not.
struct ResolvedTarget {
  std::optional<std::string> target;  // "/fhir/Patient/1?_elements=id"
  std::string refusal;                // why it was refused; names at most an origin, never a path or a query
};

// Resolves `reference` against `base` (RFC 3986 section 5.2, simplified for the forms a FHIR client meets):
//   "Patient/1", "Observation?code=x", ""  -> appended to the base path ("" is the base itself, for transactions)
//   "?_getpages=x"                         -> the base path with that query
//   "/other/path"                          -> that path on the base's origin
//   "http://host:port/path?q", "//host/p"  -> accepted only on the base's scheme, host and port
// A fragment is dropped; control characters and spaces are refused.
ResolvedTarget resolve_target(const Url& base, std::string_view reference);

// A resource type name and a logical id as they may stand in a URL's [type]/[id] (R4 2.24.0.1, id:
// [A-Za-z0-9\-\.]{1,64}; a type name is a capital letter and letters, at most 64): checked so that neither the
// client nor an endpoint ever addresses or stores anything else ("../x", "a%2Fb", a newline, and the dot segments
// "." and "..", which match the pattern but would address another path).
bool is_resource_type_name(std::string_view type);
bool is_resource_id(std::string_view id);

}  // namespace gg::fhir
