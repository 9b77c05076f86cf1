// One keep-alive HTTP/1.1 connection to the FHIR server's origin, plain or TLS (one template, BasicConnection,
// shares the code as Beast's advanced_server_flex does), with the connect and response deadlines of one call.
// Internal to fhir/: the RestClient and its ConnectionPool use it; nothing outside fhir/ includes it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "fhir/url.hpp"

namespace gg::fhir::detail {

using SteadyClock = std::chrono::steady_clock;
using Request = boost::beast::http::request<boost::beast::http::string_body>;

struct Deadlines {
  SteadyClock::time_point connect_by;  // resolve, TCP connect and TLS handshake
  SteadyClock::time_point respond_by;  // the last byte of the response
};

struct Exchange {
  boost::system::error_code ec;
  const char* stage = "send";     // where it failed: "connect", "TLS handshake", "send", "receive"
  bool request_sent = false;      // every byte of the request was written
  bool response_started = false;  // at least one byte of a response was read
  bool reusable = false;          // the connection may carry another request
  boost::beast::http::response<boost::beast::http::string_body> response;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Connects first when the connection is new, then sends the request and reads the final response. Must run on
  // executor() (Beast streams and their timeouts are not thread-safe).
  virtual boost::asio::awaitable<Exchange> exchange(const Request& request, Deadlines deadlines,
                                                    std::size_t body_limit) = 0;
  // The same, with the response body written to the file at `path` (created or truncated) as it arrives, for
  // bodies too large to hold in memory (Bulk Data output files). No body limit; instead every read must make
  // progress within `idle_timeout`. The response in the Exchange carries the status and the headers only.
  virtual boost::asio::awaitable<Exchange> download(const Request& request, Deadlines deadlines,
                                                    std::chrono::milliseconds idle_timeout,
                                                    const std::string& path) = 0;
  virtual boost::asio::any_io_executor executor() const = 0;
  // An idle kept-alive connection is usable only while the server has sent nothing on it: not a FIN, not a byte.
  // Called only while no operation is pending on the connection.
  virtual bool idle_and_open() = 0;
};

// A new, unconnected connection to `origin` on its own strand of `executor`; TLS when `tls` is given (it must
// outlive the connection). It connects on its first exchange.
std::unique_ptr<Connection> make_connection(const boost::asio::any_io_executor& executor, const Url& origin,
                                            bool verify_peer, boost::asio::ssl::context* tls);

// Destroys a connection on its own strand, where a timeout handler of its stream may still be queued.
void discard(std::unique_ptr<Connection> connection);

// The server closed the connection or reset it: the usual fate of a kept-alive connection it timed out.
bool closed_by_peer(const boost::system::error_code& ec);

}  // namespace gg::fhir::detail
