// A fhir::Client that forwards every call to another and adds up the time spent waiting for the FHIR server, so a
// patient's processing time can be split into the server's part and the gateway's own (queueing, decoding,
// analysis, authoring): gradient_gateway_analysis_seconds{part}; with a histogram, each call's time is observed in
// it too (gradient_gateway_fhir_request_seconds). One per patient's processing; not thread-safe.
#pragma once

#include <chrono>

#include "fhir/client.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

class TimedClient final : public fhir::Client {
 public:
  explicit TimedClient(fhir::Client& inner, Histogram* latency = nullptr) : inner_(inner), latency_(latency) {}

  boost::asio::awaitable<fhir::RestResult<fhir::ReadResult>> read_resource(std::string type,
                                                                           std::string id) override;
  boost::asio::awaitable<fhir::RestResult<fhir::SearchResult>> search(std::string type, std::string query,
                                                                      std::size_t max_pages,
                                                                      fhir::DecodeOptions decode_options,
                                                                      bool keep_json) override;
  boost::asio::awaitable<fhir::RestResult<fhir::Bundle>> transaction(const fhir::Bundle& bundle) override;
  boost::asio::awaitable<fhir::RestResult<fhir::Resource>> create(const fhir::Resource& resource) override;
  boost::asio::awaitable<fhir::RestResult<fhir::Resource>> update(const fhir::Resource& resource,
                                                                  std::string if_match) override;

  // The time spent in calls so far, answered or not.
  [[nodiscard]] std::chrono::steady_clock::duration waited() const { return waited_; }

 private:
  fhir::Client& inner_;
  Histogram* latency_;
  std::chrono::steady_clock::duration waited_{};
};

}  // namespace gg::gateway
