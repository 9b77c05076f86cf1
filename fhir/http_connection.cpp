#include "fhir/http_connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <string>
#include <type_traits>
#include <utility>

#include "fhir/asio_names.hpp"

namespace gg::fhir::detail {

namespace {

using namespace asio_names;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <typename Stream>
class BasicConnection final : public Connection {
 public:
  static constexpr bool tls = std::is_same_v<Stream, TlsStream>;

  // `tls_context...` is the ssl::context for TlsStream and nothing for PlainStream.
  template <typename... TlsContext>
  BasicConnection(const asio::any_io_executor& executor, Url origin, bool verify_peer, TlsContext&... tls_context)
      : strand_(asio::make_strand(executor)),
        stream_(strand_, tls_context...),
        origin_(std::move(origin)),
        verify_peer_(verify_peer) {}

  asio::any_io_executor executor() const override { return strand_; }

  bool idle_and_open() override {
    auto& socket = beast::get_lowest_layer(stream_).socket();
    if (!socket.is_open() || buffer_.size() != 0) return false;
    if constexpr (tls) {
      if (SSL_pending(stream_.native_handle()) > 0) return false;
    }
    char byte = 0;
    const auto received = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  asio::awaitable<Exchange> exchange(const Request& request, Deadlines deadlines,
                                     std::size_t body_limit) override {
    Exchange out;
    auto& tcp_stream = beast::get_lowest_layer(stream_);
    if (!connected_) {
      co_await connect(deadlines.connect_by, out);
      if (out.ec) co_return out;
      connected_ = true;
    }
    tcp_stream.expires_at(deadlines.respond_by);
    out.stage = "send";
    co_await http::async_write(stream_, request, asio::redirect_error(asio::use_awaitable, out.ec));
    if (out.ec) co_return out;
    out.request_sent = true;
    out.stage = "receive";
    for (;;) {  // a client must read past interim 1xx responses (RFC 9110 section 15.2)
      http::response_parser<http::string_body> parser;
      parser.header_limit(64 * 1024);
      parser.body_limit(body_limit);
      if (request.method() == http::verb::head) parser.skip(true);
      co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, out.ec));
      out.response_started = out.response_started || parser.got_some() || buffer_.size() != 0;
      if (out.ec) co_return out;
      const unsigned status = parser.get().result_int();
      if (status >= 100 && status < 200 && status != 101) continue;
      tcp_stream.expires_never();
      // Bytes after the response would be an unasked-for response: such a connection is not reused.
      out.reusable = parser.keep_alive() && buffer_.size() == 0 && status != 101;
      out.response = parser.release();
      co_return out;
    }
  }

  asio::awaitable<Exchange> download(const Request& request, Deadlines deadlines,
                                     std::chrono::milliseconds idle_timeout, const std::string& path) override {
    Exchange out;
    auto& tcp_stream = beast::get_lowest_layer(stream_);
    if (!connected_) {
      co_await connect(deadlines.connect_by, out);
      if (out.ec) co_return out;
      connected_ = true;
    }
    tcp_stream.expires_at(deadlines.respond_by);
    out.stage = "send";
    co_await http::async_write(stream_, request, asio::redirect_error(asio::use_awaitable, out.ec));
    if (out.ec) co_return out;
    out.request_sent = true;
    out.stage = "receive";
    http::response_parser<http::file_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(boost::none);  // the disk, not memory, holds the body
    out.stage = "open the download file";
    parser.get().body().open(path.c_str(), beast::file_mode::write, out.ec);
    if (out.ec) co_return out;
    out.stage = "receive";
    // The header within the call's deadline; then each read of the body within idle_timeout, so a large file
    // that keeps arriving is never cut off while a stalled one is.
    co_await http::async_read_header(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, out.ec));
    out.response_started = parser.got_some() || buffer_.size() != 0;
    while (!out.ec && !parser.is_done()) {
      tcp_stream.expires_after(idle_timeout);
      co_await http::async_read_some(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, out.ec));
    }
    parser.get().body().close();
    if (out.ec) co_return out;
    tcp_stream.expires_never();
    out.reusable = parser.keep_alive() && buffer_.size() == 0;
    out.response.result(parser.get().result_int());
    for (const auto& field : parser.get()) out.response.insert(field.name_string(), field.value());
    co_return out;
  }

 private:
  asio::awaitable<void> connect(SteadyClock::time_point connect_by, Exchange& out) {
    auto& tcp_stream = beast::get_lowest_layer(stream_);
    out.stage = "connect";
    error_code not_an_address;
    const auto address = asio::ip::make_address(origin_.host, not_an_address);
    tcp_stream.expires_at(connect_by);
    if (!not_an_address) {
      co_await tcp_stream.async_connect(tcp::endpoint(address, origin_.port),
                                        asio::redirect_error(asio::use_awaitable, out.ec));
    } else {
      tcp::resolver resolver(strand_);
      const auto endpoints = co_await resolver.async_resolve(origin_.host, std::to_string(origin_.port),
                                                             asio::redirect_error(asio::use_awaitable, out.ec));
      if (out.ec) co_return;
      co_await tcp_stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, out.ec));
    }
    if (out.ec) co_return;
    error_code ignored;
    tcp_stream.socket().set_option(tcp::no_delay(true), ignored);
    if constexpr (tls) {
      out.stage = "TLS handshake";
      // SNI carries host names only; literal addresses are not permitted (RFC 6066 section 3).
      if (not_an_address && SSL_set_tlsext_host_name(stream_.native_handle(), origin_.host.c_str()) != 1) {
        out.ec = error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
        co_return;
      }
      if (verify_peer_) stream_.set_verify_callback(ssl::host_name_verification(origin_.host));
      co_await stream_.async_handshake(ssl::stream_base::client,
                                       asio::redirect_error(asio::use_awaitable, out.ec));
    }
  }

  asio::any_io_executor strand_;
  Stream stream_;
  beast::flat_buffer buffer_;
  Url origin_;
  bool verify_peer_;
  bool connected_ = false;
};

}  // namespace

std::unique_ptr<Connection> make_connection(const asio::any_io_executor& executor, const Url& origin,
                                            bool verify_peer, ssl::context* tls) {
  if (tls) return std::make_unique<BasicConnection<TlsStream>>(executor, origin, verify_peer, *tls);
  return std::make_unique<BasicConnection<PlainStream>>(executor, origin, verify_peer);
}

// Destroys a connection on its own strand, where a timeout handler of its stream may still be queued.
void discard(std::unique_ptr<Connection> connection) {
  if (!connection) return;
  const auto executor = connection->executor();
  asio::post(executor, [doomed = std::move(connection)] {});
}

// The server closed the connection or reset it: the usual fate of a kept-alive connection it timed out.
bool closed_by_peer(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

}  // namespace gg::fhir::detail
