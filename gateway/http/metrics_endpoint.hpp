// GET /metrics: the registry in Prometheus's text format 0.0.4, after refreshing the gauges that are read from the
// state store rather than counted as things happen (gradient_gateway_events{state=...}, docs/operations.md).
#pragma once

#include "gateway/http/message.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

class MetricsEndpoint {
 public:
  // Both must outlive the endpoint.
  MetricsEndpoint(StateStore& store, MetricsRegistry& metrics);

  HttpResponse handle();

 private:
  StateStore& store_;
  MetricsRegistry& metrics_;
  Gauge& pending_;
  Gauge& done_;
  Gauge& failed_;
  Gauge& dead_;
};

}  // namespace gg::gateway
