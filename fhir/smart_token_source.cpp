#include "fhir/smart_token_source.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <stdexcept>
#include <utility>

#include "fhir/asio_names.hpp"
#include "fhir/rest_client.hpp"
#include "fhir/url.hpp"

namespace gg::fhir {
namespace {

using namespace detail::asio_names;
using Clock = std::chrono::steady_clock;
using Strand = asio::strand<asio::any_io_executor>;

// A discovery document or token response is a few hundred bytes; this is generous.
constexpr std::size_t kMaxAnswerBytes = std::size_t{1} << 20U;

RestResult<std::string> refuse(RestErrc code, std::string message, unsigned status = 0) {
  return RestResult<std::string>(boost::system::in_place_error,
                                 RestError{make_error_code(code), std::move(message), status, {}});
}

RestClientOptions client_options(const SmartConnection& connection, std::string base_url) {
  RestClientOptions options;
  options.base_url = std::move(base_url);
  options.connect_timeout = connection.connect_timeout;
  options.request_timeout = connection.request_timeout;
  options.verify_peer = connection.verify_peer;
  options.ca_file = connection.ca_file;
  options.max_connections = 1;
  options.max_response_bytes = kMaxAnswerBytes;
  options.user_agent = connection.user_agent;
  return options;
}

// One token request in flight, and the callers waiting for its answer (the timer is cancelled when it is in).
struct Pending {
  explicit Pending(const Strand& strand) : done(strand, Clock::time_point::max()) {}
  asio::steady_timer done;
  std::optional<RestResult<std::string>> result;
};

}  // namespace

struct SmartTokenSource::Impl {
  Impl(asio::any_io_executor io_executor, SmartBackendOptions smart_options, SmartConnection smart_connection,
       Observer on_event)
      : executor(std::move(io_executor)),
        strand(asio::make_strand(executor)),
        options(std::move(smart_options)),
        connection(std::move(smart_connection)),
        observer(std::move(on_event)),
        signer(load_signer(options)) {
    if (options.key_id.empty()) throw std::invalid_argument("SMART Backend Services: no key id (kid)");
    if (!options.token_endpoint.empty()) endpoint = options.token_endpoint;
  }

  static AssertionSigner load_signer(const SmartBackendOptions& options) {
    if (options.private_key_pem.empty()) throw std::invalid_argument("SMART Backend Services: no private key");
    auto signer = AssertionSigner::from_pem(options.private_key_pem);
    if (!signer) throw std::invalid_argument("SMART Backend Services: the private key: " + signer.error());
    return std::move(*signer);
  }

  void tell(const std::string& event, const std::string& detail) const {
    if (observer) observer(event, detail);
  }

  // On the strand: the kept token, the answer of the request in flight, or a new request's.
  static asio::awaitable<RestResult<std::string>> get(std::shared_ptr<Impl> self) {
    if (!self->token.empty() && Clock::now() < self->renew_at) co_return self->token;
    if (const auto pending = self->pending) {
      error_code ignored;
      co_await pending->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      if (pending->result) co_return *pending->result;
    }
    auto pending = std::make_shared<Pending>(self->strand);
    self->pending = pending;
    auto result = co_await obtain(self);
    self->pending.reset();
    if (!result) self->tell("token-failed", result.error().message);
    pending->result = result;
    pending->done.cancel();
    co_return result;
  }

  static asio::awaitable<RestResult<std::string>> obtain(std::shared_ptr<Impl> self) {
    if (self->endpoint.empty()) {
      auto found = co_await discover(self);
      if (!found) co_return found;
      self->endpoint = std::move(*found);
    }
    if (!self->token_client || self->token_client->options().base_url != self->endpoint) {
      auto parsed = parse_url(self->endpoint);
      if (!parsed || parsed->target.find('?') != std::string::npos) {
        co_return refuse(RestErrc::invalid_response,
                         "SMART token_endpoint is not an http or https URL without a query");
      }
      if (!parsed->tls() && self->connection.base_url.rfind("https://", 0) == 0) {
        co_return refuse(RestErrc::invalid_response,
                         "SMART token_endpoint is plain http while the FHIR server is https: refused");
      }
      self->token_client =
          std::make_unique<RestClient>(self->executor, client_options(self->connection, self->endpoint));
    }
    const std::string where = "SMART token request to " + self->token_client->options().base_url;
    const auto now = std::chrono::system_clock::now();
    AssertionClaims claims{self->options.client_id, self->endpoint,
                           std::chrono::duration_cast<std::chrono::seconds>(
                               (now + self->options.assertion_lifetime).time_since_epoch())
                               .count(),
                           random_jti()};
    const std::string assertion = self->signer.sign(self->options.key_id, assertion_claims_json(claims));
    const auto asked = Clock::now();
    // Built before co_await: GCC 12 cannot initialise from a braced list inside a co_await's arguments.
    RestClient::Headers headers{{"Content-Type", "application/x-www-form-urlencoded"},
                                {"Accept", "application/json"}};
    auto answer = co_await self->token_client->request(
        "POST", "", token_request_body(self->options.scope, assertion), std::move(headers));
    if (!answer) co_return refuse(RestErrc::invalid_response, where + ": " + answer.error().message);
    if (answer->status != 200) {
      const auto reason = token_error_text(answer->body);
      co_return refuse(RestErrc::http_status,
                       where + ": HTTP " + std::to_string(answer->status) + (reason.empty() ? "" : ": " + reason),
                       answer->status);
    }
    auto grant = parse_token_response(answer->body);
    if (!grant) co_return refuse(RestErrc::invalid_response, where + ": " + grant.error());
    self->token = grant->access_token;
    if (grant->expires_in) {
      self->renew_at = asked + renew_after(*grant->expires_in, self->options.refresh_margin);
    } else {
      self->renew_at = Clock::time_point::max();
    }
    self->tell("token-obtained", std::to_string(grant->expires_in ? grant->expires_in->count() : 0));
    co_return self->token;
  }

  static asio::awaitable<RestResult<std::string>> discover(std::shared_ptr<Impl> self) {
    RestClient client(self->executor, client_options(self->connection, self->connection.base_url));
    const std::string where = "SMART discovery, GET .well-known/smart-configuration";
    RestClient::Headers headers{{"Accept", "application/json"}};
    auto answer = co_await client.request("GET", ".well-known/smart-configuration", {}, std::move(headers));
    if (!answer) co_return refuse(RestErrc::invalid_response, where + ": " + answer.error().message);
    if (answer->status != 200) {
      co_return refuse(RestErrc::http_status, where + ": HTTP " + std::to_string(answer->status), answer->status);
    }
    auto endpoint = smart_token_endpoint(answer->body, self->signer.algorithm());
    if (!endpoint) co_return refuse(RestErrc::invalid_response, where + ": " + endpoint.error());
    co_return std::move(*endpoint);
  }

  asio::any_io_executor executor;
  Strand strand;
  SmartBackendOptions options;
  SmartConnection connection;
  Observer observer;
  AssertionSigner signer;
  // On the strand only:
  std::string endpoint;
  std::unique_ptr<RestClient> token_client;
  std::string token;
  Clock::time_point renew_at{};
  std::shared_ptr<Pending> pending;
};

SmartTokenSource::SmartTokenSource(asio::any_io_executor executor, SmartBackendOptions options,
                                   SmartConnection connection, Observer observer)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options), std::move(connection),
                                   std::move(observer))) {}

SmartTokenSource::~SmartTokenSource() = default;

asio::awaitable<RestResult<std::string>> SmartTokenSource::token() {
  co_return co_await asio::co_spawn(impl_->strand, Impl::get(impl_), asio::use_awaitable);
}

asio::awaitable<void> SmartTokenSource::refused(std::string token) {
  co_await asio::co_spawn(
      impl_->strand,
      [](std::shared_ptr<Impl> self, std::string refused_token) -> asio::awaitable<void> {
        if (self->token != refused_token) co_return;
        self->token.clear();
        self->tell("token-refused", {});
      }(impl_, std::move(token)),
      asio::use_awaitable);
}

}  // namespace gg::fhir
