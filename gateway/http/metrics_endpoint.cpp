#include "gateway/http/metrics_endpoint.hpp"

namespace gg::gateway {
namespace {

Gauge& events_gauge(MetricsRegistry& metrics, const char* state) {
  return metrics.gauge("gradient_gateway_events", "Intake events by state", {{"state", state}});
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(StateStore& store, MetricsRegistry& metrics)
    : store_(store),
      metrics_(metrics),
      pending_(events_gauge(metrics, "pending")),
      done_(events_gauge(metrics, "done")),
      failed_(events_gauge(metrics, "failed")),
      dead_(events_gauge(metrics, "dead")) {}

HttpResponse MetricsEndpoint::handle() {
  const auto counts = store_.counts();
  pending_.set(static_cast<double>(counts.pending));
  done_.set(static_cast<double>(counts.done));
  failed_.set(static_cast<double>(counts.failed));
  dead_.set(static_cast<double>(counts.dead));
  return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render(), {}};
}

}  // namespace gg::gateway
