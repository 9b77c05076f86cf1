// The FHIR interactions of the Beast client: requests with the FHIR defaults, statuses and bodies turned into
// values or errors, search paging. One connection is fhir/http_connection.*, the pool fhir/connection_pool.*.
#include "fhir/rest_client.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <iterator>
#include <stdexcept>

#include "fhir/asio_names.hpp"
#include "fhir/bundle_entry_json.hpp"
#include "fhir/connection_pool.hpp"
#include "fhir/http_connection.hpp"
#include "fhir/smart_token_source.hpp"
#include "fhir/url.hpp"

namespace gg::fhir {

namespace {

using namespace detail::asio_names;
using detail::Connection;
using detail::Exchange;
using detail::Request;
using Clock = detail::SteadyClock;

template <typename T>
RestResult<T> success(T value) {
  return RestResult<T>(boost::system::in_place_value, std::move(value));
}

template <typename T>
RestResult<T> failure(RestError error) {
  return RestResult<T>(boost::system::in_place_error, std::move(error));
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

RestError status_error(const std::string& what, const HttpResponse& response) {
  return fhir::status_error(what, response.status, response.body);
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

bool has_header(const RestClient::Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return beast::iequals(header.first, name); });
}

}  // namespace

std::string authorization_header(const RestClientOptions& options) {
  if (!options.bearer_token.empty()) return "Bearer " + options.bearer_token;
  if (!options.basic_credentials.empty()) return "Basic " + base64(options.basic_credentials);
  return {};
}

RestError status_error(const std::string& what, unsigned status, std::string_view body) {
  RestError error{make_error_code(RestErrc::http_status),
                  what + ": HTTP " + std::to_string(status) + " " +
                      std::string(http::obsolete_reason(static_cast<http::status>(status))),
                  status,
                  {}};
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || body[first] != '{') return error;
  auto decoded = decode_resource(body);
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
    if (!is_field_value(options.bearer_token) || !is_field_value(options.user_agent) ||
        !is_field_value(options.basic_credentials)) {
      throw std::invalid_argument(
          "RestClient: bearer_token, basic_credentials or user_agent contains control characters");
    }
    const int credentials = static_cast<int>(!options.bearer_token.empty()) +
                            static_cast<int>(!options.basic_credentials.empty()) +
                            static_cast<int>(options.smart.enabled());
    if (credentials > 1) {
      throw std::invalid_argument("RestClient: bearer_token, basic_credentials and smart exclude each other");
    }
    authorization = authorization_header(options);
    if (options.smart.enabled()) {
      smart = std::make_unique<SmartTokenSource>(
          executor, options.smart,
          SmartConnection{options.base_url, options.connect_timeout, options.request_timeout, options.verify_peer,
                          options.ca_file, options.user_agent},
          options.smart_observer);
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
    return detail::make_connection(executor, base, options.verify_peer, tls ? &*tls : nullptr);
  }

  std::string describe(const std::string& method) const { return method + " " + base.origin(); }

  // The request with the FHIR defaults (R4 section 3.1.0.1.10 for the MIME type); extra headers replace them.
  RestResult<Request> build(const std::string& method, const std::string& target, std::string body,
                            const Headers& extra) const {
    const auto refuse = [&](const std::string& why) {
      return failure<Request>(RestErrc::invalid_request, describe(method) + ": " + why);
    };
    if (!is_token(method)) return refuse("invalid method");
    for (const auto& [name, value] : extra) {
      if (!is_token(name) || !is_field_value(value)) return refuse("invalid header " + name);
      if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding"))
        return refuse(name + " is set here");
    }
    const auto given = [&](std::string_view name) { return has_header(extra, name); };
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
    if (!authorization.empty() && !given("authorization")) request.set(http::field::authorization, authorization);
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

  static asio::awaitable<RestResult<HttpResponse>> send_once(std::shared_ptr<Impl> self, std::string method,
                                                             std::string target, std::string body,
                                                             Headers headers) {
    const auto respond_by = Clock::now() + self->options.request_timeout;
    const auto resolved = resolve_target(self->base, target);
    if (!resolved.target) {
      co_return failure<HttpResponse>(RestErrc::target_refused, self->describe(method) + ": " + resolved.refusal);
    }
    auto request = self->build(method, *resolved.target, std::move(body), headers);
    if (!request) co_return failure<HttpResponse>(request.error());

    auto [ec, slot] = co_await self->pool.acquire(respond_by);
    if (ec) {
      co_return failure<HttpResponse>(ec,
                                      self->describe(method) + ": no connection became free in request_timeout");
    }
    for (bool retried = false;; retried = true) {
      if (!slot.connection) slot.connection = self->make_connection();
      const detail::Deadlines deadlines{std::min(Clock::now() + self->options.connect_timeout, respond_by),
                                        respond_by};
      Connection& connection = *slot.connection;
      Exchange exchange = co_await asio::co_spawn(
          connection.executor(), connection.exchange(*request, deadlines, self->options.max_response_bytes),
          asio::use_awaitable);
      if (!exchange.ec) {
        slot.keep = exchange.reusable;
        co_return success(to_http_response(std::move(exchange.response)));
      }
      // Retry once, on a fresh connection, only when the server closed a kept-alive connection before answering
      // and it cannot have acted on the request: it is idempotent, or it never fully reached the server.
      const bool retry = !retried && slot.reused && !exchange.response_started &&
                         detail::closed_by_peer(exchange.ec) &&
                         (idempotent(request->method()) || !exchange.request_sent);
      detail::discard(std::move(slot.connection));
      slot.reused = false;
      if (!retry) co_return failure<HttpResponse>(exchange.ec, self->transport_message(method, exchange));
    }
  }

  static asio::awaitable<RestResult<HttpResponse>> download_once(std::shared_ptr<Impl> self, std::string target,
                                                                 std::string path, Headers headers) {
    const std::string method = "GET";
    const auto resolved = resolve_target(self->base, target);
    if (!resolved.target) {
      co_return failure<HttpResponse>(RestErrc::target_refused, self->describe(method) + ": " + resolved.refusal);
    }
    auto request = self->build(method, *resolved.target, {}, headers);
    if (!request) co_return failure<HttpResponse>(request.error());

    // Waiting for a connection and the response's header share request_timeout, as in send(); the body then
    // takes as long as it keeps arriving.
    const auto respond_by = Clock::now() + self->options.request_timeout;
    auto [ec, slot] = co_await self->pool.acquire(respond_by);
    if (ec) {
      co_return failure<HttpResponse>(ec,
                                      self->describe(method) + ": no connection became free in request_timeout");
    }
    for (bool retried = false;; retried = true) {
      if (!slot.connection) slot.connection = self->make_connection();
      const detail::Deadlines deadlines{std::min(Clock::now() + self->options.connect_timeout, respond_by),
                                        respond_by};
      Connection& connection = *slot.connection;
      Exchange exchange = co_await asio::co_spawn(
          connection.executor(), connection.download(*request, deadlines, self->options.request_timeout, path),
          asio::use_awaitable);
      if (!exchange.ec) {
        slot.keep = exchange.reusable;
        co_return success(to_http_response(std::move(exchange.response)));
      }
      // A GET is idempotent: retried once on a fresh connection when a kept-alive one was closed before answering.
      const bool retry =
          !retried && slot.reused && !exchange.response_started && detail::closed_by_peer(exchange.ec);
      detail::discard(std::move(slot.connection));
      slot.reused = false;
      if (!retry) co_return failure<HttpResponse>(exchange.ec, self->transport_message(method, exchange));
    }
  }

  // With SMART Backend Services, each request carries the source's access token; a 401 drops that token and the
  // request is sent once more with a new one (an expired or revoked token is the usual cause). `attempt(headers)`
  // sends the request once with those headers.
  template <typename Attempt>
  static asio::awaitable<RestResult<HttpResponse>> with_token(std::shared_ptr<Impl> self, Headers headers,
                                                              Attempt attempt) {
    if (!self->smart || has_header(headers, "authorization")) co_return co_await attempt(std::move(headers));
    for (bool renewed = false;; renewed = true) {
      auto token = co_await self->smart->token();
      if (!token) co_return failure<HttpResponse>(token.error());
      Headers with_header = headers;
      with_header.emplace_back("Authorization", "Bearer " + *token);
      auto result = co_await attempt(std::move(with_header));
      if (renewed || !result || result->status != 401) co_return result;
      co_await self->smart->refused(*token);
    }
  }

  static asio::awaitable<RestResult<HttpResponse>> send(std::shared_ptr<Impl> self, std::string method,
                                                        std::string target, std::string body, Headers headers) {
    if (!self->smart) {
      co_return co_await send_once(self, std::move(method), std::move(target), std::move(body),
                                   std::move(headers));
    }
    co_return co_await with_token(self, std::move(headers), [&](Headers with_header) {
      return send_once(self, method, target, body, std::move(with_header));
    });
  }

  static asio::awaitable<RestResult<HttpResponse>> download(std::shared_ptr<Impl> self, std::string target,
                                                            std::string path, Headers headers) {
    co_return co_await with_token(self, std::move(headers), [&](Headers with_header) {
      return download_once(self, target, path, std::move(with_header));
    });
  }

  static asio::awaitable<RestResult<std::string>> authorization_value(std::shared_ptr<Impl> self) {
    if (!self->smart) co_return self->authorization;
    auto token = co_await self->smart->token();
    if (!token) co_return token;
    co_return "Bearer " + *token;
  }

  // `extra`: headers every request of the call carries besides the defaults (a view's, with_headers()).
  static asio::awaitable<RestResult<ReadResult>> read(std::shared_ptr<Impl> self, std::string type, std::string id,
                                                      Headers extra) {
    const std::string what = "read " + type;
    if (!is_resource_type_name(type) || !is_resource_id(id)) {
      co_return failure<ReadResult>(RestErrc::invalid_request, what + ": invalid resource type or id");
    }
    auto result = co_await send(self, "GET", type + "/" + id, {}, std::move(extra));
    if (!result) co_return failure<ReadResult>(result.error());
    const unsigned status = result->status;
    if (status / 100 != 2 && status != 404 && status != 410) {
      co_return failure<ReadResult>(status_error(what, *result));
    }
    ReadResult read{status, std::nullopt};
    if (status / 100 == 2) {
      auto decoded = decode_resource(result->body);
      if (decoded.ok() && resource_type(*decoded.value) == type) read.resource = std::move(*decoded.value);
    }
    co_return success(std::move(read));
  }

  // One page: GET `target` (the first page's "[type]?[query]" or a "next" link), decoded.
  static asio::awaitable<RestResult<SearchPage>> search_page(std::shared_ptr<Impl> self, std::string target,
                                                             std::string what, DecodeOptions decode_options,
                                                             bool keep_json, Headers extra) {
    auto result = co_await send(self, "GET", target, {}, std::move(extra));
    if (!result) co_return failure_in<SearchPage>(what, result.error());
    if (result->status / 100 != 2) co_return failure<SearchPage>(status_error(what, *result));
    std::vector<std::string> entry_json;
    auto bundle =
        decode_bundle_keeping_entry_json(result->body, decode_options, keep_json ? &entry_json : nullptr);
    if (!bundle.ok()) {
      co_return failure<SearchPage>(RestErrc::invalid_response,
                                    what + ": the Bundle did not decode: " + describe_errors(bundle.issues));
    }
    SearchPage page;
    page.total = bundle.value->total;
    // Entry-level problems leave that entry without a resource (decode_bundle); the rest of the page stands.
    for (auto& issue : bundle.issues) {
      if (issue.severity != DecodeIssue::Severity::warning) page.found.skipped.push_back(std::move(issue));
    }
    for (std::size_t i = 0; i < bundle.value->entry.size(); ++i) {
      auto& entry = bundle.value->entry[i];
      if (!entry.resource) continue;
      page.found.resources.push_back(std::move(*entry.resource));
      if (keep_json)
        page.found.resource_json.push_back(i < entry_json.size() ? std::move(entry_json[i]) : std::string());
    }
    // Paging (R4 section 3.1.1.5.6): the server's "next" link, to be followed verbatim; send() keeps it on our
    // origin.
    const auto& links = bundle.value->link;
    const auto next = std::find_if(links.begin(), links.end(), [](const auto& l) { return l.relation == "next"; });
    if (next != links.end()) page.next = next->url;
    co_return success(std::move(page));
  }

  static asio::awaitable<RestResult<SearchResult>> search(std::shared_ptr<Impl> self, std::string type,
                                                          std::string query, std::size_t max_pages,
                                                          DecodeOptions decode_options, bool keep_json,
                                                          Headers extra) {
    using Resources = SearchResult;
    if (!is_resource_type_name(type)) {
      co_return failure<Resources>(RestErrc::invalid_request, "search: invalid resource type");
    }
    if (query.starts_with('?')) query.erase(0, 1);
    std::string target = query.empty() ? type : type + "?" + query;
    SearchResult found;
    for (std::size_t page_number = 1;; ++page_number) {
      auto page = co_await search_page(self, target, "search " + type + " page " + std::to_string(page_number),
                                       decode_options, keep_json, extra);
      if (!page) co_return failure<Resources>(page.error());
      auto& part = page->found;
      std::move(part.skipped.begin(), part.skipped.end(), std::back_inserter(found.skipped));
      std::move(part.resources.begin(), part.resources.end(), std::back_inserter(found.resources));
      std::move(part.resource_json.begin(), part.resource_json.end(), std::back_inserter(found.resource_json));
      if (page->next.empty() || page_number >= std::max<std::size_t>(1, max_pages)) break;
      target = std::move(page->next);
    }
    co_return success(std::move(found));
  }

  static asio::awaitable<RestResult<Bundle>> transaction(std::shared_ptr<Impl> self, std::string body,
                                                         Headers extra) {
    auto result = co_await send(self, "POST", "", std::move(body), std::move(extra));
    if (!result) co_return failure_in<Bundle>("transaction", result.error());
    if (result->status / 100 != 2) co_return failure<Bundle>(status_error("transaction", *result));
    auto bundle = decode_bundle(result->body);
    if (!bundle.ok()) {
      co_return failure<Bundle>(RestErrc::invalid_response, "transaction: the response Bundle did not decode: " +
                                                                describe_errors(bundle.issues));
    }
    co_return success(std::move(*bundle.value));
  }

  // POST [type] or PUT [type]/[id]: the resource the server answered with.
  static asio::awaitable<RestResult<Resource>> write(std::shared_ptr<Impl> self, std::string method,
                                                     std::string type, std::string id, std::string body,
                                                     std::string if_match, Headers extra) {
    const std::string what = (method == "PUT" ? "update " : "create ") + type;
    if (!is_resource_type_name(type) || (method == "PUT" && !is_resource_id(id))) {
      co_return failure<Resource>(RestErrc::invalid_request, what + ": invalid resource type or id");
    }
    Headers headers = std::move(extra);
    if (!if_match.empty()) headers.emplace_back("If-Match", std::move(if_match));
    // The target is a local, not a temporary of the co_await expression: GCC 12 destroys a conditional's
    // temporary there wrongly.
    std::string target = method == "PUT" ? type + "/" + id : type;
    auto result = co_await send(self, method, std::move(target), std::move(body), std::move(headers));
    if (!result) co_return failure_in<Resource>(what, result.error());
    if (result->status / 100 != 2) co_return failure<Resource>(status_error(what, *result));
    auto decoded = decode_resource(result->body);
    if (!decoded.ok() || resource_type(*decoded.value) != type) {
      co_return failure<Resource>(RestErrc::invalid_response, what + ": the answer is not a " + type);
    }
    co_return success(std::move(*decoded.value));
  }

  asio::any_io_executor executor;
  RestClientOptions options;
  std::string authorization;  // the Authorization header of every request (bearer or basic), or empty
  std::unique_ptr<SmartTokenSource> smart;  // SMART Backend Services: each request's bearer token
  Url base;
  std::optional<ssl::context> tls;  // shared by every TLS connection (SSL_new from one SSL_CTX is thread-safe)
  detail::ConnectionPool pool;
};

RestClient::RestClient(boost::asio::any_io_executor executor, RestClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

RestClient::~RestClient() = default;

// The coroutines take the Impl by shared_ptr and their arguments by value: a call outlives this RestClient and the
// caller's temporaries. transaction(), create() and update() serialise before returning for the same reason.
boost::asio::awaitable<RestResult<HttpResponse>> RestClient::request(std::string method, std::string target,
                                                                     std::string body, Headers headers) {
  return Impl::send(impl_, std::move(method), std::move(target), std::move(body), std::move(headers));
}

boost::asio::awaitable<RestResult<HttpResponse>> RestClient::download(std::string target, std::string path,
                                                                      Headers headers) {
  return Impl::download(impl_, std::move(target), std::move(path), std::move(headers));
}

boost::asio::awaitable<RestResult<ReadResult>> RestClient::read_resource(std::string type, std::string id) {
  return Impl::read(impl_, std::move(type), std::move(id), {});
}

boost::asio::awaitable<RestResult<SearchResult>> RestClient::search(std::string type, std::string query,
                                                                    std::size_t max_pages,
                                                                    DecodeOptions decode_options, bool keep_json) {
  return Impl::search(impl_, std::move(type), std::move(query), max_pages, std::move(decode_options), keep_json,
                      {});
}

boost::asio::awaitable<RestResult<SearchPage>> RestClient::search_page(std::string target, std::string what,
                                                                       DecodeOptions decode_options,
                                                                       bool keep_json) {
  return Impl::search_page(impl_, std::move(target), std::move(what), std::move(decode_options), keep_json, {});
}

boost::asio::awaitable<RestResult<Bundle>> RestClient::transaction(const Bundle& bundle) {
  return Impl::transaction(impl_, to_json(bundle), {});
}

boost::asio::awaitable<RestResult<Resource>> RestClient::create(const Resource& resource) {
  return Impl::write(impl_, "POST", std::string(resource_type(resource)), {}, to_json(resource), {}, {});
}

boost::asio::awaitable<RestResult<Resource>> RestClient::update(const Resource& resource, std::string if_match) {
  return Impl::write(impl_, "PUT", std::string(resource_type(resource)), std::string(resource_id(resource)),
                     to_json(resource), std::move(if_match), {});
}

// The view of with_headers(): the same Impl (pool, credentials), its headers on every request.
class RestClient::View final : public Client {
 public:
  View(std::shared_ptr<Impl> impl, Headers headers) : impl_(std::move(impl)), headers_(std::move(headers)) {}

  asio::awaitable<RestResult<ReadResult>> read_resource(std::string type, std::string id) override {
    return Impl::read(impl_, std::move(type), std::move(id), headers_);
  }
  asio::awaitable<RestResult<SearchResult>> search(std::string type, std::string query, std::size_t max_pages,
                                                   DecodeOptions decode_options, bool keep_json) override {
    return Impl::search(impl_, std::move(type), std::move(query), max_pages, std::move(decode_options), keep_json,
                        headers_);
  }
  asio::awaitable<RestResult<Bundle>> transaction(const Bundle& bundle) override {
    return Impl::transaction(impl_, to_json(bundle), headers_);
  }
  asio::awaitable<RestResult<Resource>> create(const Resource& resource) override {
    return Impl::write(impl_, "POST", std::string(resource_type(resource)), {}, to_json(resource), {}, headers_);
  }
  asio::awaitable<RestResult<Resource>> update(const Resource& resource, std::string if_match) override {
    return Impl::write(impl_, "PUT", std::string(resource_type(resource)), std::string(resource_id(resource)),
                       to_json(resource), std::move(if_match), headers_);
  }
  std::unique_ptr<Client> with_headers(Headers headers) override {
    Headers both = headers_;
    both.insert(both.end(), headers.begin(), headers.end());
    return std::make_unique<View>(impl_, std::move(both));
  }

 private:
  std::shared_ptr<Impl> impl_;
  Headers headers_;
};

std::unique_ptr<Client> RestClient::with_headers(Headers headers) {
  return std::make_unique<View>(impl_, std::move(headers));
}

boost::asio::awaitable<RestResult<std::string>> RestClient::authorization() {
  return Impl::authorization_value(impl_);
}

const RestClientOptions& RestClient::options() const {
  return impl_->options;
}

}  // namespace gg::fhir
