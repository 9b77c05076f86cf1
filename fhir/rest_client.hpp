// An asynchronous FHIR REST client (R4 section 3.1.0) on Boost.Beast: keep-alive connections, connect and request
// timeouts, TLS through OpenSSL, bearer, basic or SMART Backend Services auth. Coroutine API: every call is
// awaited on the caller's executor.
//
// Threading: a RestClient may be used concurrently by coroutines on any threads of its executor (a multi-threaded
// io_context included). The connection pool is guarded by a mutex; each connection does its I/O on its own strand.
// Calls stay valid if the RestClient is destroyed while they are in flight.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "fhir/client.hpp"
#include "fhir/smart_auth.hpp"

namespace gg::fhir {

struct RestClientOptions {
  std::string base_url;  // "http://127.0.0.1:8080/fhir" or "https://fhir.example.org/r4"
  // Resolving the host name and opening the TCP connection (and the TLS handshake). DNS resolution itself is
  // bounded by the system resolver, not by this timeout.
  std::chrono::milliseconds connect_timeout{5000};
  // The whole call: waiting for a free connection, connecting, sending and receiving, and the one retry.
  std::chrono::milliseconds request_timeout{30000};
  std::string bearer_token;  // empty: no Authorization header
  // "user:password" for HTTP Basic authentication (RFC 7617), sent as "Authorization: Basic <base64>"; empty:
  // none. Not with bearer_token.
  std::string basic_credentials;
  // SMART Backend Services (fhir/smart_auth.hpp): each request carries an access token obtained with a signed
  // client assertion, renewed before it expires and after a 401. Not with bearer_token or basic_credentials.
  SmartBackendOptions smart;
  std::function<void(const std::string& event, const std::string& detail)> smart_observer;  // SmartTokenSource's
  bool verify_peer = true;          // TLS certificate and host name verification
  std::string ca_file;              // empty: the system's default trust store
  std::size_t max_connections = 4;  // open connections per client, idle and busy together (0 is taken as 1)
  std::size_t max_response_bytes = std::size_t{64} * 1024 * 1024;  // body limit of every response
  std::string user_agent = "gradient-gateway";
};

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names: "location", "etag"; repeats joined by ", "
};

// One page of a search: its entries' resources (as SearchResult), where the next page is, and how many match.
struct SearchPage {
  SearchResult found;
  std::string next;          // Bundle.link "next" as the server sent it; empty on the last page
  std::optional<int> total;  // Bundle.total, when the server gave it
};

// The Authorization header value the options give every request: "Bearer <token>", "Basic <base64>" or "".
std::string authorization_header(const RestClientOptions& options);

// The Beast implementation of the FHIR client seam (fhir/client.hpp).
// The error of a call whose answer has a status it does not accept: "<what>: HTTP 412 Precondition Failed:
// <OperationOutcome diagnostics>". Only the diagnostics of an OperationOutcome body are quoted, never any other
// body (it may hold patient data); the OperationOutcome is kept in RestError::outcome.
RestError status_error(const std::string& what, unsigned status, std::string_view body);

class RestClient final : public Client {
 public:
  // Throws std::invalid_argument for a base_url that is not an http(s) URL without query, a bearer token, basic
  // credentials or user agent with control characters, more than one of bearer token, basic credentials and SMART,
  // or SMART options whose key does not load or that lack a kid, and
  // boost::system::system_error when ca_file cannot be loaded.
  RestClient(boost::asio::any_io_executor executor, RestClientOptions options);
  ~RestClient() override;
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // A raw request. `target` is relative to base_url ("Observation?code=...", "" for the base itself) or an
  // absolute URL on the same scheme, host and port (search "next" links); other origins are refused. Extra headers
  // replace the defaults of the same name (Accept, Content-Type, User-Agent, Authorization). Any status is a
  // value.
  boost::asio::awaitable<RestResult<HttpResponse>> request(std::string method, std::string target,
                                                           std::string body = {}, Headers headers = {});

  // GET `target` (relative or on the same origin, as for request()) with the response body written to the file
  // at `path` as it arrives, for bodies too large to hold in memory (Bulk Data output files, which may be GBs).
  // max_response_bytes does not apply; instead each read must make progress within request_timeout. Any status is
  // a value: the response's body is empty, and the file holds what the server sent (an error body too).
  boost::asio::awaitable<RestResult<HttpResponse>> download(std::string target, std::string path,
                                                            Headers headers = {});

  // GET [type]/[id]. 2xx, 404 and 410 are values with that status; other statuses are errors.
  boost::asio::awaitable<RestResult<ReadResult>> read_resource(std::string type, std::string id) override;

  // GET [type]?[query], following Bundle.link "next"; non-2xx pages and pages that are no Bundle are errors.
  boost::asio::awaitable<RestResult<SearchResult>> search(std::string type, std::string query,
                                                          std::size_t max_pages = 50,
                                                          DecodeOptions decode_options = {},
                                                          bool keep_json = false) override;

  // One search page: GET `target`, a first page ("Observation?code=...") or a "next" link of an earlier page
  // (on the same origin, as for request()), for a caller that pages itself (a resumable backfill keeps where it
  // was). Non-2xx answers and bodies that are no Bundle are errors whose message starts with `what`.
  boost::asio::awaitable<RestResult<SearchPage>> search_page(std::string target, std::string what,
                                                             DecodeOptions decode_options = {},
                                                             bool keep_json = false);

  // POST [base] with a transaction Bundle; returns the transaction-response Bundle.
  boost::asio::awaitable<RestResult<Bundle>> transaction(const Bundle& bundle) override;

  // POST [type] and PUT [type]/[id] (If-Match when given). A non-2xx answer is an error; a 2xx body that is no
  // resource is invalid_response.
  boost::asio::awaitable<RestResult<Resource>> create(const Resource& resource) override;
  boost::asio::awaitable<RestResult<Resource>> update(const Resource& resource,
                                                      std::string if_match = {}) override;

  // The Authorization header value for another channel to the same server (the subscription WebSocket's
  // handshake): as authorization_header(options()), or "Bearer <token>" with SMART Backend Services (obtaining a
  // token when none is kept). Empty without credentials.
  boost::asio::awaitable<RestResult<std::string>> authorization();

  // A view whose typed interactions also send `headers` (fhir::Client::with_headers), sharing this client's
  // connections and credentials; it may outlive this object.
  std::unique_ptr<Client> with_headers(Headers headers) override;

  const RestClientOptions& options() const;

 private:
  struct Impl;
  class View;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gg::fhir
