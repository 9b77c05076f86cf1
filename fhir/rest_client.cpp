#include "fhir/rest_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <type_traits>

#include "fhir/url.hpp"

namespace gg::fhir {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;

class RestCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "gg.fhir.rest"; }
  std::string message(int value) const override {
    static constexpr const char* messages[] = {
        "unknown FHIR REST client error", "the server answered with an error status",
        "the response is not the expected FHIR content", "the request target was refused",
        "the request was not sent: invalid argument"};
    return messages[value >= 1 && value <= 4 ? value : 0];
  }
};

template <typename T>
RestResult<T> success(T value) {
  RestResult<T> result;
  result.value.emplace(std::move(value));
  return result;
}

template <typename T>
RestResult<T> failure(RestError error) {
  RestResult<T> result;
  result.error.emplace(std::move(error));
  return result;
}

template <typename T>
RestResult<T> failure(error_code code, std::string message, unsigned http_status = 0) {
  return failure<T>(RestError{code, std::move(message), http_status, {}});
}

// The error of a call made on behalf of another, with that call named first: "search Patient page 2: ...".
template <typename T>
RestResult<T> failure_in(const std::string& what, RestError error) {
  error.message = what + ": " + error.message;
  return failure<T>(std::move(error));
}

// ---- One connection: plain and TLS share this code through BasicConnection<Stream> -----------------------------

struct Deadlines {
  Clock::time_point connect_by;  // resolve, TCP connect and TLS handshake
  Clock::time_point respond_by;  // the last byte of the response
};

struct Exchange {
  error_code ec;
  const char* stage = "send";     // where it failed: "connect", "TLS handshake", "send", "receive"
  bool request_sent = false;      // every byte of the request was written
  bool response_started = false;  // at least one byte of a response was read
  bool reusable = false;          // the connection may carry another request
  http::response<http::string_body> response;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Connects first when the connection is new, then sends the request and reads the final response. Must run on
  // executor() (Beast streams and their timeouts are not thread-safe).
  virtual asio::awaitable<Exchange> exchange(const Request& request, Deadlines deadlines,
                                             std::size_t body_limit) = 0;
  virtual asio::any_io_executor executor() const = 0;
  // An idle kept-alive connection is usable only while the server has sent nothing on it: not a FIN, not a byte.
  // Called only while no operation is pending on the connection.
  virtual bool idle_and_open() = 0;
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <typename Stream>
class BasicConnection final : public Connection {
 public:
  static constexpr bool tls = std::is_same_v<Stream, TlsStream>;

  // `tls_context...` is the ssl::context for TlsStream and nothing for PlainStream.
  template <typename... TlsContext>
  BasicConnection(const asio::any_io_executor& executor, const Url& origin, bool verify_peer,
                  TlsContext&... tls_context)
      : strand_(asio::make_strand(executor)),
        stream_(strand_, tls_context...),
        origin_(origin),
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

 private:
  asio::awaitable<void> connect(Clock::time_point connect_by, Exchange& out) {
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

// Destroys a connection on its own strand, where a timeout handler of its stream may still be queued.
void discard(std::unique_ptr<Connection> connection) {
  if (!connection) return;
  const auto executor = connection->executor();
  asio::post(executor, [doomed = std::move(connection)] {});
}

// ---- The pool --------------------------------------------------------------------------------------------------

class ConnectionPool;

// One of the pool's max_connections places, with its connection (empty until one is opened). Destroying the slot
// gives both back: the connection to the idle list when `keep`, otherwise the place alone.
class Slot {
 public:
  Slot() = default;
  Slot(ConnectionPool& pool, std::unique_ptr<Connection> granted)
      : connection(std::move(granted)), reused(connection != nullptr), pool_(&pool) {}
  Slot(Slot&& other) noexcept
      : connection(std::move(other.connection)),
        reused(other.reused),
        keep(other.keep),
        pool_(std::exchange(other.pool_, nullptr)) {}
  Slot& operator=(Slot&&) = delete;
  ~Slot();

  std::unique_ptr<Connection> connection;
  bool reused = false;  // it carried an earlier request, so the server may have closed it since
  bool keep = false;    // set after a clean exchange on a connection that allows keep-alive

 private:
  ConnectionPool* pool_ = nullptr;
};

class ConnectionPool {
 public:
  explicit ConnectionPool(std::size_t max_connections)
      : max_connections_(std::max<std::size_t>(1, max_connections)) {}

  // An idle connection that is still open, else an empty slot while fewer than max_connections are open, else the
  // first one given back, waiting at most until `deadline` (then beast::error::timeout).
  asio::awaitable<std::pair<error_code, Slot>> acquire(Clock::time_point deadline) {
    Waiter waiter(*this, co_await asio::this_coro::executor);
    std::optional<Slot> slot;
    std::vector<std::unique_ptr<Connection>> closed;
    {
      std::lock_guard lock(mutex_);
      if (auto taken = take_locked(closed)) slot.emplace(std::move(*taken));
      if (!slot) {
        waiter.timer.expires_at(deadline);
        waiters_.push_back(&waiter);
        waiter.queued = true;
      }
    }
    for (auto& connection : closed) discard(std::move(connection));
    if (slot) co_return std::pair{error_code{}, std::move(*slot)};

    error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    co_await asio::async_initiate<decltype(token), void(error_code)>(
        [this, &waiter](auto handler) {
          std::lock_guard lock(mutex_);
          if (waiter.granted) waiter.timer.expires_at(Clock::time_point::min());  // given before we waited
          waiter.timer.async_wait(std::move(handler));
        },
        token);

    std::unique_lock lock(mutex_);
    if (waiter.granted) {
      waiter.granted = false;
      lock.unlock();
      co_return std::pair{error_code{}, Slot(*this, std::move(waiter.connection))};
    }
    std::erase(waiters_, &waiter);
    waiter.queued = false;
    lock.unlock();
    // The timer expired (no error), or the awaiting operation was cancelled.
    co_return std::pair{ec ? ec : error_code(beast::error::timeout), Slot{}};
  }

  // Gives a slot back, with its connection when it may be reused: to the longest waiter first, else to the pool.
  void release(std::unique_ptr<Connection> connection, bool keep) {
    if (!keep) discard(std::move(connection));
    std::lock_guard lock(mutex_);
    if (!waiters_.empty()) {
      Waiter* waiter = waiters_.front();
      waiters_.pop_front();
      waiter->queued = false;
      waiter->granted = true;
      waiter->connection = std::move(connection);
      waiter->timer.cancel();
    } else if (connection) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;
    }
  }

 private:
  struct Waiter {
    Waiter(ConnectionPool& owner, asio::any_io_executor executor) : pool(owner), timer(std::move(executor)) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    // A coroutine destroyed while waiting (its io_context shut down) leaves the queue and returns what it was
    // given.
    ~Waiter() {
      std::unique_lock lock(pool.mutex_);
      if (queued) std::erase(pool.waiters_, this);
      if (!granted) return;
      lock.unlock();
      const bool has_connection = connection != nullptr;
      pool.release(std::move(connection), has_connection);
    }
    ConnectionPool& pool;
    asio::steady_timer timer;  // woken by cancel() when a slot is granted
    bool queued = false;
    bool granted = false;
    std::unique_ptr<Connection> connection;  // the granted connection; empty: open one in the granted slot
  };

  std::optional<Slot> take_locked(std::vector<std::unique_ptr<Connection>>& closed) {
    while (!idle_.empty()) {
      auto connection = std::move(idle_.back());  // the most recently used is the likeliest still open
      idle_.pop_back();
      if (connection->idle_and_open()) return Slot(*this, std::move(connection));
      closed.push_back(std::move(connection));
      --open_;
    }
    if (open_ >= max_connections_) return std::nullopt;
    ++open_;
    return Slot(*this, nullptr);
  }

  const std::size_t max_connections_;
  std::mutex mutex_;  // guards idle_, open_, waiters_, and every queued Waiter (its flags, connection and timer)
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;         // slots handed out plus idle connections
  std::deque<Waiter*> waiters_;  // oldest first
};

Slot::~Slot() {
  if (pool_) pool_->release(std::move(connection), keep);
}

// ---- Requests and responses ------------------------------------------------------------------------------------

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}  // "C" locale: ASCII only
bool is_tchar(char c) {  // RFC 9110 section 5.6.2
  return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}
bool is_field_value(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7f;
  });
}

// Methods a client may repeat without changing the outcome (RFC 9110 section 9.2.2).
bool idempotent(http::verb method) {
  using enum http::verb;
  return method == get || method == head || method == options || method == put || method == delete_ ||
         method == trace;
}

// The server closed the connection or reset it: the usual fate of a kept-alive connection it timed out.
bool closed_by_peer(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

HttpResponse to_http_response(http::response<http::string_body>&& response) {
  HttpResponse out;
  out.status = response.result_int();
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto [it, inserted] = out.headers.emplace(std::move(name), std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  out.body = std::move(response.body());
  return out;
}

// "<what>: HTTP 412 Precondition Failed: <OperationOutcome diagnostics>". Only the diagnostics of an
// OperationOutcome are quoted, never any other body.
RestError status_error(const std::string& what, const HttpResponse& response) {
  RestError error{make_error_code(RestErrc::http_status),
                  what + ": HTTP " + std::to_string(response.status) + " " +
                      std::string(http::obsolete_reason(static_cast<http::status>(response.status))),
                  response.status,
                  {}};
  const auto first = response.body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || response.body[first] != '{') return error;
  auto decoded = decode_resource(response.body);
  auto* outcome = decoded.ok() ? std::get_if<OperationOutcome>(&*decoded.value) : nullptr;
  if (!outcome) return error;
  std::string diagnostics;
  for (const auto& issue : outcome->issue) {
    if (issue.diagnostics.empty()) continue;
    if (!diagnostics.empty()) diagnostics += "; ";
    diagnostics += issue.diagnostics;
  }
  constexpr std::size_t max_diagnostics = 1000;
  if (diagnostics.size() > max_diagnostics) diagnostics = diagnostics.substr(0, max_diagnostics) + "...";
  if (!diagnostics.empty()) error.message += ": " + diagnostics;
  error.outcome = std::move(*outcome);
  return error;
}

// "Bundle.entry[3].resource.valueQuantity: <message> (and 2 more)", or "" when there are only warnings. Issue
// messages carry no patient values (decode_result.hpp).
std::string describe_errors(const std::vector<DecodeIssue>& issues) {
  const auto is_error = [](const DecodeIssue& i) { return i.severity != DecodeIssue::Severity::warning; };
  const auto first = std::find_if(issues.begin(), issues.end(), is_error);
  if (first == issues.end()) return {};
  const auto more = std::count_if(first + 1, issues.end(), is_error);
  return (first->path.empty() ? "" : first->path + ": ") + first->message +
         (more > 0 ? " (and " + std::to_string(more) + " more)" : "");
}

// FHIR resource type names and ids (R4 section 2.24.0.1, type id: [A-Za-z0-9\-\.]{1,64}), checked so that
// read() can never address anything but [type]/[id].
bool valid_type(std::string_view type) {
  return !type.empty() && type.size() <= 64 && type.front() >= 'A' && type.front() <= 'Z' &&
         std::all_of(type.begin(), type.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}
bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return is_alnum(c) || c == '-' || c == '.'; });
}

}  // namespace

const boost::system::error_category& rest_category() {
  static const RestCategory category;
  return category;
}

boost::system::error_code make_error_code(RestErrc e) {
  return {static_cast<int>(e), rest_category()};
}

// ---- The client ------------------------------------------------------------------------------------------------

struct RestClient::Impl {
  Impl(asio::any_io_executor io_executor, RestClientOptions client_options)
      : executor(std::move(io_executor)), options(std::move(client_options)), pool(options.max_connections) {
    auto parsed = parse_url(options.base_url);
    if (!parsed || parsed->target.find('?') != std::string::npos) {
      throw std::invalid_argument("RestClient: base_url is not an http or https URL without a query: " +
                                  options.base_url);
    }
    base = std::move(*parsed);
    if (!is_field_value(options.bearer_token) || !is_field_value(options.user_agent)) {
      throw std::invalid_argument("RestClient: bearer_token or user_agent contains control characters");
    }
    if (base.tls()) {
      tls.emplace(ssl::context::tls_client);
      SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
      if (options.verify_peer) {
        tls->set_verify_mode(ssl::verify_peer);
        if (options.ca_file.empty()) {
          tls->set_default_verify_paths();
        } else {
          tls->load_verify_file(options.ca_file);
        }
      } else {
        tls->set_verify_mode(ssl::verify_none);
      }
    }
  }

  std::unique_ptr<Connection> make_connection() {
    if (tls) return std::make_unique<BasicConnection<TlsStream>>(executor, base, options.verify_peer, *tls);
    return std::make_unique<BasicConnection<PlainStream>>(executor, base, options.verify_peer);
  }

  std::string describe(const std::string& method) const { return method + " " + base.origin(); }

  // The request with the FHIR defaults (R4 section 3.1.0.1.10 for the MIME type); extra headers replace them.
  RestResult<Request> build(const std::string& method, std::string target, std::string body,
                            const Headers& extra) const {
    const auto refuse = [&](std::string why) {
      return failure<Request>(RestErrc::invalid_request, describe(method) + ": " + why);
    };
    if (!is_token(method)) return refuse("invalid method");
    for (const auto& [name, value] : extra) {
      if (!is_token(name) || !is_field_value(value)) return refuse("invalid header " + name);
      if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding"))
        return refuse(name + " is set here");
    }
    const auto given = [&](std::string_view name) {
      return std::any_of(extra.begin(), extra.end(),
                         [&](const auto& header) { return beast::iequals(header.first, name); });
    };
    Request request;
    if (const auto verb = http::string_to_verb(method); verb != http::verb::unknown) {
      request.method(verb);
    } else {
      request.method_string(method);
    }
    request.target(target);
    request.version(11);
    if (!given("host")) request.set(http::field::host, base.authority());
    if (!given("user-agent")) request.set(http::field::user_agent, options.user_agent);
    if (!given("accept")) request.set(http::field::accept, "application/fhir+json");
    if (!body.empty() && !given("content-type")) request.set(http::field::content_type, "application/fhir+json");
    if (!options.bearer_token.empty() && !given("authorization")) {
      request.set(http::field::authorization, "Bearer " + options.bearer_token);
    }
    for (const auto& [name, value] : extra) request.insert(name, value);
    request.body() = std::move(body);
    request.prepare_payload();
    return success(std::move(request));
  }

  std::string transport_message(const std::string& method, const Exchange& exchange) const {
    std::string text = describe(method) + ": " + exchange.stage;
    if (exchange.ec == beast::error::timeout) {
      const bool connecting =
          std::string_view(exchange.stage) != "send" && std::string_view(exchange.stage) != "receive";
      return text + " timed out (" +
             (connecting ? "connect_timeout " + std::to_string(options.connect_timeout.count())
                         : "request_timeout " + std::to_string(options.request_timeout.count())) +
             " ms)";
    }
    if (exchange.ec == http::error::body_limit) {
      return text + " failed: response larger than max_response_bytes (" +
             std::to_string(options.max_response_bytes) + ")";
    }
    return text + " failed: " + exchange.ec.message();
  }

  static asio::awaitable<RestResult<HttpResponse>> send(std::shared_ptr<Impl> self, std::string method,
                                                        std::string target, std::string body, Headers headers) {
    const auto respond_by = Clock::now() + self->options.request_timeout;
    const auto resolved = resolve_target(self->base, target);
    if (!resolved.target) {
      co_return failure<HttpResponse>(RestErrc::target_refused, self->describe(method) + ": " + resolved.refusal);
    }
    auto request = self->build(method, *resolved.target, std::move(body), headers);
    if (!request.ok()) co_return failure<HttpResponse>(std::move(*request.error));

    auto [ec, slot] = co_await self->pool.acquire(respond_by);
    if (ec) {
      co_return failure<HttpResponse>(ec,
                                      self->describe(method) + ": no connection became free in request_timeout");
    }
    for (bool retried = false;; retried = true) {
      if (!slot.connection) slot.connection = self->make_connection();
      const Deadlines deadlines{std::min(Clock::now() + self->options.connect_timeout, respond_by), respond_by};
      Connection& connection = *slot.connection;
      Exchange exchange = co_await asio::co_spawn(
          connection.executor(), connection.exchange(*request.value, deadlines, self->options.max_response_bytes),
          asio::use_awaitable);
      if (!exchange.ec) {
        slot.keep = exchange.reusable;
        co_return success(to_http_response(std::move(exchange.response)));
      }
      // Retry once, on a fresh connection, only when the server closed a kept-alive connection before answering
      // and it cannot have acted on the request: it is idempotent, or it never fully reached the server.
      const bool retry = !retried && slot.reused && !exchange.response_started && closed_by_peer(exchange.ec) &&
                         (idempotent(request.value->method()) || !exchange.request_sent);
      discard(std::move(slot.connection));
      slot.reused = false;
      if (!retry) co_return failure<HttpResponse>(exchange.ec, self->transport_message(method, exchange));
    }
  }

  static asio::awaitable<RestResult<HttpResponse>> read(std::shared_ptr<Impl> self, std::string type,
                                                        std::string id) {
    const std::string what = "read " + type;
    if (!valid_type(type) || !valid_id(id)) {
      co_return failure<HttpResponse>(RestErrc::invalid_request, what + ": invalid resource type or id");
    }
    auto result = co_await send(self, "GET", type + "/" + id, {}, {});
    if (!result.ok()) co_return result;
    const unsigned status = result.value->status;
    if (status / 100 == 2 || status == 404 || status == 410) co_return result;
    co_return failure<HttpResponse>(status_error(what, *result.value));
  }

  static asio::awaitable<RestResult<SearchResult>> search(std::shared_ptr<Impl> self, std::string type,
                                                          std::string query, std::size_t max_pages,
                                                          DecodeOptions decode_options) {
    using Resources = SearchResult;
    if (!valid_type(type)) {
      co_return failure<Resources>(RestErrc::invalid_request, "search: invalid resource type");
    }
    if (query.starts_with('?')) query.erase(0, 1);
    std::string target = query.empty() ? type : type + "?" + query;
    SearchResult found;
    for (std::size_t page = 1;; ++page) {
      const std::string what = "search " + type + " page " + std::to_string(page);
      auto result = co_await send(self, "GET", target, {}, {});
      if (!result.ok()) co_return failure_in<Resources>(what, std::move(*result.error));
      if (result.value->status / 100 != 2) co_return failure<Resources>(status_error(what, *result.value));
      auto bundle = decode_bundle(result.value->body, decode_options);
      if (!bundle.ok()) {
        co_return failure<Resources>(RestErrc::invalid_response,
                                     what + ": the Bundle did not decode: " + describe_errors(bundle.issues));
      }
      // Entry-level problems leave that entry without a resource (decode_bundle); the rest of the page stands.
      for (auto& issue : bundle.issues) {
        if (issue.severity != DecodeIssue::Severity::warning) found.skipped.push_back(std::move(issue));
      }
      for (auto& entry : bundle.value->entry) {
        if (entry.resource) found.resources.push_back(std::move(*entry.resource));
      }
      // Paging (R4 section 3.1.1.5.6): the server's "next" link, followed verbatim; send() keeps it on our origin.
      const auto& links = bundle.value->link;
      const auto next =
          std::find_if(links.begin(), links.end(), [](const auto& l) { return l.relation == "next"; });
      if (next == links.end() || next->url.empty() || page >= std::max<std::size_t>(1, max_pages)) break;
      target = next->url;
    }
    co_return success(std::move(found));
  }

  static asio::awaitable<RestResult<Bundle>> transaction(std::shared_ptr<Impl> self, std::string body) {
    auto result = co_await send(self, "POST", "", std::move(body), {});
    if (!result.ok()) co_return failure_in<Bundle>("transaction", std::move(*result.error));
    if (result.value->status / 100 != 2) co_return failure<Bundle>(status_error("transaction", *result.value));
    auto bundle = decode_bundle(result.value->body);
    if (!bundle.ok()) {
      co_return failure<Bundle>(RestErrc::invalid_response, "transaction: the response Bundle did not decode: " +
                                                                describe_errors(bundle.issues));
    }
    co_return success(std::move(*bundle.value));
  }

  asio::any_io_executor executor;
  RestClientOptions options;
  Url base;
  std::optional<ssl::context> tls;  // shared by every TLS connection (SSL_new from one SSL_CTX is thread-safe)
  ConnectionPool pool;
};

RestClient::RestClient(boost::asio::any_io_executor executor, RestClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

RestClient::~RestClient() = default;

// The coroutines take the Impl by shared_ptr and their arguments by value: a call outlives this RestClient and the
// caller's temporaries. transaction() serialises the Bundle before returning for the same reason.
boost::asio::awaitable<RestResult<HttpResponse>> RestClient::request(std::string method, std::string target,
                                                                     std::string body, Headers headers) {
  return Impl::send(impl_, std::move(method), std::move(target), std::move(body), std::move(headers));
}

boost::asio::awaitable<RestResult<HttpResponse>> RestClient::read(std::string type, std::string id) {
  return Impl::read(impl_, std::move(type), std::move(id));
}

boost::asio::awaitable<RestResult<SearchResult>> RestClient::search(std::string type, std::string query,
                                                                    std::size_t max_pages,
                                                                    DecodeOptions decode_options) {
  return Impl::search(impl_, std::move(type), std::move(query), max_pages, std::move(decode_options));
}

boost::asio::awaitable<RestResult<Bundle>> RestClient::transaction(const Bundle& bundle) {
  return Impl::transaction(impl_, to_json(bundle));
}

const RestClientOptions& RestClient::options() const {
  return impl_->options;
}

}  // namespace gg::fhir
