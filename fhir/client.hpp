// The FHIR client seam: the few RESTful interactions (R4 section 3.1.0) the gateway uses, as a small interface.
// The Beast RestClient (fhir/rest_client.hpp) implements it against a real server; unit tests implement it with an
// in-memory fake (tests/gateway/fake_fhir_client.hpp), as Envoy injects fakes through its interface headers.
//
// Every call is a coroutine awaited on the caller's executor. Failures are values (RestResult), never exceptions,
// and their messages carry no patient data (never a resource body, a query, or an id).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "fhir/decode_result.hpp"
#include "fhir/json_codec.hpp"
#include "fhir/resources.hpp"

namespace gg::fhir {

// Errors a client reports itself, beside the transport's own codes (asio, ssl, beast::error::timeout,
// http::error::body_limit).
enum class RestErrc {
  http_status = 1,   // the server answered with a status the call does not accept; see RestError::http_status
  invalid_response,  // the body is not the FHIR content the call expects (e.g. a search page that is no Bundle)
  target_refused,    // a target on another origin, or not a valid URL
  invalid_request,   // an argument the client will not send (a bad id, a header with a line break)
};
const boost::system::error_category& rest_category();
boost::system::error_code make_error_code(RestErrc e);

// A failed call: an error_code and a message without patient data.
struct RestError {
  boost::system::error_code code;
  std::string message;
  unsigned http_status = 0;                 // non-zero when the server answered with a non-accepted status
  std::optional<OperationOutcome> outcome;  // the server's OperationOutcome, when it sent one with that status
};

// A call's value or its error (Boost 1.81's result: `if (!r)`, `*r`, `r->`, `r.error()`).
template <typename T>
using RestResult = boost::system::result<T, RestError>;

// What result<T, RestError>::value() throws when there is no value (found by argument-dependent lookup).
[[noreturn]] void throw_exception_from_error(const RestError& error, const boost::source_location& location);

// A read's answer: 2xx, 404 (unknown) or 410 (deleted) are values, every other status an error.
struct ReadResult {
  unsigned status = 0;
  // The resource, when the status is 2xx and the body decoded as a resource of the requested type; empty
  // otherwise (404, 410, or a body that is not one: the caller decides what an unreadable resource means).
  std::optional<Resource> resource;
};

// A read of one resource type: `resource` is that type or empty (see ReadResult).
template <typename T>
struct TypedRead {
  unsigned status = 0;
  std::optional<T> resource;
};

struct SearchResult {
  std::vector<Resource> resources;
  std::vector<DecodeIssue> skipped;  // issues of entries left out (paths name the entry), never their content
  // Only when the search was asked to keep them: each resource as the bytes it arrived as, parallel to
  // `resources`, for a caller that stores what it fetched without serialising it again.
  std::vector<std::string> resource_json;
};

class Client {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  virtual ~Client() = default;

  // A client whose every request also carries `headers` (a W3C traceparent: the trace the calls belong to). It
  // borrows this client, which must outlive it. This default sends no headers of its own (a client without HTTP,
  // a test's fake): it forwards every call unchanged.
  virtual std::unique_ptr<Client> with_headers(Headers headers);

  // GET [type]/[id] (R4 section 3.1.0.3).
  virtual boost::asio::awaitable<RestResult<ReadResult>> read_resource(std::string type, std::string id) = 0;

  // GET [type]?[query] (R4 section 3.1.1), following Bundle.link "next" until there is none or max_pages pages
  // were read (0 is taken as 1); every page's entries' resources in order. An entry whose resource did not decode
  // is left out and reported in SearchResult::skipped. `decode_options` filters as decode_bundle does.
  // keep_json: also fill SearchResult::resource_json.
  virtual boost::asio::awaitable<RestResult<SearchResult>> search(std::string type, std::string query,
                                                                  std::size_t max_pages = 50,
                                                                  DecodeOptions decode_options = {},
                                                                  bool keep_json = false) = 0;

  // POST [base] with a transaction Bundle (R4 section 3.1.0.11): all entries succeed or none do. Returns the
  // transaction-response Bundle.
  virtual boost::asio::awaitable<RestResult<Bundle>> transaction(const Bundle& bundle) = 0;

  // POST [type] (R4 section 3.1.0.7): the resource as the server stored it (with its id and version).
  virtual boost::asio::awaitable<RestResult<Resource>> create(const Resource& resource) = 0;

  // PUT [type]/[id] (R4 section 3.1.0.4), conditional on the version when `if_match` is given (W/"3", section
  // 3.1.0.4.2: 412 when the resource changed since): the resource as the server stored it.
  virtual boost::asio::awaitable<RestResult<Resource>> update(const Resource& resource,
                                                              std::string if_match = {}) = 0;

  // The typed read: the resource decoded as T, or empty (see ReadResult). T is a resource of one fixed type
  // (Patient, Subscription, ...), not MedicationUse or OtherResource, whose type name is a value.
  template <typename T>
  boost::asio::awaitable<RestResult<TypedRead<T>>> read(std::string id) {
    static_assert(!std::is_same_v<T, MedicationUse> && !std::is_same_v<T, OtherResource>);
    // The type name and the id are locals, not temporaries of the co_await expression: GCC 12 destroys such
    // temporaries wrongly in a coroutine.
    std::string type(resource_type(Resource{T{}}));
    auto result = co_await read_resource(std::move(type), std::move(id));
    if (!result) co_return RestResult<TypedRead<T>>(boost::system::in_place_error, result.error());
    TypedRead<T> read{result->status, std::nullopt};
    if (result->resource) {
      if (auto* resource = std::get_if<T>(&*result->resource)) read.resource = std::move(*resource);
    }
    co_return RestResult<TypedRead<T>>(boost::system::in_place_value, std::move(read));
  }
};

}  // namespace gg::fhir

template <>
struct boost::system::is_error_code_enum<gg::fhir::RestErrc> : std::true_type {};
