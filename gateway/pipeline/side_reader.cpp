#include "gateway/pipeline/side_reader.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <thread>
#include <utility>

#include "fhir/rest_client.hpp"

namespace gg::gateway {

struct SideReader::Own {
  boost::asio::io_context ioc{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  std::unique_ptr<fhir::Client> client;
  std::thread thread;

  ~Own() {
    work.reset();
    ioc.stop();
    if (thread.joinable()) thread.join();
  }
};

SideReader::SideReader(fhir::Client& client, boost::asio::any_io_executor executor,
                       std::chrono::milliseconds timeout)
    : client_(&client), executor_(std::move(executor)), timeout_(timeout) {}

boost::system::result<std::unique_ptr<SideReader>, std::string> SideReader::start(
    const FhirConfig& config, const std::string& agent, std::chrono::milliseconds timeout) {
  auto own = std::make_unique<Own>();
  auto options = rest_client_options(config, std::string("gradient-gateway/") + GG_VERSION + " " + agent);
  options.request_timeout = std::min(options.request_timeout, timeout);
  options.max_connections = 1;  // one caller at a time waits for a read
  try {
    own->client = std::make_unique<fhir::RestClient>(own->ioc.get_executor(), options);
  } catch (const std::exception& error) {
    return agent + ": the FHIR client: " + error.what();
  }
  auto reader = std::make_unique<SideReader>(*own->client, own->ioc.get_executor(), timeout);
  own->thread = std::thread([context = &own->ioc] { context->run(); });
  reader->own_ = std::move(own);
  return reader;
}

SideReader::~SideReader() = default;

}  // namespace gg::gateway
