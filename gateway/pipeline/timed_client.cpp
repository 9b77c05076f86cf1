#include "gateway/pipeline/timed_client.hpp"

namespace gg::gateway {
namespace {

// Adds the time from its construction to its destruction to `total`, and observes it in `latency` when there is
// one, however the call ends.
class Stopwatch {
 public:
  Stopwatch(std::chrono::steady_clock::duration& total, Histogram* latency)
      : total_(total), latency_(latency), start_(std::chrono::steady_clock::now()) {}
  Stopwatch(const Stopwatch&) = delete;
  Stopwatch& operator=(const Stopwatch&) = delete;
  ~Stopwatch() {
    const auto took = std::chrono::steady_clock::now() - start_;
    total_ += took;
    if (latency_ != nullptr) latency_->observe(std::chrono::duration<double>(took).count());
  }

 private:
  std::chrono::steady_clock::duration& total_;
  Histogram* latency_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

boost::asio::awaitable<fhir::RestResult<fhir::ReadResult>> TimedClient::read_resource(std::string type,
                                                                                      std::string id) {
  const Stopwatch stopwatch(waited_, latency_);
  co_return co_await inner_.read_resource(std::move(type), std::move(id));
}

boost::asio::awaitable<fhir::RestResult<fhir::SearchResult>> TimedClient::search(
    std::string type, std::string query, std::size_t max_pages, fhir::DecodeOptions decode_options,
    bool keep_json) {
  const Stopwatch stopwatch(waited_, latency_);
  co_return co_await inner_.search(std::move(type), std::move(query), max_pages, std::move(decode_options),
                                   keep_json);
}

boost::asio::awaitable<fhir::RestResult<fhir::Bundle>> TimedClient::transaction(const fhir::Bundle& bundle) {
  const Stopwatch stopwatch(waited_, latency_);
  co_return co_await inner_.transaction(bundle);
}

boost::asio::awaitable<fhir::RestResult<fhir::Resource>> TimedClient::create(const fhir::Resource& resource) {
  const Stopwatch stopwatch(waited_, latency_);
  co_return co_await inner_.create(resource);
}

boost::asio::awaitable<fhir::RestResult<fhir::Resource>> TimedClient::update(const fhir::Resource& resource,
                                                                             std::string if_match) {
  const Stopwatch stopwatch(waited_, latency_);
  co_return co_await inner_.update(resource, std::move(if_match));
}

}  // namespace gg::gateway
