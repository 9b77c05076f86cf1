// The HTTP side's request and response, as handlers see them: plain values, no I/O library in sight, so a handler
// is a function (request in, response out) that tests call without sockets (after Beast's http_server_async).
#pragma once

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gg::gateway {

struct HttpRequest {
  std::string method;                          // "GET", "PUT", ...
  std::string target;                          // as sent: path and query, "/notify/Observation/1?x=y"
  std::map<std::string, std::string> headers;  // names lower-case; repeated fields joined with ", "
  std::string body;
  std::string remote_address = {};  // the peer's IP address
  // The subject of the client certificate the TLS handshake verified (mutual TLS, RFC 2253 form), or "" (plain
  // HTTP, or TLS without a client certificate).
  std::string client_certificate = {};
};

// A response body produced over time (Server-Sent Events, WHATWG HTML section 9.2): the session sends the header,
// then asks for one chunk at a time and writes it, until the producer says the end or the client goes away. The
// body is delimited by the connection's close (no Content-Length, no keep-alive).
class BodyStream {
 public:
  using Deliver = std::function<void(std::string chunk, bool end)>;
  virtual ~BodyStream() = default;
  // Asks for the next chunk: `deliver` is called exactly once, from any thread, when one is ready (it may be
  // called before next() returns). Not called again before the previous chunk was written.
  virtual void next(Deliver deliver) = 0;
  // The client went away or the server stops: a pending deliver may still be called, and is then ignored.
  virtual void cancel() = 0;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type;  // sent as Content-Type when not empty
  std::string body;          // dropped for 204 and 304, which carry none
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<BodyStream> stream = {};  // when set: the body comes from it instead of `body`
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// R4 section 3.1.0.1.8 (mime type): what FHIR JSON travels as.
inline constexpr std::string_view kFhirJson = "application/fhir+json; charset=utf-8";

// The target without its query ("/notify/Observation/1").
inline std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// Header names are case-insensitive (RFC 9110 section 5.1); HttpRequest keeps them lower-case.
inline std::string lower_case(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return out;
}

// The value of the named header, or "" when absent.
inline std::string header_value(const HttpRequest& request, std::string_view name) {
  auto found = request.headers.find(lower_case(name));
  return found == request.headers.end() ? std::string() : found->second;
}

}  // namespace gg::gateway
