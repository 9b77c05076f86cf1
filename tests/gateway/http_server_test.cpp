#include "gateway/http/http_server.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace gg::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kClientTimeout = std::chrono::seconds(10);  // a bound on a broken test, not a synchronisation

// A real HTTP client on its own io_context. Every operation runs to completion (or kClientTimeout) before the call
// returns, so tests read top to bottom.
class TestClient {
 public:
  explicit TestClient(unsigned short port) {
    stream_.expires_after(kClientTimeout);
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  template <class Message>
  beast::error_code write(Message& message) {
    return run([&](auto handler) { http::async_write(stream_, message, handler); });
  }

  beast::error_code write_raw(std::string_view bytes) {
    return run([&](auto handler) { net::async_write(stream_, net::buffer(bytes.data(), bytes.size()), handler); });
  }

  // Through a parser of its own, without a body limit (a test may read a large body), released into `response`.
  template <class Body>
  beast::error_code read(http::response<Body>& response) {
    http::response_parser<Body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    const auto ec = run([&](auto handler) { http::async_read(stream_, buffer_, parser, handler); });
    response = parser.release();
    return ec;
  }

  http::response<http::string_body> send(http::request<http::string_body> request) {
    http::response<http::string_body> response;
    EXPECT_FALSE(write(request));
    EXPECT_FALSE(read(response));
    return response;
  }

  // Reads a response to HEAD: a header whose Content-Length describes a body that does not follow.
  beast::error_code read_head(http::response<http::string_body>& response) {
    http::response_parser<http::string_body> parser;
    parser.skip(true);
    const auto ec = run([&](auto handler) { http::async_read(stream_, buffer_, parser, handler); });
    response = parser.release();
    return ec;
  }

  // What the next read sees once the server has closed its side: end_of_stream.
  beast::error_code read_after_close() {
    http::response<http::string_body> response;
    return read(response);
  }

 private:
  template <class Initiate>
  beast::error_code run(Initiate initiate) {
    beast::error_code result = net::error::would_block;
    stream_.expires_after(kClientTimeout);
    initiate([&result](beast::error_code ec, std::size_t) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  net::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
};

http::request<http::string_body> make_request(http::verb verb, std::string_view target, std::string body = {}) {
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

class HttpServerTest : public ::testing::Test {
 protected:
  // Starts a server on an ephemeral port of 127.0.0.1 with the handler, its io_context run by `threads` threads.
  void start(HttpHandler handler, HttpServerOptions options = {}, int threads = 1, HeaderCheck header_check = {}) {
    options.address = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<HttpServer>(ioc_, options, std::move(handler), std::move(header_check));
    ASSERT_FALSE(server_->start());
    ASSERT_NE(server_->port(), 0);
    runner_ = std::async(std::launch::async, [this, threads] {
      std::vector<std::thread> more;
      for (int i = 1; i < threads; ++i) more.emplace_back([this] { ioc_.run(); });
      ioc_.run();
      for (auto& thread : more) thread.join();
    });
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (runner_.valid() && runner_.wait_for(kClientTimeout) != std::future_status::ready) {
      ADD_FAILURE() << "the server's io_context did not finish after stop()";
      ioc_.stop();
    }
  }

  // A handler that remembers every request and answers 200 "ok".
  HttpHandler recording_handler() {
    return [this](const HttpRequest& request) {
      const std::lock_guard lock(seen_mutex_);
      seen_.push_back(request);
      return HttpResponse{200, "text/plain", "ok", {{"X-Request-Count", std::to_string(seen_.size())}}};
    };
  }

  std::vector<HttpRequest> seen() {
    const std::lock_guard lock(seen_mutex_);
    return seen_;
  }

  net::io_context ioc_;
  std::unique_ptr<HttpServer> server_;
  std::future<void> runner_;
  std::mutex seen_mutex_;  // guards: seen_
  std::vector<HttpRequest> seen_;
};

TEST_F(HttpServerTest, HandlerReceivesMethodTargetHeadersAndBody) {
  start(recording_handler());
  TestClient client(server_->port());
  auto request = make_request(http::verb::put, "/notify/Observation/o1?x=y", R"({"resourceType":"Observation"})");
  request.set(http::field::content_type, "application/fhir+json; charset=UTF-8");
  request.set("X-Gateway-Secret", "s3cret");
  request.insert("X-Repeated", "a");
  request.insert("X-Repeated", "b");

  const auto response = client.send(request);

  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "ok");
  EXPECT_EQ(response[http::field::content_type], "text/plain");
  EXPECT_EQ(response["X-Request-Count"], "1");
  const auto requests = seen();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].target, "/notify/Observation/o1?x=y");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/fhir+json; charset=UTF-8");
  EXPECT_EQ(requests[0].headers.at("x-gateway-secret"), "s3cret");
  EXPECT_EQ(requests[0].headers.at("x-repeated"), "a, b");
  EXPECT_EQ(requests[0].headers.at("host"), "127.0.0.1");
  EXPECT_EQ(requests[0].body, R"({"resourceType":"Observation"})");
  EXPECT_EQ(requests[0].remote_address, "127.0.0.1");
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start(recording_handler());
  TestClient client(server_->port());

  const auto first = client.send(make_request(http::verb::get, "/healthz"));
  const auto second = client.send(make_request(http::verb::post, "/notify", "{}"));

  EXPECT_EQ(first.result_int(), 200);
  EXPECT_TRUE(first.keep_alive());
  EXPECT_EQ(second.result_int(), 200);
  EXPECT_EQ(second["X-Request-Count"], "2");
  ASSERT_EQ(seen().size(), 2u);
  EXPECT_EQ(seen()[1].body, "{}");
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start(recording_handler());
  TestClient client(server_->port());
  ASSERT_FALSE(
      client.write_raw("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"));

  http::response<http::string_body> first;
  http::response<http::string_body> second;
  ASSERT_FALSE(client.read(first));
  ASSERT_FALSE(client.read(second));

  EXPECT_EQ(first["X-Request-Count"], "1");
  EXPECT_EQ(second["X-Request-Count"], "2");
  ASSERT_EQ(seen().size(), 2u);
  EXPECT_EQ(seen()[0].target, "/a");
  EXPECT_EQ(seen()[1].target, "/b");
}

TEST_F(HttpServerTest, ConnectionCloseRequestEndsTheConnection) {
  start(recording_handler());
  TestClient client(server_->port());
  auto request = make_request(http::verb::get, "/healthz");
  request.keep_alive(false);

  const auto response = client.send(request);

  EXPECT_EQ(response.result_int(), 200);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(client.read_after_close(), http::error::end_of_stream);
}

void expect_operation_outcome(const http::response<http::string_body>& response, std::string_view code) {
  EXPECT_EQ(response[http::field::content_type], "application/fhir+json; charset=utf-8");
  EXPECT_NE(response.body().find(R"("resourceType":"OperationOutcome")"), std::string::npos) << response.body();
  EXPECT_NE(response.body().find(std::string(R"("code":")") + std::string(code) + '"'), std::string::npos)
      << response.body();
}

TEST_F(HttpServerTest, BodyOverLimitGets413OperationOutcome) {
  HttpServerOptions options;
  options.body_limit = 1024;
  start(recording_handler(), options);
  TestClient client(server_->port());

  const auto response = client.send(make_request(http::verb::post, "/notify", std::string(4096, 'x')));

  EXPECT_EQ(response.result_int(), 413);
  expect_operation_outcome(response, "too-long");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(client.read_after_close(), http::error::end_of_stream);
  EXPECT_TRUE(seen().empty());
}

TEST_F(HttpServerTest, BodyFarOverLimitGets413WhileTheClientIsStillSending) {
  // More than the socket buffers hold: the client's write completes only because the server reads and discards
  // the rest of the body after answering 413, instead of resetting the connection under the response.
  HttpServerOptions options;
  options.body_limit = 1024;
  start(recording_handler(), options);
  TestClient client(server_->port());

  const auto response =
      client.send(make_request(http::verb::post, "/notify", std::string(std::size_t{16} * 1024 * 1024, 'x')));

  EXPECT_EQ(response.result_int(), 413);
  expect_operation_outcome(response, "too-long");
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitGets413OperationOutcome) {
  HttpServerOptions options;
  options.body_limit = 1024;
  start(recording_handler(), options);
  TestClient client(server_->port());
  auto request = make_request(http::verb::post, "/notify", std::string(4096, 'x'));
  request.chunked(true);

  const auto response = client.send(request);

  EXPECT_EQ(response.result_int(), 413);
  expect_operation_outcome(response, "too-long");
  EXPECT_TRUE(seen().empty());
}

TEST_F(HttpServerTest, BodyAtLimitIsAccepted) {
  HttpServerOptions options;
  options.body_limit = 1024;
  start(recording_handler(), options);
  TestClient client(server_->port());

  const auto response = client.send(make_request(http::verb::post, "/notify", std::string(1024, 'x')));

  EXPECT_EQ(response.result_int(), 200);
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0].body.size(), 1024u);
}

TEST_F(HttpServerTest, ThrowingHandlerGets500AndNextRequestIsServed) {
  start([](const HttpRequest& request) {
    if (request.target == "/throw") throw std::runtime_error("bug");
    return HttpResponse{200, "text/plain", "fine", {}};
  });
  TestClient client(server_->port());

  const auto failed = client.send(make_request(http::verb::get, "/throw"));
  const auto next = client.send(make_request(http::verb::get, "/ok"));

  EXPECT_EQ(failed.result_int(), 500);
  expect_operation_outcome(failed, "exception");
  EXPECT_EQ(failed.body().find("bug"), std::string::npos);  // no internals in the answer
  EXPECT_EQ(next.result_int(), 200);
  EXPECT_EQ(next.body(), "fine");
}

TEST_F(HttpServerTest, MalformedRequestGets400ThenClose) {
  start(recording_handler());
  TestClient client(server_->port());
  ASSERT_FALSE(client.write_raw("THIS IS NOT HTTP\r\n\r\n"));

  http::response<http::string_body> response;
  ASSERT_FALSE(client.read(response));

  EXPECT_EQ(response.result_int(), 400);
  expect_operation_outcome(response, "structure");
  EXPECT_EQ(client.read_after_close(), http::error::end_of_stream);
  EXPECT_TRUE(seen().empty());
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponseBeforeBody) {
  start(recording_handler());
  TestClient client(server_->port());
  ASSERT_FALSE(
      client.write_raw("POST /notify HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));

  http::response<http::empty_body> interim;
  ASSERT_FALSE(client.read(interim));
  EXPECT_EQ(interim.result(), http::status::continue_);

  ASSERT_FALSE(client.write_raw("{}"));
  http::response<http::string_body> response;
  ASSERT_FALSE(client.read(response));
  EXPECT_EQ(response.result_int(), 200);
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0].body, "{}");
}

// Issue 13: a credential is checked on the header. The refusal is sent before the body: the client has sent none
// of its announced 8 MB when it reads the 401, and the handler never sees the request.
TEST_F(HttpServerTest, ARequestRefusedOnItsHeaderIsAnsweredBeforeItsBodyIsRead) {
  HeaderCheck check = [](const HttpRequest& header) -> std::optional<HttpResponse> {
    if (header.headers.contains("x-secret")) return std::nullopt;
    EXPECT_TRUE(header.body.empty());
    return HttpResponse{401, "application/fhir+json", R"({"resourceType":"OperationOutcome"})", {}};
  };
  start(recording_handler(), {}, 1, check);
  TestClient client(server_->port());
  ASSERT_FALSE(
      client.write_raw("PUT /notify/Observation/o1 HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n"));
  http::response<http::string_body> response;
  ASSERT_FALSE(client.read(response));
  EXPECT_EQ(response.result_int(), 401);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(seen().empty());

  // With the credential the same request is read whole and handled.
  TestClient allowed(server_->port());
  auto request = make_request(http::verb::put, "/notify/Observation/o1", "{}");
  request.set("X-Secret", "s");
  EXPECT_EQ(allowed.send(request).result_int(), 200);
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0].body, "{}");
}

// Issue 13: connections beyond server.max_connections are answered 503 with Retry-After and closed, while the open
// ones go on being served.
TEST_F(HttpServerTest, AConnectionOverTheLimitGets503WithRetryAfter) {
  HttpServerOptions options;
  options.max_connections = 2;
  start(recording_handler(), options);
  TestClient first(server_->port());
  TestClient second(server_->port());
  // Answered: both sessions are open on the server.
  EXPECT_EQ(first.send(make_request(http::verb::get, "/healthz")).result_int(), 200);
  EXPECT_EQ(second.send(make_request(http::verb::get, "/healthz")).result_int(), 200);

  TestClient third(server_->port());
  http::response<http::string_body> refused;
  ASSERT_FALSE(third.read(refused));
  EXPECT_EQ(refused.result_int(), 503);
  EXPECT_EQ(refused[http::field::retry_after], "1");
  EXPECT_FALSE(refused.keep_alive());
  expect_operation_outcome(refused, "transient");
  EXPECT_EQ(third.read_after_close(), http::error::end_of_stream);

  EXPECT_EQ(first.send(make_request(http::verb::get, "/healthz")).result_int(), 200);
  EXPECT_EQ(seen().size(), 3u);
}

TEST_F(HttpServerTest, NoContentResponseCarriesNoBody) {
  start([](const HttpRequest&) { return HttpResponse{204, "text/plain", "ignored", {}}; });
  TestClient client(server_->port());

  const auto response = client.send(make_request(http::verb::put, "/notify/Observation/1", "{}"));

  EXPECT_EQ(response.result_int(), 204);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(client.send(make_request(http::verb::get, "/again")).result_int(), 204);
}

TEST_F(HttpServerTest, HeadResponseHasContentLengthButNoBody) {
  start(recording_handler());
  TestClient client(server_->port());
  auto request = make_request(http::verb::head, "/healthz");
  ASSERT_FALSE(client.write(request));

  http::response<http::string_body> head;
  ASSERT_FALSE(client.read_head(head));
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[http::field::content_length], "2");
  EXPECT_TRUE(head.body().empty());

  // Nothing of a body was sent: the next response starts right away.
  EXPECT_EQ(client.send(make_request(http::verb::get, "/next")).body(), "ok");
}

TEST_F(HttpServerTest, IdleConnectionClosesAfterReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::seconds(1);
  start(recording_handler(), options);
  TestClient client(server_->port());

  EXPECT_EQ(client.read_after_close(), http::error::end_of_stream);
}

// Issue 13: a request cut short (a slow or stalled client) is answered 408 when server.read_timeout_s passes, in
// the header or in the body, and the connection closes; an idle keep-alive connection is closed without a word
// (above).
TEST_F(HttpServerTest, ARequestCutShortGets408AfterTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::seconds(1);
  start(recording_handler(), options);

  TestClient in_header(server_->port());
  ASSERT_FALSE(in_header.write_raw("PUT /notify/Observation/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le"));
  http::response<http::string_body> header_late;
  ASSERT_FALSE(in_header.read(header_late));
  EXPECT_EQ(header_late.result_int(), 408);
  EXPECT_FALSE(header_late.keep_alive());
  expect_operation_outcome(header_late, "timeout");
  EXPECT_EQ(in_header.read_after_close(), http::error::end_of_stream);

  TestClient in_body(server_->port());
  ASSERT_FALSE(
      in_body.write_raw("PUT /notify/Observation/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n{}"));
  http::response<http::string_body> body_late;
  ASSERT_FALSE(in_body.read(body_late));
  EXPECT_EQ(body_late.result_int(), 408);

  // After a request answered in time, the next one's deadline starts afresh.
  TestClient second(server_->port());
  EXPECT_EQ(second.send(make_request(http::verb::get, "/healthz")).result_int(), 200);
  ASSERT_FALSE(second.write_raw("GET /again HTTP/1.1\r\n"));
  http::response<http::string_body> second_late;
  ASSERT_FALSE(second.read(second_late));
  EXPECT_EQ(second_late.result_int(), 408);
  EXPECT_EQ(seen().size(), 1u);
}

TEST_F(HttpServerTest, StopClosesIdleConnectionsAndLetsTheIoContextFinish) {
  start(recording_handler());
  TestClient client(server_->port());
  ASSERT_EQ(client.send(make_request(http::verb::get, "/healthz")).result_int(), 200);

  server_->stop();

  EXPECT_EQ(client.read_after_close(), http::error::end_of_stream);
  EXPECT_EQ(runner_.wait_for(kClientTimeout), std::future_status::ready);
}

TEST_F(HttpServerTest, ServesConcurrentConnectionsOnSeveralThreads) {
  std::atomic<int> handled{0};
  start(
      [&handled](const HttpRequest& request) {
        ++handled;
        return HttpResponse{200, "text/plain", request.body, {}};
      },
      {}, 4);
  constexpr int kClients = 8;
  constexpr int kRequests = 20;
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  std::atomic<int> answered{0};
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([this, c, &answered] {
      TestClient client(server_->port());
      for (int r = 0; r < kRequests; ++r) {
        const std::string body = std::to_string(c) + "/" + std::to_string(r);
        const auto response = client.send(make_request(http::verb::post, "/notify", body));
        if (response.result_int() == 200 && response.body() == body) ++answered;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(answered.load(), kClients * kRequests);
  EXPECT_EQ(handled.load(), kClients * kRequests);
}

TEST_F(HttpServerTest, StartReportsAddressInUse) {
  start(recording_handler());
  HttpServerOptions options;
  options.port = server_->port();
  HttpServer second(ioc_, options, recording_handler());

  EXPECT_EQ(second.start(), net::error::address_in_use);
}

TEST(HttpServer, StartReportsInvalidAddress) {
  net::io_context ioc;
  HttpServerOptions options;
  options.address = "not an address";
  HttpServer server(ioc, options, [](const HttpRequest&) { return HttpResponse{}; });
  EXPECT_TRUE(server.start());
}

TEST(Respond, PassesTheHandlersResponseThrough) {
  const auto response = respond(
      [](const HttpRequest& request) {
        return HttpResponse{201, "", request.body, {}};
      },
      HttpRequest{"PUT", "/x", {}, "payload", "127.0.0.1"});
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "payload");
}

TEST(Respond, TurnsAnExceptionInto500OperationOutcome) {
  const auto response =
      respond([](const HttpRequest&) -> HttpResponse { throw std::logic_error("secret detail"); }, HttpRequest{});
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.content_type, "application/fhir+json; charset=utf-8");
  EXPECT_NE(response.body.find("OperationOutcome"), std::string::npos);
  EXPECT_EQ(response.body.find("secret detail"), std::string::npos);
}

TEST(Respond, TurnsAnInvalidStatusInto500) {
  EXPECT_EQ(respond([](const HttpRequest&) { return HttpResponse{42, "", "", {}}; }, HttpRequest{}).status, 500);
  EXPECT_EQ(respond([](const HttpRequest&) { return HttpResponse{1000, "", "", {}}; }, HttpRequest{}).status, 500);
}

TEST(Respond, TurnsAMissingHandlerInto500) {
  EXPECT_EQ(respond(HttpHandler{}, HttpRequest{}).status, 500);
}

}  // namespace
}  // namespace gg::gateway
