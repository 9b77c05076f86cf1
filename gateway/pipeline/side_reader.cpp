#include "gateway/pipeline/side_reader.hpp"

#include <algorithm>
#include <exception>

#include "fhir/rest_client.hpp"

namespace gg::gateway {

boost::system::result<std::unique_ptr<SideReader>, std::string> SideReader::start(
    const FhirConfig& config, const std::string& agent, std::chrono::milliseconds timeout) {
  std::unique_ptr<SideReader> reader(new SideReader(timeout));
  auto options = rest_client_options(config, std::string("gradient-gateway/") + GG_VERSION + " " + agent);
  options.request_timeout = std::min(options.request_timeout, timeout);
  options.max_connections = 1;  // one caller at a time waits for a read
  try {
    reader->client_ = std::make_unique<fhir::RestClient>(reader->ioc_.get_executor(), options);
  } catch (const std::exception& error) {
    return agent + ": the FHIR client: " + error.what();
  }
  reader->thread_ = std::thread([raw = reader.get()] { raw->ioc_.run(); });
  return reader;
}

SideReader::~SideReader() {
  work_.reset();
  ioc_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace gg::gateway
