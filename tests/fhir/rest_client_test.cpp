// Transport behaviour of RestClient (timeouts, keep-alive, body limit, retries, TLS) against a transport fake: a
// raw HTTP server on 127.0.0.1 and an ephemeral port, inside the test. FHIR behaviour (read, search paging,
// transaction) is tested against the real HAPI server in tests/integration; here only how the Client interactions
// turn statuses and bodies into values or errors, and what they send. The gateway's unit tests use an in-memory
// fake behind the Client interface (tests/gateway/fake_fhir_client.hpp); it never replaces those HAPI tests.
#include "fhir/rest_client.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fhir/asio_names.hpp"

namespace gg::fhir {
namespace {

using namespace detail::asio_names;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using ServerRequest = http::request<http::string_body>;

// ---- The transport fake ----------------------------------------------------------------------------------------

// Accepts connections on 127.0.0.1 and an ephemeral port and serves each with `session`, counting the accepts.
class RawServer {
 public:
  using Session = std::function<asio::awaitable<void>(tcp::socket socket, std::size_t connection_index)>;

  RawServer(const asio::any_io_executor& executor, Session session)
      : acceptor_(executor, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), session_(std::move(session)) {
    asio::co_spawn(executor, accept_loop(), asio::detached);
  }
  RawServer(asio::io_context& io, Session session) : RawServer(io.get_executor(), std::move(session)) {}

  std::string base_url(const std::string& scheme = "http", const std::string& host = "127.0.0.1") const {
    return scheme + "://" + host + ":" + std::to_string(port()) + "/fhir";
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::size_t accepted() const { return accepted_.load(); }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      const std::size_t index = accepted_++;
      asio::co_spawn(acceptor_.get_executor(), session_(std::move(socket), index), asio::detached);
    }
  }

  tcp::acceptor acceptor_;
  Session session_;
  std::atomic<std::size_t> accepted_ = 0;
};

// The next request on the connection, or nothing when the client closed it.
template <typename Stream>
asio::awaitable<std::optional<ServerRequest>> read_request(Stream& stream, beast::flat_buffer& buffer) {
  ServerRequest request;
  auto [ec, bytes] = co_await http::async_read(stream, buffer, request, asio::as_tuple(asio::use_awaitable));
  if (ec) co_return std::nullopt;
  co_return request;
}

template <typename Stream>
asio::awaitable<void> write_response(Stream& stream, unsigned status, std::string body, bool chunked = false) {
  http::response<http::string_body> response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/fhir+json");
  response.body().swap(body);
  if (chunked) {
    response.chunked(true);
  } else {
    response.prepare_payload();
  }
  co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
}

// Answers every request on the connection with 200 and `{}`, for as long as the client keeps it open.
asio::awaitable<void> answer_all(tcp::socket socket, std::size_t) {
  beast::flat_buffer buffer;
  while (co_await read_request(socket, buffer)) co_await write_response(socket, 200, "{}");
}

// answer_all, keeping every request in `seen`.
auto recording_into(std::vector<ServerRequest>& seen) {
  return [&seen](tcp::socket socket, std::size_t) -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    while (auto request = co_await read_request(socket, buffer)) {
      seen.push_back(*request);
      co_await write_response(socket, 200, "{}");
    }
  };
}

// Waits until the peer closes the connection (or the test ends), without ever answering.
asio::awaitable<void> wait_for_close(tcp::socket& socket) {
  char byte = 0;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(&byte, 1), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

// Runs `client` on `io` until it finishes, then stops `io` (and with it every server session).
void run(asio::io_context& io, const std::function<asio::awaitable<void>()>& client) {
  bool finished = false;
  std::exception_ptr failure;
  asio::co_spawn(io, client(), [&](std::exception_ptr e) {
    failure = std::move(e);
    finished = true;
    io.stop();
  });
  io.run_for(30s);  // a watchdog only: a correct client finishes long before
  if (failure) std::rethrow_exception(failure);
  ASSERT_TRUE(finished) << "the client did not finish";
}

RestClientOptions options_for(const std::string& base_url) {
  RestClientOptions options;
  options.base_url = base_url;
  options.connect_timeout = 2s;
  options.request_timeout = 5s;
  return options;
}

// ---- Timeouts --------------------------------------------------------------------------------------------------

TEST(RestClientTransport, RequestTimesOutWithinRequestTimeoutWhenServerNeverAnswers) {
  asio::io_context io;
  RawServer server(io, [](tcp::socket socket, std::size_t) -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    co_await read_request(socket, buffer);
    co_await wait_for_close(socket);
  });
  auto options = options_for(server.base_url());
  options.request_timeout = 300ms;
  RestClient client(io.get_executor(), options);
  RestResult<HttpResponse> result;
  Clock::duration elapsed{};
  run(io, [&]() -> asio::awaitable<void> {
    const auto start = Clock::now();
    result = co_await client.request("GET", "Patient/1");
    elapsed = Clock::now() - start;
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, beast::error::timeout);
  EXPECT_NE(result.error().message.find("timed out"), std::string::npos) << result.error().message;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_EQ(server.accepted(), 1u);  // a timeout is not retried
}

// ---- Keep-alive and the pool -----------------------------------------------------------------------------------

TEST(RestClientTransport, ReusesKeptAliveConnection) {
  asio::io_context io;
  RawServer server(io, answer_all);
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<HttpResponse> first;
  RestResult<HttpResponse> second;
  run(io, [&]() -> asio::awaitable<void> {
    first = co_await client.request("GET", "Patient/1");
    second = co_await client.request("GET", "Patient/2");
  });
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->status, 200u);
  EXPECT_EQ(second->body, "{}");
  EXPECT_EQ(server.accepted(), 1u);
}

TEST(RestClientTransport, ConcurrentRequestsShareMaxConnections) {
  using namespace asio::experimental::awaitable_operators;
  asio::io_context io;
  RawServer server(io, answer_all);
  auto options = options_for(server.base_url());
  options.max_connections = 1;
  RestClient client(io.get_executor(), options);
  std::vector<RestResult<HttpResponse>> results;
  run(io, [&]() -> asio::awaitable<void> {
    auto [a, b, c] = co_await (client.request("GET", "Patient/1") && client.request("GET", "Patient/2") &&
                               client.request("GET", "Patient/3"));
    results = {a, b, c};
  });
  ASSERT_EQ(results.size(), 3u);
  for (const auto& result : results) EXPECT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(server.accepted(), 1u);
}

TEST(RestClientTransport, ConcurrentRequestsFromAThreadPoolShareMaxConnections) {
  constexpr int requests = 24;
  asio::thread_pool threads(4);
  RawServer server(threads.get_executor(), answer_all);
  auto options = options_for(server.base_url());
  options.max_connections = 2;
  RestClient client(threads.get_executor(), options);
  std::atomic<int> succeeded = 0;
  std::atomic<int> finished = 0;
  std::promise<void> all_finished;
  for (int i = 0; i < requests; ++i) {
    asio::co_spawn(threads, client.request("GET", "Patient/" + std::to_string(i)),
                   [&](const std::exception_ptr& /*unused*/, const RestResult<HttpResponse>& result) {
                     if (result.has_value() && result->status == 200) ++succeeded;
                     if (++finished == requests) all_finished.set_value();
                   });
  }
  const auto outcome = all_finished.get_future().wait_for(30s);
  threads.stop();
  threads.join();
  ASSERT_EQ(outcome, std::future_status::ready);
  EXPECT_EQ(succeeded, requests);
  EXPECT_LE(server.accepted(), 2u);
}

TEST(RestClientTransport, ServerClosingAfterEachResponseWithoutConnectionCloseStillServesTheNextRequest) {
  asio::io_context io;
  RawServer server(io, [](tcp::socket socket, std::size_t) -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    if (co_await read_request(socket, buffer)) co_await write_response(socket, 200, "{}");
    socket.close();
  });
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<HttpResponse> first;
  RestResult<HttpResponse> second;
  run(io, [&]() -> asio::awaitable<void> {
    first = co_await client.request("GET", "Patient/1");
    second = co_await client.request("GET", "Patient/2");
  });
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(server.accepted(), 2u);
}

// The first connection answers one request, then reads the next and drops the connection without a byte of answer:
// a kept-alive connection the server timed out just as the client reused it.
asio::awaitable<void> drop_second_request_on_first_connection(tcp::socket socket, std::size_t index) {
  beast::flat_buffer buffer;
  if (index == 0) {
    if (co_await read_request(socket, buffer)) co_await write_response(socket, 200, "{}");
    co_await read_request(socket, buffer);
    socket.close();
    co_return;
  }
  while (co_await read_request(socket, buffer)) co_await write_response(socket, 200, "{\"retried\":true}");
}

TEST(RestClientTransport, RetriesIdempotentRequestOnceWhenReusedConnectionWasClosed) {
  asio::io_context io;
  RawServer server(io, drop_second_request_on_first_connection);
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<HttpResponse> first;
  RestResult<HttpResponse> second;
  run(io, [&]() -> asio::awaitable<void> {
    first = co_await client.request("GET", "Patient/1");
    second = co_await client.request("PUT", "Patient/2", R"({"resourceType":"Patient","id":"2"})");
  });
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->body, "{\"retried\":true}");
  EXPECT_EQ(server.accepted(), 2u);
}

TEST(RestClientTransport, DoesNotRepeatPostTheServerMayHaveReceived) {
  asio::io_context io;
  RawServer server(io, drop_second_request_on_first_connection);
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<HttpResponse> first;
  RestResult<HttpResponse> second;
  run(io, [&]() -> asio::awaitable<void> {
    first = co_await client.request("GET", "Patient/1");
    second = co_await client.request("POST", "Observation", R"({"resourceType":"Observation"})");
  });
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, http::error::end_of_stream) << second.error().message;
  EXPECT_EQ(second.error().message.find("resourceType"), std::string::npos);  // no body in messages
  EXPECT_EQ(server.accepted(), 1u);
}

TEST(RestClientTransport, DoesNotRetryOnAFreshConnection) {
  asio::io_context io;
  RawServer server(io, [](tcp::socket socket, std::size_t) -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    co_await read_request(socket, buffer);
    socket.close();
  });
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<HttpResponse> result;
  run(io, [&]() -> asio::awaitable<void> { result = co_await client.request("GET", "Patient/1"); });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(server.accepted(), 1u);
}

// ---- Responses -------------------------------------------------------------------------------------------------

TEST(RestClientTransport, EnforcesMaxResponseBytes) {
  struct Case {
    std::size_t body_bytes;
    bool chunked;
    bool accepted;
  };
  for (const Case c :
       {Case{1024, false, true}, Case{4096, false, false}, Case{1024, true, true}, Case{4096, true, false}}) {
    SCOPED_TRACE(std::to_string(c.body_bytes) + (c.chunked ? " chunked" : " with Content-Length"));
    asio::io_context io;
    RawServer server(io, [&c](tcp::socket socket, std::size_t) -> asio::awaitable<void> {
      beast::flat_buffer buffer;
      while (co_await read_request(socket, buffer)) {
        co_await write_response(socket, 200, std::string(c.body_bytes, 'x'), c.chunked);
      }
    });
    auto options = options_for(server.base_url());
    options.max_response_bytes = 1024;
    RestClient client(io.get_executor(), options);
    RestResult<HttpResponse> result;
    run(io, [&]() -> asio::awaitable<void> { result = co_await client.request("GET", "Binary/1"); });
    ASSERT_EQ(result.has_value(), c.accepted);
    if (c.accepted) {
      EXPECT_EQ(result->body.size(), c.body_bytes);
    } else {
      EXPECT_EQ(result.error().code, http::error::body_limit);
      EXPECT_NE(result.error().message.find("max_response_bytes"), std::string::npos);
    }
  }
}

// Bulk Data output files can be GBs: download() streams to disk, so max_response_bytes does not limit it, and the
// connection is kept for the next request.
TEST(RestClientTransport, DownloadWritesABodyPastMaxResponseBytesToTheFileAndKeepsTheConnection) {
  for (const bool chunked : {false, true}) {
    SCOPED_TRACE(chunked ? "chunked" : "with Content-Length");
    asio::io_context io;
    const std::string body(std::size_t{256} * 1024, 'x');
    RawServer server(io, [&](tcp::socket socket, std::size_t) -> asio::awaitable<void> {
      beast::flat_buffer buffer;
      while (co_await read_request(socket, buffer)) co_await write_response(socket, 200, body, chunked);
    });
    auto options = options_for(server.base_url());
    options.max_response_bytes = 1024;
    RestClient client(io.get_executor(), options);
    const std::string path = ::testing::TempDir() + "gg-download-test.ndjson";
    RestResult<HttpResponse> first;
    RestResult<HttpResponse> second;
    run(io, [&]() -> asio::awaitable<void> {
      first = co_await client.download("Binary/1", path);
      second = co_await client.download(server.base_url() + "/Binary/2", path);
    });
    ASSERT_TRUE(first.has_value()) << first.error().message;
    ASSERT_TRUE(second.has_value()) << second.error().message;
    EXPECT_EQ(second->status, 200u);
    EXPECT_TRUE(second->body.empty());
    std::ifstream in(path, std::ios::binary);
    const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(written.size(), body.size());
    EXPECT_EQ(server.accepted(), 1u);
    std::remove(path.c_str());
  }
}

TEST(RestClientTransport, DownloadRefusesOtherOriginsWithoutConnecting) {
  asio::io_context io;
  RawServer server(io, answer_all);
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<HttpResponse> result;
  run(io, [&]() -> asio::awaitable<void> {
    result = co_await client.download("http://evil.example/fhir/Binary/1", ::testing::TempDir() + "gg-refused");
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, RestErrc::target_refused);
  EXPECT_EQ(server.accepted(), 0u);
}

TEST(RestClientTransport, ReadsPastInterimResponses) {
  asio::io_context io;
  RawServer server(io, [](tcp::socket socket, std::size_t) -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    if (!co_await read_request(socket, buffer)) co_return;
    const std::string interim = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(interim), asio::as_tuple(asio::use_awaitable));
    co_await write_response(socket, 201, "{}");
    co_await wait_for_close(socket);
  });
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<HttpResponse> result;
  run(io, [&]() -> asio::awaitable<void> { result = co_await client.request("GET", "Patient/1"); });
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 201u);
}

TEST(RestClientTransport, HeadResponseHasNoBodyAndKeepsTheConnection) {
  asio::io_context io;
  RawServer server(io, [](tcp::socket socket, std::size_t) -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    while (auto request = co_await read_request(socket, buffer)) {
      http::response<http::empty_body> head{http::status::ok, 11};
      head.content_length(100);  // the length a GET would have had (RFC 9110 section 9.3.2)
      if (request->method() == http::verb::head) {
        co_await http::async_write(socket, head, asio::as_tuple(asio::use_awaitable));
      } else {
        co_await write_response(socket, 200, "{}");
      }
    }
  });
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<HttpResponse> head;
  RestResult<HttpResponse> get;
  run(io, [&]() -> asio::awaitable<void> {
    head = co_await client.request("HEAD", "Patient/1");
    get = co_await client.request("GET", "Patient/1");
  });
  ASSERT_TRUE(head.has_value()) << head.error().message;
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->headers.at("content-length"), "100");
  ASSERT_TRUE(get.has_value()) << get.error().message;
  EXPECT_EQ(server.accepted(), 1u);
}

// ---- Requests --------------------------------------------------------------------------------------------------

TEST(RestClientTransport, SendsFhirHeadersAndResolvesTargetsAgainstTheBase) {
  asio::io_context io;
  std::vector<ServerRequest> seen;
  RawServer server(io, recording_into(seen));
  auto options = options_for(server.base_url());
  options.bearer_token = "token-123";
  options.user_agent = "gradient-gateway/test";
  RestClient client(io.get_executor(), options);
  run(io, [&]() -> asio::awaitable<void> {
    // Headers are built before co_await: gcc 12 rejects an initializer list inside a co_await expression.
    RestClient::Headers conditional{{"If-None-Exist", "identifier=a|b"}};
    RestClient::Headers plain_json{{"Accept", "application/json"}};
    co_await client.request("GET", "Observation?code=2986-8&_count=10");
    co_await client.request("POST", "", R"({"resourceType":"Bundle"})", std::move(conditional));
    co_await client.request("GET", "Patient/1", {}, std::move(plain_json));
  });
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].target(), "/fhir/Observation?code=2986-8&_count=10");
  EXPECT_EQ(seen[0][http::field::accept], "application/fhir+json");
  EXPECT_EQ(seen[0][http::field::user_agent], "gradient-gateway/test");
  EXPECT_EQ(seen[0][http::field::authorization], "Bearer token-123");
  EXPECT_EQ(seen[0][http::field::host], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0].count(http::field::content_type), 0u);
  EXPECT_EQ(seen[1].method(), http::verb::post);
  EXPECT_EQ(seen[1].target(), "/fhir");
  EXPECT_EQ(seen[1][http::field::content_type], "application/fhir+json");
  EXPECT_EQ(seen[1]["If-None-Exist"], "identifier=a|b");
  EXPECT_EQ(seen[1].body(), "{\"resourceType\":\"Bundle\"}");
  EXPECT_EQ(seen[2][http::field::accept], "application/json");
  EXPECT_EQ(seen[2].count(http::field::accept), 1u);
}

// Issue 13, item 2: HTTP Basic authentication (RFC 7617 section 2: base64 of "user-id:password"; the RFC's own
// example "Aladdin:open sesame" is "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), never beside a bearer token.
TEST(RestClientTransport, SendsBasicCredentials) {
  asio::io_context io;
  std::vector<ServerRequest> seen;
  RawServer server(io, recording_into(seen));
  auto options = options_for(server.base_url());
  options.basic_credentials = "Aladdin:open sesame";
  RestClient client(io.get_executor(), options);
  run(io, [&]() -> asio::awaitable<void> { co_await client.request("GET", "metadata"); });
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0][http::field::authorization], "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(authorization_header(options), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");

  options.bearer_token = "token-123";
  EXPECT_THROW(RestClient(io.get_executor(), options), std::invalid_argument);
  options.bearer_token.clear();
  options.basic_credentials = "user:pass\r\nX-Evil: 1";
  EXPECT_THROW(RestClient(io.get_executor(), options), std::invalid_argument);
}

// A view (Client::with_headers) adds its headers to every typed call: the W3C traceparent of the processing that
// makes them. The client it came from sends none.
TEST(RestClientTransport, AViewSendsItsHeadersOnEveryTypedCallAndTheClientNone) {
  asio::io_context io;
  std::vector<ServerRequest> seen;
  RawServer server(io, recording_into(seen));
  auto options = options_for(server.base_url());
  options.bearer_token = "token-123";
  RestClient client(io.get_executor(), options);
  const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const auto view = client.with_headers({{"traceparent", traceparent}});
  run(io, [&]() -> asio::awaitable<void> {
    co_await view->read_resource("Patient", "1");
    co_await view->search("Observation", "code=2143-6");
    const Resource patient{Patient{}};  // a local: GCC 12 destroys a co_await expression's temporaries wrongly
    co_await view->create(patient);
    co_await client.read_resource("Patient", "2");
  });
  ASSERT_EQ(seen.size(), 4u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(seen[i]["traceparent"], traceparent) << i;
    EXPECT_EQ(seen[i][http::field::authorization], "Bearer token-123") << i;  // the client's credential too
  }
  EXPECT_EQ(seen[3].count("traceparent"), 0u);
}

TEST(RestClientTransport, RefusesTargetsOnOtherOriginsWithoutConnecting) {
  asio::io_context io;
  RawServer server(io, answer_all);
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<HttpResponse> result;
  run(io, [&]() -> asio::awaitable<void> {
    result = co_await client.request("GET", "http://evil.example/fhir/Patient?identifier=MRN123");
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, RestErrc::target_refused);
  EXPECT_EQ(result.error().message.find("MRN123"), std::string::npos);
  EXPECT_EQ(server.accepted(), 0u);
}

TEST(RestClientTransport, RefusesHeaderInjection) {
  asio::io_context io;
  RawServer server(io, answer_all);
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<HttpResponse> result;
  run(io, [&]() -> asio::awaitable<void> {
    RestClient::Headers injected{{"X-Trace", "a\r\nAuthorization: Bearer evil"}};
    result = co_await client.request("GET", "Patient/1", {}, std::move(injected));
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, RestErrc::invalid_request);
  EXPECT_EQ(server.accepted(), 0u);
}

TEST(RestClient, RefusesBaseUrlThatIsNoHttpUrl) {
  asio::io_context io;
  for (const char* base : {"fhir.example.org/r4", "ftp://h/r4", "http://h/r4?x=1", "http://u@h/r4"}) {
    SCOPED_TRACE(base);
    EXPECT_THROW(RestClient(io.get_executor(), options_for(base)), std::invalid_argument);
  }
}

// ---- TLS -------------------------------------------------------------------------------------------------------

struct SelfSignedCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

// A P-256 key and a self-signed certificate for `subject_alt_name` ("DNS:localhost"), made with OpenSSL 3 at test
// time so no key material lives in the repository.
SelfSignedCertificate make_self_signed_certificate(const std::string& subject_alt_name) {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                                EVP_PKEY_free);
  const std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), X509_free);
  if (!key || !certificate) throw std::runtime_error("OpenSSL: cannot create a key or a certificate");
  X509* cert = certificate.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("gg-test"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, subject_alt_name},
                                   std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")}}) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (!extension) throw std::runtime_error("OpenSSL: cannot make a certificate extension");
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }
  if (X509_sign(cert, key.get(), EVP_sha256()) == 0) throw std::runtime_error("OpenSSL: cannot sign");

  const auto to_pem = [](auto write) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    write(bio.get());
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  };
  return {to_pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert); }), to_pem([&](BIO* bio) {
            PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
          })};
}

// An HTTPS transport fake: every connection does the server's TLS handshake and answers every request with 200.
class TlsServer {
 public:
  TlsServer(asio::io_context& io, const SelfSignedCertificate& certificate)
      : context_(ssl::context::tls_server),
        server_(io, [this](tcp::socket socket, std::size_t) { return serve(std::move(socket)); }) {
    context_.use_certificate_chain(asio::buffer(certificate.certificate_pem));
    context_.use_private_key(asio::buffer(certificate.private_key_pem), ssl::context::pem);
  }
  std::string base_url(const std::string& host) const { return server_.base_url("https", host); }

 private:
  asio::awaitable<void> serve(tcp::socket socket) {
    ssl::stream<tcp::socket> stream(std::move(socket), context_);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    beast::flat_buffer buffer;
    while (co_await read_request(stream, buffer)) co_await write_response(stream, 200, "{}");
  }

  ssl::context context_;
  RawServer server_;
};

RestResult<HttpResponse> get_over_tls(const std::string& subject_alt_name, const std::string& host,
                                      bool verify_peer, bool trust_the_certificate) {
  const auto certificate = make_self_signed_certificate(subject_alt_name);
  asio::io_context io;
  TlsServer server(io, certificate);
  auto options = options_for(server.base_url(host));
  options.verify_peer = verify_peer;
  if (trust_the_certificate) {
    options.ca_file = testing::TempDir() + "gg_rest_client_test_ca.pem";
    std::ofstream(options.ca_file) << certificate.certificate_pem;
  }
  RestClient client(io.get_executor(), options);
  RestResult<HttpResponse> result;
  run(io, [&]() -> asio::awaitable<void> {
    result = co_await client.request("GET", "metadata");
    if (result.has_value()) {
      result = co_await client.request("GET", "metadata");  // and again, on the kept-alive session
    }
  });
  return result;
}

TEST(RestClientTls, SucceedsWithoutVerificationWhenVerifyPeerIsOff) {
  const auto result =
      get_over_tls("DNS:localhost", "127.0.0.1", /*verify_peer=*/false, /*trust_the_certificate=*/false);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 200u);
}

TEST(RestClientTls, RefusesSelfSignedCertificateWithDefaultTrust) {
  const auto result = get_over_tls("DNS:localhost,IP:127.0.0.1", "127.0.0.1", /*verify_peer=*/true, false);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code.category(), asio::error::get_ssl_category());
  EXPECT_NE(result.error().message.find("certificate verify failed"), std::string::npos) << result.error().message;
}

TEST(RestClientTls, VerifiesCertificateAndHostNameAgainstCaFile) {
  const auto result =
      get_over_tls("DNS:localhost", "localhost", /*verify_peer=*/true, /*trust_the_certificate=*/true);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, 200u);
}

TEST(RestClientTls, RefusesTrustedCertificateForAnotherHostName) {
  const auto result =
      get_over_tls("DNS:localhost", "127.0.0.1", /*verify_peer=*/true, /*trust_the_certificate=*/true);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code.category(), asio::error::get_ssl_category());
}

// ---- SMART Backend Services
// ------------------------------------------------------------------------------------- The token's life in the
// client: discovery, one token request for many callers, the token on every request, a 401 answered by one
// renewal, an authorization server's refusal reported. The assertion itself is checked in smart_auth_test.cpp;
// against a real authorization server and HAPI in tests/integration/test_smart_auth.py.

// A FHIR server with its authorization server on one origin: discovery at /fhir/.well-known/smart-configuration,
// tokens "tok-1", "tok-2", ... from POST /token, and every other /fhir request answered 200 when it carries an
// accepted token, else 401.
struct SmartServerFake {
  std::string token_error;  // non-empty: /token answers 401 with this OAuth error body
  int expires_in = 300;
  std::set<std::string> accepted;  // tokens the FHIR server takes ("Bearer tok-N")
  bool accept_every_token = true;  // or every token the fake issued
  int discoveries = 0;
  std::vector<std::string> token_requests;  // their bodies
  std::vector<std::string> fhir_authorizations;

  RawServer::Session session() {
    return [this](tcp::socket socket, std::size_t) -> asio::awaitable<void> {
      beast::flat_buffer buffer;
      while (auto request = co_await read_request(socket, buffer)) {
        const std::string target(request->target());
        if (target == "/fhir/.well-known/smart-configuration") {
          ++discoveries;
          const auto port = socket.local_endpoint().port();
          co_await write_response(socket, 200,
                                  R"({"token_endpoint":"http://127.0.0.1:)" + std::to_string(port) +
                                      R"(/token","token_endpoint_auth_methods_supported":["private_key_jwt"]})");
        } else if (target == "/token") {
          token_requests.push_back(request->body());
          if (!token_error.empty()) {
            co_await write_response(socket, 401, token_error);
            continue;
          }
          const std::string token = "tok-" + std::to_string(token_requests.size());
          if (accept_every_token) accepted.insert("Bearer " + token);
          co_await write_response(socket, 200,
                                  R"({"access_token":")" + token + R"(","token_type":"bearer","expires_in":)" +
                                      std::to_string(expires_in) + "}");
        } else {
          const std::string authorization((*request)[http::field::authorization]);
          fhir_authorizations.push_back(authorization);
          co_await write_response(socket, accepted.count(authorization) > 0 ? 200 : 401, "{}");
        }
      }
    };
  }
};

RestClientOptions smart_options_for(const std::string& base_url) {
  auto options = options_for(base_url);
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"),
                                                                EVP_PKEY_free);
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  options.smart.client_id = "gradient-gateway";
  options.smart.private_key_pem.assign(data, static_cast<std::size_t>(size));
  options.smart.key_id = "key-1";
  options.smart.scope = "system/*.rs";
  return options;
}

TEST(RestClientSmart, DiscoversTheEndpointAndSharesOneTokenAmongConcurrentCalls) {
  asio::io_context io;
  SmartServerFake fake;
  RawServer server(io, fake.session());
  auto options = smart_options_for(server.base_url());
  options.max_connections = 4;
  RestClient client(io.get_executor(), options);
  std::vector<unsigned> statuses;
  run(io, [&]() -> asio::awaitable<void> {
    using namespace boost::asio::experimental::awaitable_operators;
    // Eight calls at once: one discovery and one token request between them, the token on each call.
    co_await ((client.request("GET", "Patient/1") && client.request("GET", "Patient/2") &&
               client.request("GET", "Patient/3") && client.request("GET", "Patient/4")) &&
              (client.request("GET", "Patient/5") && client.request("GET", "Patient/6") &&
               client.request("GET", "Patient/7") && client.request("GET", "Patient/8")));
    auto again = co_await client.request("GET", "Patient/9");
    statuses.push_back(again ? again->status : 0);
  });
  EXPECT_EQ(fake.discoveries, 1);
  ASSERT_EQ(fake.token_requests.size(), 1u);
  EXPECT_EQ(
      fake.token_requests[0].rfind("grant_type=client_credentials&scope=system%2F%2A.rs&client_assertion_type="
                                   "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
                                   "&client_assertion=eyJ",
                                   0),
      0u)
      << fake.token_requests[0];
  ASSERT_EQ(fake.fhir_authorizations.size(), 9u);
  for (const auto& authorization : fake.fhir_authorizations) EXPECT_EQ(authorization, "Bearer tok-1");
  EXPECT_EQ(statuses, std::vector<unsigned>{200});
}

TEST(RestClientSmart, A401GetsOneNewTokenAndTheRequestOnceMore) {
  asio::io_context io;
  SmartServerFake fake;
  fake.accept_every_token = false;
  fake.accepted = {"Bearer tok-2"};  // tok-1 was revoked, say
  RawServer server(io, fake.session());
  RestClient client(io.get_executor(), smart_options_for(server.base_url()));
  std::vector<unsigned> statuses;
  run(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      auto answer = co_await client.request("POST", "Observation", R"({"resourceType":"Observation"})");
      statuses.push_back(answer ? answer->status : 0);
    }
  });
  EXPECT_EQ(statuses, (std::vector<unsigned>{200, 200}));
  EXPECT_EQ(fake.token_requests.size(), 2u);
  EXPECT_EQ(fake.fhir_authorizations, (std::vector<std::string>{"Bearer tok-1", "Bearer tok-2", "Bearer tok-2"}));
}

TEST(RestClientSmart, ATokenRefusedTwiceIsThe401NotALoop) {
  asio::io_context io;
  SmartServerFake fake;
  fake.accept_every_token = false;  // the FHIR server takes no token at all
  RawServer server(io, fake.session());
  RestClient client(io.get_executor(), smart_options_for(server.base_url()));
  unsigned status = 0;
  run(io, [&]() -> asio::awaitable<void> {
    auto answer = co_await client.request("GET", "Patient/1");
    status = answer ? answer->status : 0;
  });
  EXPECT_EQ(status, 401u);
  EXPECT_EQ(fake.token_requests.size(), 2u);
  EXPECT_EQ(fake.fhir_authorizations.size(), 2u);
}

TEST(RestClientSmart, TheAuthorizationServersRefusalIsTheErrorAndNoFhirRequestIsSent) {
  asio::io_context io;
  SmartServerFake fake;
  fake.token_error = R"({"error":"invalid_client","error_description":"unknown kid"})";
  RawServer server(io, fake.session());
  auto options = smart_options_for(server.base_url());
  options.smart.token_endpoint = "http://127.0.0.1:" + std::to_string(server.port()) + "/token";
  RestClient client(io.get_executor(), options);
  std::string error;
  run(io, [&]() -> asio::awaitable<void> {
    auto answer = co_await client.request("GET", "Patient/1");
    if (!answer) error = answer.error().message;
    auto header = co_await client.authorization();
    if (header) error += " | got a header";
  });
  EXPECT_EQ(error, "SMART token request to http://127.0.0.1:" + std::to_string(server.port()) +
                       "/token: HTTP 401: invalid_client: unknown kid");
  EXPECT_EQ(fake.discoveries, 0);  // the configured endpoint is used as it is
  EXPECT_TRUE(fake.fhir_authorizations.empty());
}

TEST(RestClientSmart, OneCredentialOnlyAndAKeyThatLoads) {
  asio::io_context io;
  auto options = smart_options_for("http://127.0.0.1:1/fhir");
  options.bearer_token = "t";
  EXPECT_THROW(RestClient(io.get_executor(), options), std::invalid_argument);
  options.bearer_token.clear();
  options.smart.key_id.clear();
  EXPECT_THROW(RestClient(io.get_executor(), options), std::invalid_argument);
  options.smart.key_id = "k";
  options.smart.private_key_pem = "not a key";
  EXPECT_THROW(RestClient(io.get_executor(), options), std::invalid_argument);
}

// ---- The Client interactions: statuses and bodies become values or errors
// ---------------------------------------

// Answers each request with the next (status, body) of `answers`, recording the requests.
RawServer::Session scripted(const std::vector<std::pair<unsigned, std::string>>& answers,
                            const std::shared_ptr<std::vector<ServerRequest>>& seen) {
  return [answers, seen](tcp::socket socket, std::size_t) -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    for (const auto& answer : answers) {
      auto request = co_await read_request(socket, buffer);
      if (!request) co_return;
      seen->push_back(*request);
      co_await write_response(socket, answer.first, answer.second);
    }
  };
}

TEST(RestClientInteractions, TypedReadDecodesTheResourceAndTakes404AsAValue) {
  asio::io_context io;
  auto seen = std::make_shared<std::vector<ServerRequest>>();
  RawServer server(io, scripted({{200, R"({"resourceType":"Patient","id":"7","gender":"female"})"},
                                 {404, R"({"resourceType":"OperationOutcome"})"},
                                 {500, ""}},
                                seen));
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<TypedRead<Patient>> found, missing, failed;
  run(io, [&]() -> asio::awaitable<void> {
    found = co_await client.read<Patient>("7");
    missing = co_await client.read<Patient>("8");
    failed = co_await client.read<Patient>("9");
  });
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(found->status, 200u);
  ASSERT_TRUE(found->resource);
  EXPECT_EQ(found->resource->gender, "female");
  ASSERT_TRUE(missing.has_value()) << missing.error().message;
  EXPECT_EQ(missing->status, 404u);
  EXPECT_FALSE(missing->resource);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().http_status, 500u);
  ASSERT_EQ(seen->size(), 3u);
  EXPECT_EQ((*seen)[0].target(), "/fhir/Patient/7");
}

TEST(RestClientInteractions, UpdatePutsToTypeAndIdWithIfMatchAndCreatePostsToType) {
  asio::io_context io;
  auto seen = std::make_shared<std::vector<ServerRequest>>();
  RawServer server(io, scripted({{200, R"({"resourceType":"Subscription","id":"5","status":"requested"})"},
                                 {201, R"({"resourceType":"Subscription","id":"6","status":"requested"})"},
                                 {412, ""}},
                                seen));
  RestClient client(io.get_executor(), options_for(server.base_url()));
  Subscription subscription;
  subscription.id = "5";
  subscription.status = "requested";
  RestResult<Resource> updated, created, refused;
  run(io, [&]() -> asio::awaitable<void> {
    const Resource resource{subscription};
    updated = co_await client.update(resource, "W/\"3\"");
    created = co_await client.create(resource);
    refused = co_await client.update(resource, "W/\"3\"");
  });
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(std::get<Subscription>(*updated).id, "5");
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(std::get<Subscription>(*created).id, "6");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().http_status, 412u);
  ASSERT_EQ(seen->size(), 3u);
  EXPECT_EQ((*seen)[0].method(), http::verb::put);
  EXPECT_EQ((*seen)[0].target(), "/fhir/Subscription/5");
  EXPECT_EQ((*seen)[0][http::field::if_match], "W/\"3\"");
  EXPECT_EQ((*seen)[1].method(), http::verb::post);
  EXPECT_EQ((*seen)[1].target(), "/fhir/Subscription");
  EXPECT_EQ((*seen)[1].count(http::field::if_match), 0u);
}

// keep_json (reconcile stores what it fetched): each resource's bytes exactly as the page carried them, across
// pages, parallel to the decoded resources; an entry that did not decode is in neither.
TEST(RestClientInteractions, SearchKeepsEachResourcesBytesAcrossPagesWhenAsked) {
  asio::io_context io;
  auto seen = std::make_shared<std::vector<ServerRequest>>();
  const std::string first =
      R"({ "resourceType" : "Observation",  "id":"a", "status":"final", "code":{"text":"a"}})";
  const std::string second = R"({"resourceType":"Observation","id":"b","status":"final","code":{"text":"b"} })";
  const std::string next = "Observation?page=2";  // relative to the base: followed verbatim
  RawServer server(
      io, scripted({{200, R"({"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":")" +
                              next + R"("}],"entry":[{"resource":)" + first +
                              R"(},{"resource":{"resourceType":"Observation","id":1}}]})"},
                    {200, R"({"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"x","resource":)" +
                              second + "}]}"}},
                   seen));
  RestClient client(io.get_executor(), options_for(server.base_url()));
  RestResult<SearchResult> kept;
  run(io, [&]() -> asio::awaitable<void> {
    kept = co_await client.search("Observation", "code=x", 50, DecodeOptions{}, true);
  });
  ASSERT_TRUE(kept.has_value()) << kept.error().message;
  ASSERT_EQ(kept->resources.size(), 2u) << (kept->skipped.empty() ? "" : kept->skipped[0].message);
  EXPECT_EQ(kept->resource_json, (std::vector<std::string>{first, second}));
  EXPECT_FALSE(kept->skipped.empty());  // the entry whose id is a number
}

}  // namespace
}  // namespace gg::fhir
