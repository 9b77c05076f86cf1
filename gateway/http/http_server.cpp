#include "gateway/http/http_server.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <exception>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "gateway/telemetry/log.hpp"

namespace gg::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace detail {

// A session as the server sees it, whatever its transport: something stop() can close.
class SessionControl {
 public:
  virtual ~SessionControl() = default;
  virtual void shutdown() = 0;  // from any thread
};

struct HttpServerShared {
  HttpServerOptions options;
  HttpHandler handler;
  HeaderCheck header_check;

  std::mutex sessions_mutex;  // guards: sessions, stopping, tls
  std::unordered_map<SessionControl*, std::weak_ptr<SessionControl>> sessions;
  bool stopping = false;
  std::shared_ptr<net::ssl::context> tls;  // for new connections; null: plain HTTP
};

}  // namespace detail

namespace {

using detail::HttpServerShared;
using detail::SessionControl;

// After an error response the connection closes; reading (and discarding) what the client still sends for a
// moment keeps the close from turning into a reset that could destroy the response before the client reads it.
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};  // after e.g. EMFILE, instead of a busy loop

// Who is at the other end of a connection.
struct Peer {
  std::string remote_address;
  std::string client_certificate;  // HttpRequest::client_certificate
};

// A request's method, target and fields, without its body.
HttpRequest to_http_request_header(const http::request_header<>& header, const Peer& peer) {
  HttpRequest request;
  request.method = std::string(header.method_string());
  request.target = std::string(header.target());
  for (const auto& field : header) {
    auto [it, inserted] = request.headers.try_emplace(lower_case(field.name_string()), field.value());
    // RFC 9110 section 5.3: repeated field lines combine into one comma-separated value.
    if (!inserted) (it->second += ", ").append(field.value());
  }
  request.remote_address = peer.remote_address;
  request.client_certificate = peer.client_certificate;
  return request;
}

HttpRequest to_http_request(http::request<http::string_body>&& message, const Peer& peer) {
  HttpRequest request = to_http_request_header(message.base(), peer);
  request.body = std::move(message.body());
  return request;
}

// The 500 for a handler or header check that threw or answered nonsense, logged without the request's query and
// body (they may carry patient data; the path names resources by id only).
HttpResponse handler_failed(const HttpRequest& request, std::string error) {
  log(LogLevel::error, "http.handler-failed",
      {{"method", request.method}, {"path", std::string(path_of(request.target))}, {"error", std::move(error)}});
  return operation_outcome_response(500, "exception", "The server failed to process the request");
}

// For HEAD the header says how long the body would be and no body follows (RFC 9110 section 9.3.2).
http::response<http::string_body> to_message(HttpResponse&& response, unsigned version, bool keep_alive,
                                             bool head = false) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), version};
  message.set(http::field::server, "gradient-gateway");
  for (auto& [name, value] : response.headers) message.insert(name, value);
  if (!response.content_type.empty()) message.set(http::field::content_type, response.content_type);
  if (response.status == 204 || response.status == 304) {
    response.body.clear();  // RFC 9110 sections 15.3.5 and 15.4.5: no content
  }
  message.body() = std::move(response.body);
  message.keep_alive(keep_alive);
  message.prepare_payload();
  if (head && message.has_content_length()) {
    const auto length = message.body().size();
    message.body().clear();
    message.content_length(length);
  }
  return message;
}

// One connection's requests and responses, whatever the stream under them. Derived supplies stream() (a
// beast::tcp_stream or an ssl_stream over one), shutdown_send() for the end of a conversation, kLingers (whether
// the connection reads on for a moment after an error response, see kLingerTimeout) and shared_from_this(); the
// TLS session is one more Derived, as in Beast's advanced_server_flex.
template <class Derived>
class HttpSession : public SessionControl {
 public:
  void shutdown() override {
    net::post(derived().stream().get_executor(),
              beast::bind_front_handler(&HttpSession::on_shutdown, derived().shared_from_this()));
  }

 protected:
  HttpSession(std::shared_ptr<HttpServerShared> shared, std::string remote_address, beast::flat_buffer buffer)
      : shared_(std::move(shared)), buffer_(std::move(buffer)) {
    peer_.remote_address = std::move(remote_address);
  }

  ~HttpSession() override {
    const std::lock_guard lock(shared_->sessions_mutex);
    shared_->sessions.erase(this);
  }

  // Called by Derived on the session's strand first: counts the connection among the open ones (a TLS one from
  // before its handshake). False when the server stops: the session ends there and its socket closes.
  bool admit() {
    const std::lock_guard lock(shared_->sessions_mutex);
    if (shared_->stopping) return false;
    over_limit_ = options().max_connections > 0 && shared_->sessions.size() >= options().max_connections;
    shared_->sessions.emplace(this, derived().weak_from_this());
    return true;
  }

  // Called by Derived on the session's strand once its stream is ready (after admit()).
  void start() {
    if (over_limit_) {
      log(LogLevel::warn, "http.connection-refused", {{"remote", peer_.remote_address}});
      auto response = operation_outcome_response(503, "transient",
                                                 "too many connections (server.max_connections " +
                                                     std::to_string(options().max_connections) + "); retry later");
      response.headers.emplace_back("Retry-After", "1");
      return send_response(std::move(response));
    }
    do_read();
  }

 protected:
  const HttpServerOptions& options() const { return shared_->options; }

  Peer peer_;  // Derived adds the client certificate after a TLS handshake

 private:
  Derived& derived() { return static_cast<Derived&>(*this); }
  auto& lowest_layer() { return beast::get_lowest_layer(derived().stream()); }

  void do_read() {
    if (closing_) return do_close();
    // A new parser per message: each has its own body limit and no state left from the last request.
    parser_.emplace();
    parser_->body_limit(options().body_limit);
    // One deadline for the whole request (header and body), which is also the idle keep-alive timeout.
    arm_read_deadline();
    http::async_read_header(derived().stream(), buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::on_read_header, derived().shared_from_this()));
  }

  // The read deadline is a timer of the session's own, not the stream's expiry (which closes the socket): when it
  // passes, the read is cancelled and the connection can still say 408 (RFC 9110 section 15.5.9) to a client whose
  // request was cut short. An idle keep-alive connection is closed without a word.
  void arm_read_deadline() {
    lowest_layer().expires_never();
    if (!read_deadline_) read_deadline_.emplace(derived().stream().get_executor());
    read_deadline_->expires_after(options().read_timeout);
    read_timed_out_ = false;
    reading_ = true;
    read_deadline_->async_wait([self = derived().shared_from_this(), generation = ++read_generation_](
                                   beast::error_code ec) { self->on_read_deadline(ec, generation); });
  }

  void on_read_deadline(beast::error_code ec, unsigned generation) {
    if (ec || !reading_ || generation != read_generation_) return;  // the read finished first
    read_timed_out_ = true;
    beast::error_code ignored;
    lowest_layer().socket().cancel(ignored);
  }

  // A read completed (or failed): its deadline no longer runs.
  void end_read() {
    reading_ = false;
    if (read_deadline_) read_deadline_->cancel();
  }

  void on_read_header(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return on_read_failed(ec);
    end_read();
    const auto& header = parser_->get();
    if (shared_->header_check) {
      const HttpRequest request = to_http_request_header(header.base(), peer_);
      std::optional<HttpResponse> refused;
      try {
        refused = shared_->header_check(request);
      } catch (const std::exception& e) {
        refused = handler_failed(request, e.what());
      } catch (...) {
        refused = handler_failed(request, "unknown");
      }
      // Refused on its header: the body is not read, so the connection cannot carry another request.
      if (refused) return send_response(std::move(*refused), header.method() == http::verb::head);
    }
    // RFC 9110 section 10.1.1: a client that sent "Expect: 100-continue" may wait for the interim response
    // before sending the body. The body limit was already checked against Content-Length.
    if (header.version() >= 11 && beast::iequals(header[http::field::expect], "100-continue") &&
        !parser_->is_done()) {
      interim_.emplace(http::status::continue_, header.version());
      writing_ = true;
      lowest_layer().expires_after(options().write_timeout);
      return http::async_write(derived().stream(), *interim_,
                               beast::bind_front_handler(&HttpSession::on_continue, derived().shared_from_this()));
    }
    read_body();
  }

  void on_continue(beast::error_code ec, std::size_t /*bytes*/) {
    writing_ = false;
    if (ec) return;
    if (closing_) return do_close();
    arm_read_deadline();
    read_body();
  }

  void read_body() {
    if (!reading_) arm_read_deadline();
    http::async_read(derived().stream(), buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, derived().shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return on_read_failed(ec);
    end_read();
    const unsigned version = parser_->get().version();
    const bool keep_alive = parser_->get().keep_alive() && !closing_;
    const bool head = parser_->get().method() == http::verb::head;
    try {
      HttpResponse reply = respond(shared_->handler, to_http_request(parser_->release(), peer_));
      if (reply.stream) return start_stream(std::move(reply), version);
      response_ = to_message(std::move(reply), version, keep_alive, head);
    } catch (const std::exception&) {
      return;  // out of memory building the answer: the connection closes
    }
    do_write();
  }

  void on_read_failed(beast::error_code ec) {
    end_read();
    if (read_timed_out_) {
      read_timed_out_ = false;
      if (closing_ || !(parser_->got_some() || buffer_.size() > 0)) return do_close();  // idle: close quietly
      return send_error(408, "timeout",
                        "The request did not arrive within " + std::to_string(options().read_timeout.count()) +
                            " s (server.read_timeout_s)");
    }
    if (ec == http::error::end_of_stream) return do_close();  // the client closed between requests
    if (ec.category() != http::make_error_code(http::error::end_of_stream).category() ||
        ec == http::error::partial_message) {
      return;  // a transport error or a timeout (the stream is closed already): nothing to answer
    }
    if (ec == http::error::body_limit) {
      return send_error(
          413, "too-long",
          "The request body exceeds the limit of " + std::to_string(options().body_limit) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return send_error(431, "too-long", "The request header is too large");
    }
    send_error(400, "structure", "Malformed HTTP request: " + ec.message());
  }

  void do_write() {
    writing_ = true;
    lowest_layer().expires_after(options().write_timeout);
    http::async_write(derived().stream(), response_,
                      beast::bind_front_handler(&HttpSession::on_write, derived().shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t /*bytes*/) {
    writing_ = false;
    if (ec) return;
    if (response_.need_eof() || closing_) return do_close();
    do_read();
  }

  // A streamed body (BodyStream): the header, then each chunk as the producer delivers it, until its end, a
  // failed write or the server's stop; then the connection closes (the body is close-delimited). While waiting
  // for a chunk no deadline runs: the producer's heartbeats are what finds a vanished client (a write fails).
  void start_stream(HttpResponse&& reply, unsigned version) {
    stream_ = std::move(reply.stream);
    auto& header = stream_header_.emplace(static_cast<http::status>(reply.status), version);
    header.set(http::field::server, "gradient-gateway");
    for (auto& [name, value] : reply.headers) header.insert(name, value);
    if (!reply.content_type.empty()) header.set(http::field::content_type, reply.content_type);
    header.keep_alive(false);
    stream_serializer_.emplace(header);
    writing_ = true;
    lowest_layer().expires_after(options().write_timeout);
    http::async_write_header(
        derived().stream(), *stream_serializer_,
        beast::bind_front_handler(&HttpSession::on_stream_written, derived().shared_from_this()));
  }

  void on_stream_written(beast::error_code ec, std::size_t /*bytes*/) {
    writing_ = false;
    if (ec || closing_ || stream_ended_) return end_stream();
    lowest_layer().expires_never();
    auto self = derived().shared_from_this();
    stream_->next([self](std::string chunk, bool end) {
      auto executor = self->stream().get_executor();
      net::post(executor,
                [self, chunk = std::move(chunk), end]() mutable { self->on_chunk(std::move(chunk), end); });
    });
  }

  void on_chunk(std::string chunk, bool end) {
    if (closing_) return end_stream();
    if (chunk.empty()) {
      if (end) end_stream();
      return;
    }
    chunk_ = std::move(chunk);
    writing_ = true;
    if (end) stream_ended_ = true;
    lowest_layer().expires_after(options().write_timeout);
    net::async_write(derived().stream(), net::buffer(chunk_),
                     beast::bind_front_handler(&HttpSession::on_stream_written, derived().shared_from_this()));
  }

  void end_stream() {
    if (stream_) stream_->cancel();
    do_close();
  }

  // Answers a request the parser rejected, then closes: the rest of the stream cannot be trusted to frame
  // another request.
  void send_error(unsigned status, std::string code, std::string diagnostics) {
    send_response(operation_outcome_response(status, std::move(code), std::move(diagnostics)));
  }

  // A response after which the connection closes, the request's body unread.
  void send_response(HttpResponse&& response, bool head = false) {
    response_ = to_message(std::move(response), 11, false, head);
    writing_ = true;
    lowest_layer().expires_after(options().write_timeout);
    http::async_write(derived().stream(), response_,
                      beast::bind_front_handler(&HttpSession::on_error_written, derived().shared_from_this()));
  }

  void on_error_written(beast::error_code ec, std::size_t /*bytes*/) {
    writing_ = false;
    if (ec) return;
    derived().shutdown_send();
    if (closing_ || !Derived::kLingers) return;
    lowest_layer().expires_after(kLingerTimeout);
    do_linger();
  }

  void do_linger() {
    derived().stream().async_read_some(
        buffer_.prepare(4096), beast::bind_front_handler(&HttpSession::on_linger, derived().shared_from_this()));
  }

  void on_linger(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return;  // end of stream, timeout or shutdown: the session ends and its socket closes
    do_linger();     // the bytes read stay uncommitted: the next read overwrites them
  }

  void do_close() { derived().shutdown_send(); }

  void on_shutdown() {
    closing_ = true;
    if (read_deadline_) read_deadline_->cancel();
    if (stream_ && !writing_) return end_stream();  // waiting for a chunk: stop now
    // A session writing finishes its response first (on_write sees closing_); one waiting for a request stops.
    if (!writing_) lowest_layer().close();
  }

  std::shared_ptr<HttpServerShared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<net::steady_timer> read_deadline_;  // arm_read_deadline()
  unsigned read_generation_ = 0;                    // which read the deadline's wait belongs to
  bool reading_ = false;
  bool read_timed_out_ = false;
  std::optional<http::response<http::empty_body>> interim_;  // 100 Continue
  http::response<http::string_body> response_;               // one response in flight at a time
  std::shared_ptr<BodyStream> stream_;                       // a streamed response's producer
  std::optional<http::response<http::empty_body>> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> stream_serializer_;
  std::string chunk_;        // the chunk being written
  bool over_limit_ = false;  // admitted beyond max_connections: answered 503 and closed
  bool stream_ended_ = false;
  bool writing_ = false;
  bool closing_ = false;
};

// A session over plain TCP.
class PlainHttpSession : public HttpSession<PlainHttpSession>,
                         public std::enable_shared_from_this<PlainHttpSession> {
 public:
  PlainHttpSession(tcp::socket&& socket, std::shared_ptr<HttpServerShared> shared, std::string remote_address,
                   beast::flat_buffer buffer)
      : HttpSession(std::move(shared), std::move(remote_address), std::move(buffer)), stream_(std::move(socket)) {}

  static constexpr bool kLingers = true;

  void run() {
    // Everything of this session happens on its strand, the socket's executor.
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&PlainHttpSession::on_run, shared_from_this()));
  }

  beast::tcp_stream& stream() { return stream_; }

  void shutdown_send() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

 private:
  void on_run() {
    if (admit()) start();
  }

  beast::tcp_stream stream_;
};

// The subject of a certificate in RFC 2253's form ("CN=hapi,O=Hospital").
std::string subject_of(X509* certificate) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  std::string subject;
  if (X509_NAME_print_ex(bio, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    if (size > 0 && data != nullptr) subject.assign(data, static_cast<std::size_t>(size));
  }
  BIO_free(bio);
  return subject;
}

// A session over TLS (options.tls): the handshake, under its own deadline, then requests as over plain TCP. The
// session keeps the context it started with, so a reload never changes an open connection. Its end is TLS's
// closing exchange (close_notify), under the linger deadline, instead of TCP's half-close and a lingering read.
class SslHttpSession : public HttpSession<SslHttpSession>, public std::enable_shared_from_this<SslHttpSession> {
 public:
  SslHttpSession(tcp::socket&& socket, std::shared_ptr<net::ssl::context> context,
                 std::shared_ptr<HttpServerShared> shared, std::string remote_address)
      : HttpSession(std::move(shared), std::move(remote_address), beast::flat_buffer{}),
        context_(std::move(context)),
        stream_(std::move(socket), *context_) {}

  static constexpr bool kLingers = false;

  void run() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&SslHttpSession::on_run, shared_from_this()));
  }

  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }

  void shutdown_send() {
    beast::get_lowest_layer(stream_).expires_after(kLingerTimeout);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code /*ec*/) {
      beast::error_code ec;
      self->stream_.next_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    });
  }

 private:
  void on_run() {
    if (!admit()) return;
    beast::get_lowest_layer(stream_).expires_after(options().handshake_timeout);
    stream_.async_handshake(net::ssl::stream_base::server,
                            beast::bind_front_handler(&SslHttpSession::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      // A plain-HTTP client, an old protocol, a missing or untrusted client certificate: the connection closes.
      log(LogLevel::info, "http.tls-handshake-failed",
          {{"remote", peer_.remote_address}, {"error", ec.message()}});
      return;
    }
    SSL* ssl = stream_.native_handle();
    if (X509* certificate = SSL_get0_peer_certificate(ssl);
        certificate != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
      peer_.client_certificate = subject_of(certificate);
    }
    start();
  }

  std::shared_ptr<net::ssl::context> context_;  // outlives stream_, which refers to it
  beast::ssl_stream<beast::tcp_stream> stream_;
};

}  // namespace

namespace detail {

class HttpListener : public std::enable_shared_from_this<HttpListener> {
 public:
  HttpListener(net::io_context& ioc, std::shared_ptr<HttpServerShared> shared)
      : ioc_(ioc),
        acceptor_(net::make_strand(ioc)),
        retry_timer_(acceptor_.get_executor()),
        shared_(std::move(shared)) {}

  beast::error_code listen(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    if (acceptor_.open(endpoint.protocol(), ec); ec) return ec;
    if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) return ec;
    if (acceptor_.bind(endpoint, ec); ec) return ec;
    if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) return ec;
    return {};
  }

  unsigned short port() const {
    beast::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }

  void run() {
    net::dispatch(acceptor_.get_executor(),
                  beast::bind_front_handler(&HttpListener::do_accept, shared_from_this()));
  }

  void stop() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->retry_timer_.cancel();
    });
  }

 private:
  void do_accept() {
    // Each connection gets its own strand.
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&HttpListener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;  // stopped
    if (ec) {
      log(LogLevel::warn, "http.accept-failed", {{"error", ec.message()}});
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec && self->acceptor_.is_open()) self->do_accept();
      });
      return;
    }
    beast::error_code endpoint_ec;
    auto remote = socket.remote_endpoint(endpoint_ec).address();
    if (!endpoint_ec) {  // otherwise the peer has gone already
      // On a dual-stack "::" listener IPv4 peers arrive as ::ffff:a.b.c.d: report them as a.b.c.d.
      if (remote.is_v6() && remote.to_v6().is_v4_mapped()) {
        remote = net::ip::make_address_v4(net::ip::v4_mapped, remote.to_v6());
      }
      std::shared_ptr<net::ssl::context> tls;
      {
        const std::lock_guard lock(shared_->sessions_mutex);
        tls = shared_->tls;
      }
      if (tls != nullptr) {
        std::make_shared<SslHttpSession>(std::move(socket), std::move(tls), shared_, remote.to_string())->run();
      } else {
        std::make_shared<PlainHttpSession>(std::move(socket), shared_, remote.to_string(), beast::flat_buffer{})
            ->run();
      }
    }
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::shared_ptr<HttpServerShared> shared_;
};

}  // namespace detail

HttpResponse respond(const HttpHandler& handler, const HttpRequest& request) {
  try {
    HttpResponse response = handler(request);
    if (response.status >= 200 && response.status <= 599) return response;
    return handler_failed(request, "invalid status " + std::to_string(response.status));
  } catch (const std::exception& e) {
    return handler_failed(request, e.what());
  } catch (...) {
    return handler_failed(request, "unknown");
  }
}

HttpServer::HttpServer(net::io_context& ioc, HttpServerOptions options, HttpHandler handler,
                       HeaderCheck header_check)
    : ioc_(ioc), shared_(std::make_shared<detail::HttpServerShared>()) {
  shared_->options = std::move(options);
  shared_->handler = std::move(handler);
  shared_->header_check = std::move(header_check);
  shared_->tls = shared_->options.tls;
}

void HttpServer::set_tls_context(std::shared_ptr<net::ssl::context> tls) {
  const std::lock_guard lock(shared_->sessions_mutex);
  if (shared_->tls != nullptr && tls != nullptr) shared_->tls = std::move(tls);
}

HttpServer::~HttpServer() {
  stop();
}

boost::system::error_code HttpServer::start() {
  if (listener_ != nullptr) return net::error::already_open;
  beast::error_code ec;
  const auto address = net::ip::make_address(shared_->options.address, ec);
  if (ec) return ec;
  auto listener = std::make_shared<detail::HttpListener>(ioc_, shared_);
  if (ec = listener->listen(tcp::endpoint(address, shared_->options.port)); ec) return ec;
  port_ = listener->port();
  listener_ = std::move(listener);
  listener_->run();
  return {};
}

void HttpServer::stop() {
  std::vector<std::shared_ptr<detail::SessionControl>> live;
  {
    const std::lock_guard lock(shared_->sessions_mutex);
    if (shared_->stopping) return;
    shared_->stopping = true;
    for (const auto& [key, session] : shared_->sessions) {
      if (auto alive = session.lock()) live.push_back(std::move(alive));
    }
  }
  if (listener_ != nullptr) listener_->stop();
  for (const auto& session : live) session->shutdown();
}

}  // namespace gg::gateway
