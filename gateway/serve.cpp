#include "gateway/serve.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <optional>
#include <thread>

#include "fhir/rest_client.hpp"
#include "gateway/alerts/alert_stream.hpp"
#include "gateway/alerts/alerts_api.hpp"
#include "gateway/alerts/dispatcher.hpp"
#include "gateway/cds/cds_endpoint.hpp"
#include "gateway/http/http_server.hpp"
#include "gateway/http/probes.hpp"
#include "gateway/http/router.hpp"
#include "gateway/http/tls_context.hpp"
#include "gateway/ingress/notification_endpoint.hpp"
#include "gateway/ingress/reconciler.hpp"
#include "gateway/ingress/subscription_manager.hpp"
#include "gateway/ingress/topic_subscription.hpp"
#include "gateway/ingress/websocket_listener.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "gateway/store/retention.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/ui/status_page.hpp"
#include "gateway/ui/ui_service.hpp"

namespace gg::gateway {
namespace {

constexpr int kThreads = 2;
constexpr auto kProbeInterval = std::chrono::seconds(5);
constexpr auto kSubscriptionRetry = std::chrono::seconds(15);

// The FHIR reachability probe: the capabilities interaction, GET [base]/metadata (R4 RESTful API), answers 200.
boost::asio::awaitable<bool> fhir_server_answers(fhir::RestClient& client) {
  const auto metadata = co_await client.request("GET", "metadata");
  co_return metadata && metadata->status == 200;
}

// The listener's TLS files as http/ takes them.
TlsFiles tls_files(const ServerConfig& server) {
  TlsFiles files{server.tls_cert_file, server.tls_key_file, server.tls_client_ca_file};
  switch (server.tls_client_certificates) {
    case ClientCertificateMode::none:
      files.client_certificates = ClientCertificates::none;
      break;
    case ClientCertificateMode::notifications:
      files.client_certificates = ClientCertificates::notifications;
      break;
    case ClientCertificateMode::all:
      files.client_certificates = ClientCertificates::all;
      break;
  }
  return files;
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
  // websocket mode: /readyz waits for a bound connection, whether the gateway manages the Subscription or not.
  Readiness readiness(config.subscription.manage || config.subscription.mode == SubscriptionMode::websocket);

  const auto client_options = rest_client_options(config.fhir, std::string("gradient-gateway/") + GG_VERSION);
  fhir::RestClient client(ioc.get_executor(), client_options);
  const SystemClock clock;

  Pipeline pipeline(ioc.get_executor(), *store, client, knowledge, metrics, config.pipeline,
                    config.analysis.lookback_days, clock);
  // The polling transport: the pipeline runs it before it claims (at start, on request, every reconcile_interval).
  Reconciler reconciler(*store, client, knowledge, config.pipeline.reconcile_overlap, clock, metrics);
  pipeline.set_catch_up([&reconciler] { return reconciler.run_once(); });
  // The circuit breaker towards the FHIR server: its probe is the capabilities read; its state is in /readyz.
  pipeline.set_probe([&client] { return fhir_server_answers(client); });
  pipeline.set_on_circuit(
      [&readiness](CircuitBreaker::State state) { readiness.set_fhir_circuit(to_string(state)); });

  // Alerts: queued by the pipeline with its events, delivered per subscription, managed under /alerts.
  AlertDispatcher dispatcher(ioc.get_executor(), *store, config.alerts, config.fhir, clock, metrics);
  AlertStreamHub alert_stream(ioc.get_executor(), *store, metrics);
  pipeline.set_on_alerts([&dispatcher, &alert_stream] {
    dispatcher.wake();
    alert_stream.notify();
  });
  AlertsApiOptions alerts_options{config.alerts.allow_insecure_loopback, config.alerts.rotation_overlap, {}};
  for (const auto& code : analytics::gradient_codes(knowledge.knowledge.rules))
    alerts_options.known_codes.insert(code);
  AlertsApi alerts_api(std::move(alerts_options), *store, clock, [&dispatcher] { dispatcher.wake(); });

  NotificationEndpointOptions notification_options{config.server.notification_path,
                                                   config.subscription.header_name, config.subscription.secret,
                                                   config.pipeline.max_pending};
  notification_options.trust_authenticated_payload = config.subscription.trust_authenticated_payload;
  NotificationEndpoint notifications(
      notification_options, *store, metrics, knowledge.decode_options(),
      [&clock] { return format_instant(clock.now()); }, [&pipeline](bool reconcile) { pipeline.wake(reconcile); });

  // CDS Hooks (cds/): its own FHIR client and thread for the searches; off unless cds.enabled.
  std::unique_ptr<CdsHooksService> cds;
  if (config.cds.enabled) {
    auto started = CdsHooksService::start(config, clock);
    if (!started) {
      log(LogLevel::error, "cds.start-failed", {{"error", started.error()}});
      return 1;
    }
    cds = std::move(*started);
  }
  // The pages (ui/): the operations page's copy of the metrics, and the patient page's own FHIR client and thread.
  StatusSampler status_sampler(metrics, clock.now());
  std::unique_ptr<SideReader> ui_reader;
  std::unique_ptr<UiService> ui;
  if (config.ui.enabled) {
    auto started = SideReader::start(config.fhir, "ui", config.ui.fhir_timeout);
    if (!started) {
      log(LogLevel::error, "ui.start-failed", {{"error", started.error()}});
      return 1;
    }
    ui_reader = std::move(*started);
    ui = std::make_unique<UiService>(config, knowledge, *store, status_sampler, *ui_reader, clock);
  }
  std::vector<ExtraRoute> routes;
  if (ui) routes.push_back(ExtraRoute{"/ui", ui->handler()});
  routes.push_back(ExtraRoute{
      "/alerts/stream", [&alert_stream](const HttpRequest& request) { return alert_stream.handle(request); }});
  routes.push_back(ExtraRoute{"/alerts/subscriptions",
                              [&alerts_api](const HttpRequest& request) { return alerts_api.handle(request); }});
  if (cds) routes.push_back(ExtraRoute{"/cds-services", cds->handler()});

  // ingress/ includes http/, not the other way: the router reaches the notification endpoint through callables.
  RouterTargets targets{[&notifications](const HttpRequest& request) { return notifications.matches(request); },
                        [&notifications](const HttpRequest& request) { return notifications.handle(request); },
                        *store,
                        metrics,
                        readiness,
                        std::move(routes),
                        config.admin.token,
                        &clock};
  targets.notification_refuse = [&notifications](const HttpRequest& request) {
    return notifications.refuse_unauthorized(request);
  };
  switch (config.server.metrics_access) {
    case MetricsAccess::token:
      targets.metrics_route = MetricsRoute::token;
      break;
    case MetricsAccess::open:
      targets.metrics_route = MetricsRoute::open;
      break;
    case MetricsAccess::listener:
      targets.metrics_route = MetricsRoute::elsewhere;
      break;
  }
  targets.auth_limit.limit = config.server.auth_failure_limit;
  targets.auth_limit.window = config.server.auth_failure_window;
  targets.notification_client_certificate =
      config.server.tls_client_certificates == ClientCertificateMode::notifications;
  Router router(std::move(targets));

  HttpServerOptions server_options;
  server_options.address = config.server.listen_address;
  server_options.port = static_cast<unsigned short>(config.server.port);
  server_options.body_limit = config.server.body_limit_bytes;
  server_options.max_connections = config.server.max_connections;
  server_options.read_timeout = config.server.read_timeout;
  server_options.write_timeout = config.server.write_timeout;
  server_options.handshake_timeout = config.server.handshake_timeout;
  if (config.server.tls()) {
    auto context = make_server_tls_context(tls_files(config.server));
    if (!context) {
      log(LogLevel::error, "server.tls-failed", {{"error", context.error()}});
      return 1;
    }
    server_options.tls = std::move(*context);
  } else {
    log(LogLevel::warn, "server.plain-http",
        {{"reason", "server.plain_http is true: requests, secrets and tokens travel unencrypted"}});
  }
  // Credentials are checked on each request's header, before its body is read (issue 13).
  HttpServer server(ioc, server_options, router.handler(), router.header_check());
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
       {"tls", config.server.tls() ? "true" : "false"},
       {"fhir", config.fhir.base_url}});

  // server.metrics_access listener: /metrics (with the probes) on a plain-HTTP listener of its own, without a
  // credential, for a scraper on a private network; the main listener answers /metrics 404.
  MetricsEndpoint scrape_endpoint(*store, metrics);
  std::optional<HttpServer> metrics_server;
  if (config.server.metrics_access == MetricsAccess::listener) {
    HttpServerOptions metrics_options;
    metrics_options.address = config.server.metrics_address;
    metrics_options.port = static_cast<unsigned short>(config.server.metrics_port);
    metrics_options.body_limit = 4096;  // it reads no bodies
    metrics_options.max_connections = 16;
    metrics_options.read_timeout = config.server.read_timeout;
    metrics_options.write_timeout = config.server.write_timeout;
    metrics_server.emplace(ioc, metrics_options, metrics_listener_handler(scrape_endpoint, readiness, *store));
    if (auto ec = metrics_server->start()) {
      log(LogLevel::error, "server.start-failed",
          {{"address", config.server.metrics_address},
           {"port", std::to_string(config.server.metrics_port)},
           {"error", ec.message()}});
      return 1;
    }
    log(LogLevel::info, "server.metrics-listening",
        {{"address", config.server.metrics_address}, {"port", std::to_string(metrics_server->port())}});
  }

  // SIGHUP rereads the listener's certificate, key and client CA: new connections get them, open ones keep what
  // they began with. A file that does not load leaves the running certificate in place.
  boost::asio::signal_set reload_signals(ioc, SIGHUP);
  std::function<void()> await_reload = [&] {
    reload_signals.async_wait([&](const boost::system::error_code& ec, int /*signal*/) {
      if (ec) return;
      if (!config.server.tls()) {
        log(LogLevel::info, "server.reload-skipped", {{"reason", "no TLS certificate to reload"}});
      } else if (auto context = make_server_tls_context(tls_files(config.server)); !context) {
        log(LogLevel::error, "server.tls-reload-failed", {{"error", context.error()}});
      } else {
        server.set_tls_context(std::move(*context));
        log(LogLevel::info, "server.tls-reloaded", {{"cert_file", config.server.tls_cert_file}});
      }
      await_reload();
    });
  };
  await_reload();

  // FHIR server reachability, for /readyz.
  boost::asio::co_spawn(ioc,
                        probe_fhir_server(
                            ioc.get_executor(), [&client] { return fhir_server_answers(client); }, readiness,
                            kProbeInterval, config.fhir.base_url),
                        boost::asio::detached);

  // The Subscription of subscription.mode, kept on the server: made active, verified every verify_interval_s and
  // repaired when it went missing, changed or errored (issue 11, item 5). Active again, a catch-up search finds
  // what changed meanwhile. The websocket listener keeps its own, since it binds each connection to it.
  const std::string criteria = subscription_criteria(knowledge.subscription_codes());
  const std::string endpoint = config.server.public_base_url + config.server.notification_path;
  const std::string header = config.subscription.header_name + ": " + config.subscription.secret;
  const auto activation = config.subscription.activation_timeout;
  std::optional<SubscriptionKeeper> keeper;
  if (config.subscription.mode == SubscriptionMode::rest_hook && config.subscription.manage) {
    keeper = rest_hook_keeper(client, *store, SubscriptionSpec{criteria, endpoint, header}, activation);
  } else if (config.subscription.mode == SubscriptionMode::topic && config.subscription.manage) {
    keeper =
        topic_keeper(client, *store,
                     TopicSubscriptionSpec{std::string(kHormoneTopicUrl), criteria, endpoint, header}, activation);
  } else if (config.subscription.mode == SubscriptionMode::websocket) {
    WebsocketSubscriptionSpec spec{criteria};
    spec.create = config.subscription.manage;
    keeper = websocket_keeper(client, *store, spec, activation);
  }
  if (keeper && config.subscription.mode != SubscriptionMode::websocket) {
    boost::asio::co_spawn(
        ioc,
        keep_subscription(*keeper, KeepOptions{config.subscription.verify_interval, kSubscriptionRetry},
                          [&readiness, &pipeline](bool active) {
                            readiness.set_subscription_active(active);
                            if (active) pipeline.wake(true);
                          }),
        boost::asio::detached);
  }

  // The WebSocket transport: the gateway connects out, binds its websocket Subscription, and each ping (and each
  // new bind) wakes the catch-up search, which reads what changed.
  std::unique_ptr<WebsocketListener> websocket;
  if (config.subscription.mode == SubscriptionMode::websocket) {
    WebsocketListener::Callbacks callbacks;
    callbacks.ensure_subscription = [&keeper] { return keeper->ensure(); };
    callbacks.verify_subscription = [&keeper] { return keeper->verify(); };
    callbacks.on_bound = [&readiness](bool bound) { readiness.set_subscription_active(bound); };
    callbacks.on_change = [&pipeline] { pipeline.wake(true); };
    websocket = std::make_unique<WebsocketListener>(
        ioc.get_executor(), websocket_listener_options(config, client_options.user_agent, &client),
        std::move(callbacks), metrics);
    websocket->start();
  }

  boost::asio::co_spawn(pipeline.executor(), pipeline.run(), boost::asio::detached);
  boost::asio::co_spawn(ioc, dispatcher.run(), boost::asio::detached);

  // Retention (state.retention_days): at start, then every StateRetention::kInterval.
  StateRetention retention(*store, config.state.retention, clock, metrics);
  if (retention.enabled()) {
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
          boost::asio::steady_timer timer(ioc);
          while (true) {
            (void)retention.run_once();
            timer.expires_after(StateRetention::kInterval);
            co_await timer.async_wait(boost::asio::use_awaitable);
          }
        },
        boost::asio::detached);
  }

  // The operations page's window: a copy of the metrics every ui.status_sample_interval_s.
  if (ui) {
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
          boost::asio::steady_timer timer(ioc);
          while (true) {
            timer.expires_after(config.ui.status_sample_interval);
            co_await timer.async_wait(boost::asio::use_awaitable);
            status_sampler.sample(clock.now());
          }
        },
        boost::asio::detached);
  }

  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log(LogLevel::info, "service.stopping", {{"signal", std::to_string(signal)}});
    reload_signals.cancel();
    server.stop();
    if (metrics_server) metrics_server->stop();
    pipeline.stop();
    dispatcher.stop();
    if (websocket) websocket->stop();
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
