// The gateway's HTTP/1.1 server (Boost.Beast), after Beast's http_server_async and advanced_server_flex examples:
// an accept loop, one session per connection reading requests one after another (keep-alive, no pipelined
// responses in flight), each request handed to an HttpHandler: a plain function, request in, response out, that
// tests call without sockets. Errors the server answers itself (body too large, malformed request, a handler that
// throws) are OperationOutcome JSON with the right status code.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "gateway/http/message.hpp"
#include "gateway/http/outcome_response.hpp"

namespace gg::gateway {

namespace detail {
struct HttpServerShared;
class HttpListener;
}  // namespace detail

struct HttpServerOptions {
  std::string address = "127.0.0.1";  // an IPv4 or IPv6 address; "0.0.0.0" or "::" for every interface
  unsigned short port = 0;            // 0: an ephemeral port, see HttpServer::port()
  std::size_t body_limit = std::size_t{8} * 1024 * 1024;  // larger request bodies are answered 413
  std::chrono::seconds read_timeout{30};   // for a whole request, and for an idle keep-alive connection
  std::chrono::seconds write_timeout{30};  // for a whole response
  // Connections open at once, each of which may hold a body of up to body_limit: one more is answered 503 with
  // Retry-After and closed (issue 13). 0: no limit.
  std::size_t max_connections = 64;
  // When set, every connection speaks TLS with this context (http/tls_context.hpp); otherwise plain HTTP.
  std::shared_ptr<boost::asio::ssl::context> tls = {};
  // How long a TLS handshake may take, and a TLS connection's closing exchange.
  std::chrono::seconds handshake_timeout{10};
};

// What a session does with each request: calls the handler; an exception from it, or a status outside 200..599,
// becomes a 500 OperationOutcome (logged without the request's body).
HttpResponse respond(const HttpHandler& handler, const HttpRequest& request);

// Asked with a request's header alone (its body empty), before the body is read: a response refuses the request
// there (a missing credential: issue 13), and the body is never read; nothing lets it on to be read and handled.
using HeaderCheck = std::function<std::optional<HttpResponse>(const HttpRequest& header)>;

class HttpServer {
 public:
  // The handler is called on the io_context's threads, one request at a time per connection, concurrently across
  // connections. `header_check`, when given, is called first, on the same threads, with each request's header.
  HttpServer(boost::asio::io_context& ioc, HttpServerOptions options, HttpHandler handler,
             HeaderCheck header_check = {});
  ~HttpServer();  // stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts accepting (on the io_context). An error (address in use, bad address) leaves the
  // server stopped. Call once, before or while the io_context runs.
  boost::system::error_code start();

  // The bound port, once start() succeeded (the actual one when options.port was 0).
  [[nodiscard]] unsigned short port() const { return port_; }

  // From now on new connections use this TLS context (a certificate reloaded on SIGHUP); open ones keep theirs,
  // so none is dropped. Only for a server started with options.tls; safe from any thread.
  void set_tls_context(std::shared_ptr<boost::asio::ssl::context> tls);

  // Stops accepting and closes every connection: idle ones at once, busy ones after their current response.
  // Returns at once; the work completes on the io_context. Safe from any thread.
  void stop();

 private:
  boost::asio::io_context& ioc_;
  std::shared_ptr<detail::HttpServerShared> shared_;  // with every session: options, handler, live sessions
  std::shared_ptr<detail::HttpListener> listener_;
  unsigned short port_ = 0;
};

}  // namespace gg::gateway
