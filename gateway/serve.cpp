#include "gateway/serve.hpp"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <thread>

#include "fhir/rest_client.hpp"
#include "gateway/http/admin_api.hpp"
#include "gateway/http/http_server.hpp"
#include "gateway/ingress/notification_endpoint.hpp"
#include "gateway/ingress/subscription_manager.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

constexpr int kThreads = 2;
constexpr auto kProbeInterval = std::chrono::seconds(5);
constexpr auto kSubscriptionRetry = std::chrono::seconds(15);

struct Readiness {
  std::atomic<bool> fhir_reachable{false};
  std::atomic<bool> subscription_active{false};
};

std::string query_parameter(const std::string& target, const std::string& name) {
  auto query = target.find('?');
  if (query == std::string::npos) return {};
  std::string rest = target.substr(query + 1);
  std::size_t start = 0;
  while (start <= rest.size()) {
    auto end = rest.find('&', start);
    if (end == std::string::npos) end = rest.size();
    auto pair = rest.substr(start, end - start);
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    start = end + 1;
  }
  return {};
}

}  // namespace

int run_service(const Config& config, const LoadedKnowledge& knowledge) {
  auto opened = StateStore::open(config.state.path);
  if (!opened) {
    log(LogLevel::error, "state.open-failed", {{"path", config.state.path}, {"error", opened.error()}});
    return 1;
  }
  const std::unique_ptr<StateStore> store = std::move(*opened);

  boost::asio::io_context ioc(kThreads);
  MetricsRegistry metrics;
  Readiness readiness;

  const auto client_options = rest_client_options(config.fhir, std::string("gradient-gateway/") + GG_VERSION);
  fhir::RestClient client(ioc.get_executor(), client_options);
  const SystemClock clock;

  Pipeline pipeline(ioc.get_executor(), *store, client, knowledge, metrics, config.pipeline,
                    config.analysis.lookback_days, clock);

  NotificationEndpoint notifications(
      NotificationEndpointOptions{config.server.notification_path, config.subscription.header_name,
                                  config.subscription.secret},
      *store, metrics, knowledge.decode_options(), [&clock] { return format_instant(clock.now()); },
      [&pipeline](bool reconcile) { pipeline.wake(reconcile); });

  auto& requests = metrics.counter("gradient_gateway_http_requests_total", "HTTP requests answered");
  HttpHandler handler = [&](const HttpRequest& request) -> HttpResponse {
    requests.inc();
    const std::string path = request.target.substr(0, request.target.find('?'));
    if (notifications.matches(request)) return notifications.handle(request);
    if (request.method != "GET") return operation_outcome_response(405, "not-supported", "only GET here");
    if (path == "/healthz") return HttpResponse{200, "application/json", R"({"status":"up"})", {}};
    if (path == "/readyz") {
      const bool store_ok = store->healthy();
      const bool fhir_ok = readiness.fhir_reachable.load();
      const bool subscription_ok = !config.subscription.manage || readiness.subscription_active.load();
      const bool ready = store_ok && fhir_ok && subscription_ok;
      std::string body = std::string(R"({"status":")") + (ready ? "ready" : "not-ready") + R"(","stateStore":)" +
                         (store_ok ? "true" : "false") + R"(,"fhirServer":)" + (fhir_ok ? "true" : "false") +
                         R"(,"subscription":)" + (subscription_ok ? "true" : "false") + "}";
      return HttpResponse{ready ? 200u : 503u, "application/json", body, {}};
    }
    if (path == "/metrics") {
      auto counts = store->counts();
      metrics.gauge("gradient_gateway_events", "Intake events by state", {{"state", "pending"}})
          .set(static_cast<double>(counts.pending));
      metrics.gauge("gradient_gateway_events", "Intake events by state", {{"state", "done"}})
          .set(static_cast<double>(counts.done));
      metrics.gauge("gradient_gateway_events", "Intake events by state", {{"state", "failed"}})
          .set(static_cast<double>(counts.failed));
      metrics.gauge("gradient_gateway_events", "Intake events by state", {{"state", "dead"}})
          .set(static_cast<double>(counts.dead));
      return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics.render(), {}};
    }
    if (path == "/admin/events") {
      return HttpResponse{
          200,
          "application/json",
          events_json(*store, query_parameter(request.target, "type"), query_parameter(request.target, "id")),
          {}};
    }
    if (path == "/admin/rejections") {
      std::size_t limit = 100;
      const std::string limit_text = query_parameter(request.target, "limit");
      if (!limit_text.empty()) {
        const auto parsed = std::from_chars(limit_text.data(), limit_text.data() + limit_text.size(), limit);
        if (parsed.ec != std::errc() || parsed.ptr != limit_text.data() + limit_text.size() || limit == 0 ||
            limit > 1000) {
          return operation_outcome_response(400, "value", "limit must be a whole number from 1 to 1000");
        }
      }
      return HttpResponse{200,
                          "application/fhir+json",
                          rejections_bundle(*store, query_parameter(request.target, "observation"), limit),
                          {}};
    }
    return operation_outcome_response(404, "not-found", "no such endpoint: " + path);
  };

  HttpServerOptions server_options;
  server_options.address = config.server.listen_address;
  server_options.port = static_cast<unsigned short>(config.server.port);
  server_options.body_limit = config.server.body_limit_bytes;
  HttpServer server(ioc, server_options, handler);
  if (auto ec = server.start()) {
    log(LogLevel::error, "server.start-failed",
        {{"address", config.server.listen_address},
         {"port", std::to_string(config.server.port)},
         {"error", ec.message()}});
    return 1;
  }
  log(LogLevel::info, "server.listening",
      {{"address", config.server.listen_address},
       {"port", std::to_string(server.port())},
       {"fhir", config.fhir.base_url}});

  // FHIR server reachability, for /readyz.
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        boost::asio::steady_timer timer(ioc);
        while (true) {
          auto probe = co_await client.request("GET", "metadata");
          const bool ok = probe && probe->status == 200;
          if (ok != readiness.fhir_reachable.exchange(ok)) {
            log(ok ? LogLevel::info : LogLevel::warn, ok ? "fhir.reachable" : "fhir.unreachable",
                {{"base", config.fhir.base_url}});
          }
          timer.expires_after(kProbeInterval);
          co_await timer.async_wait(boost::asio::use_awaitable);
        }
      },
      boost::asio::detached);

  if (config.subscription.manage) {
    SubscriptionSpec spec;
    spec.criteria = subscription_criteria(knowledge.subscription_codes());
    spec.endpoint = config.server.public_base_url + config.server.notification_path;
    spec.header = config.subscription.header_name + ": " + config.subscription.secret;
    boost::asio::co_spawn(
        ioc,
        [&, spec]() -> boost::asio::awaitable<void> {
          boost::asio::steady_timer timer(ioc);
          while (true) {
            auto result =
                co_await ensure_subscription(client, *store, spec, config.subscription.activation_timeout);
            if (result) {
              readiness.subscription_active = true;
              pipeline.wake(true);  // catch up on what changed before the Subscription was active
              co_return;
            }
            log(LogLevel::error, "subscription.not-active", {{"error", result.error()}});
            timer.expires_after(kSubscriptionRetry);
            co_await timer.async_wait(boost::asio::use_awaitable);
          }
        },
        boost::asio::detached);
  }

  boost::asio::co_spawn(ioc, pipeline.run(), boost::asio::detached);

  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log(LogLevel::info, "service.stopping", {{"signal", std::to_string(signal)}});
    server.stop();
    pipeline.stop();
    ioc.stop();
  });

  std::vector<std::thread> threads;
  for (int i = 1; i < kThreads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& thread : threads) thread.join();
  log(LogLevel::info, "service.stopped");
  return 0;
}

}  // namespace gg::gateway
