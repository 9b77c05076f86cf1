#include "gateway/http/probes.hpp"

#include <iterator>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

constexpr std::string_view kCircuitStates[] = {"closed", "open", "half-open"};

}  // namespace

HttpResponse healthz_response() {
  return HttpResponse{200, "application/json", R"({"status":"up"})", {}};
}

HttpResponse readyz_response(const ReadinessReport& report) {
  const bool ready = report.ready();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("status");
  writer.String(ready ? "ready" : "not-ready");
  writer.Key("stateStore");
  writer.Bool(report.state_store);
  writer.Key("fhirServer");
  writer.Bool(report.fhir_server);
  writer.Key("fhirCircuit");
  writer.String(report.fhir_circuit.c_str());
  writer.Key("subscription");
  writer.Bool(report.subscription);
  writer.EndObject();
  return HttpResponse{ready ? 200U : 503U, "application/json", buffer.GetString(), {}};
}

void Readiness::set_fhir_circuit(std::string_view state) {
  for (int i = 0; i < static_cast<int>(std::size(kCircuitStates)); ++i) {
    if (kCircuitStates[i] == state) fhir_circuit_ = i;
  }
}

ReadinessReport Readiness::report(bool state_store_healthy) const {
  return ReadinessReport{state_store_healthy, fhir_reachable_.load(),
                         !subscription_managed_ || subscription_active_.load(),
                         std::string(kCircuitStates[fhir_circuit_.load()])};
}

boost::asio::awaitable<void> probe_fhir_server(boost::asio::any_io_executor executor, FhirProbe probe,
                                               Readiness& readiness, std::chrono::steady_clock::duration interval,
                                               std::string base_url) {
  boost::asio::steady_timer timer(executor);
  while (true) {
    const bool ok = co_await probe();
    if (readiness.set_fhir_reachable(ok)) {
      log(ok ? LogLevel::info : LogLevel::warn, ok ? "fhir.reachable" : "fhir.unreachable", {{"base", base_url}});
    }
    timer.expires_after(interval);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace gg::gateway
