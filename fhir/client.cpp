#include "fhir/client.hpp"

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace gg::fhir {
namespace {

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

}  // namespace

const boost::system::error_category& rest_category() {
  static const RestCategory category;
  return category;
}

boost::system::error_code make_error_code(RestErrc e) {
  return {static_cast<int>(e), rest_category()};
}

void throw_exception_from_error(const RestError& error, const boost::source_location& location) {
  boost::throw_exception(boost::system::system_error(error.code, error.message), location);
}

namespace {

// Client::with_headers' default: every call forwarded unchanged.
class Forwarding final : public Client {
 public:
  explicit Forwarding(Client& inner) : inner_(inner) {}
  boost::asio::awaitable<RestResult<ReadResult>> read_resource(std::string type, std::string id) override {
    return inner_.read_resource(std::move(type), std::move(id));
  }
  boost::asio::awaitable<RestResult<SearchResult>> search(std::string type, std::string query,
                                                          std::size_t max_pages, DecodeOptions decode_options,
                                                          bool keep_json) override {
    return inner_.search(std::move(type), std::move(query), max_pages, std::move(decode_options), keep_json);
  }
  boost::asio::awaitable<RestResult<Bundle>> transaction(const Bundle& bundle) override {
    return inner_.transaction(bundle);
  }
  boost::asio::awaitable<RestResult<Resource>> create(const Resource& resource) override {
    return inner_.create(resource);
  }
  boost::asio::awaitable<RestResult<Resource>> update(const Resource& resource, std::string if_match) override {
    return inner_.update(resource, std::move(if_match));
  }

 private:
  Client& inner_;
};

}  // namespace

// By value for the overrides, which keep the headers; this one has no use for them.
std::unique_ptr<Client> Client::with_headers(Headers /*headers*/) {  // NOLINT(performance-unnecessary-value-param)
  return std::make_unique<Forwarding>(*this);
}

}  // namespace gg::fhir
