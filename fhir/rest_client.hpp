// An asynchronous FHIR REST client (R4 section 3.1.0) on Boost.Beast: keep-alive connections, connect and request
// timeouts, TLS through OpenSSL, bearer-token auth. Coroutine API: every call is awaited on the caller's executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fhir/resources.hpp"

namespace gg::fhir {

struct RestClientOptions {
  std::string base_url;  // "http://127.0.0.1:8080/fhir" or "https://fhir.example.org/r4"
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
  std::string bearer_token;      // empty: no Authorization header
  bool verify_peer = true;       // TLS certificate and host name verification
  std::string ca_file;           // empty: the system's default trust store
  std::size_t max_connections = 4;
  std::size_t max_response_bytes = 64u * 1024u * 1024u;
  std::string user_agent = "gradient-gateway";
};

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names: "location", "etag", "content-type"
};

// A transport-level failure (connect, TLS, timeout, protocol): an error_code and a message without patient data.
struct RestError {
  boost::system::error_code code;
  std::string message;
};

template <typename T>
struct RestResult {
  std::optional<T> value;
  std::optional<RestError> error;
  [[nodiscard]] bool ok() const { return value.has_value(); }
};

class RestClient {
 public:
  RestClient(boost::asio::any_io_executor executor, RestClientOptions options);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // A raw request. `target` is relative to base_url ("Observation?code=...") or an absolute URL on the same server
  // (search "next" links). Extra headers are sent as given.
  boost::asio::awaitable<RestResult<HttpResponse>> request(
      std::string method, std::string target, std::string body = {},
      std::vector<std::pair<std::string, std::string>> headers = {});

  // GET [type]/[id]. A 404 or 410 is a value with that status, not an error.
  boost::asio::awaitable<RestResult<HttpResponse>> read(std::string type, std::string id);

  // GET [type]?[query], following Bundle.link "next" until there is none or max_pages is reached; returns every
  // page's entries' resources in order. Non-2xx or undecodable pages are errors.
  boost::asio::awaitable<RestResult<std::vector<Resource>>> search(std::string type, std::string query,
                                                                   std::size_t max_pages = 50);

  // POST [base] with a transaction Bundle; returns the transaction-response Bundle.
  boost::asio::awaitable<RestResult<Bundle>> transaction(const Bundle& bundle);

  const RestClientOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gg::fhir
