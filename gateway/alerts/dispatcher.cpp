#include "gateway/alerts/dispatcher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>
#include <vector>

#include "gateway/alerts/retry_policy.hpp"
#include "gateway/alerts/webhook_signature.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/trace_context.hpp"

namespace gg::gateway {
namespace {

constexpr auto kTick = std::chrono::seconds(1);

// The signatures of one attempt: the current secret's, and the previous one's while the rotation overlap lasts.
std::string signatures(const AlertSubscription& subscription, const std::string& webhook_id,
                       std::int64_t timestamp, const std::string& body, const std::string& now_iso) {
  std::vector<std::string> signed_with;
  for (const auto* secret : {&subscription.secret, &subscription.previous_secret}) {
    if (secret->empty()) continue;
    if (secret == &subscription.previous_secret && now_iso >= subscription.previous_until) continue;
    auto key = secret_key(*secret);
    if (!key) continue;  // the API stores only secrets it made
    signed_with.push_back(sign(*key, webhook_id, timestamp, body));
  }
  return signature_header(signed_with);
}

std::chrono::sys_seconds parse_stored(const std::string& iso, std::chrono::sys_seconds fallback) {
  std::tm tm{};
  if (iso.size() < 19 || strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return fallback;
  return std::chrono::sys_seconds(std::chrono::seconds(timegm(&tm)));
}

}  // namespace

AlertDispatcher::AlertDispatcher(const boost::asio::any_io_executor& executor, StateStore& store,
                                 AlertsConfig config, const FhirConfig& fhir, const Clock& clock,
                                 MetricsRegistry& metrics)
    : strand_(boost::asio::make_strand(executor)),
      store_(store),
      config_(std::move(config)),
      fhir_(fhir),
      clock_(clock),
      metrics_(metrics),
      wakeup_(strand_),
      jitter_(std::random_device{}()),
      delivered_(
          metrics.counter("gradient_gateway_alerts_delivered_total", "Alert deliveries a receiver accepted")),
      retried_(metrics.counter("gradient_gateway_alerts_retried_total",
                               "Alert delivery attempts that failed and were rescheduled")),
      dead_(
          metrics.counter("gradient_gateway_alerts_dead_total",
                          "Alert deliveries given up (retry budget spent, a final 4xx, or 410): replay re-sends")),
      failing_started_(metrics.counter("gradient_gateway_alert_subscriptions_failing_total",
                                       "Times an alert subscription started failing (logged once each)")),
      latency_(metrics.histogram("gradient_gateway_alert_delivery_seconds",
                                 "Delivery attempts by duration, connect to last byte (failures included)",
                                 {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})),
      failing_now_(metrics.gauge("gradient_gateway_alert_subscriptions_failing",
                                 "Alert subscriptions whose last delivery attempt failed")) {}

void AlertDispatcher::wake() {
  boost::asio::post(strand_, [this] { wakeup_.cancel(); });
}

void AlertDispatcher::stop() {
  stopped_ = true;
  boost::asio::post(strand_, [this] { wakeup_.cancel(); });
}

boost::asio::awaitable<void> AlertDispatcher::run() {
  co_await boost::asio::dispatch(strand_, boost::asio::use_awaitable);
  while (!stopped_) {
    // Queue depths double as the check for work: one query for every subscription.
    for (const auto& [id, depth] : store_.alerts().queue_depths()) {
      metrics_
          .gauge("gradient_gateway_alert_queue_depth", "Alert deliveries waiting, per subscription",
                 {{"subscription", id}})
          .set(static_cast<double>(depth));
      if (depth == 0 || working_.contains(id)) continue;
      working_.insert(id);
      boost::asio::co_spawn(strand_, work(id), boost::asio::detached);
    }
    wakeup_.expires_after(kTick);
    boost::system::error_code ignored;
    co_await wakeup_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
}

boost::asio::awaitable<void> AlertDispatcher::work(std::string subscription_id) {
  boost::asio::steady_timer timer(strand_);
  while (!stopped_) {
    std::chrono::milliseconds wait{0};
    const bool go_on = co_await attempt_head(subscription_id, wait);
    if (!go_on) break;
    if (wait.count() > 0) {
      timer.expires_after(std::min<std::chrono::milliseconds>(wait, kTick));
      boost::system::error_code ignored;
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
  }
  working_.erase(subscription_id);
}

boost::asio::awaitable<bool> AlertDispatcher::attempt_head(const std::string& subscription_id,
                                                           std::chrono::milliseconds& wait) {
  const auto subscription = store_.alerts().find(subscription_id);
  if (!subscription || subscription->state != "active") co_return false;
  const auto head = store_.alerts().head(subscription_id);
  if (!head) co_return false;
  const auto now = clock_.now();
  const std::string now_iso = format_instant(now);
  if (head->next_attempt_at > now_iso) {
    wait = std::chrono::duration_cast<std::chrono::milliseconds>(parse_stored(head->next_attempt_at, now) - now);
    if (wait.count() <= 0) wait = std::chrono::milliseconds(100);
    co_return true;
  }

  const auto& alert = head->alert;
  const std::int64_t timestamp = now.time_since_epoch().count();
  fhir::RestClient::Headers headers{
      {"Content-Type", "application/json"},
      {"Accept", "*/*"},
      {"webhook-id", alert.webhook_id},
      {"webhook-timestamp", std::to_string(timestamp)},
      {"webhook-signature", signatures(*subscription, alert.webhook_id, timestamp, alert.body, now_iso)},
      // The trace of the processing that raised it, a span per delivery attempt (alerts from before traces were
      // kept get a trace of their own).
      {"traceparent", trace_or_start(alert.traceparent).child().traceparent()}};
  std::string error;
  unsigned status = 0;
  std::string retry_after;
  const auto started = std::chrono::steady_clock::now();
  fhir::RestClient* client = client_for(*subscription, error);
  if (client != nullptr) {
    std::string body = alert.body;
    auto answer = co_await client->request("POST", "", std::move(body), std::move(headers));
    if (answer.has_value()) {
      status = answer->status;
      if (auto found = answer->headers.find("retry-after"); found != answer->headers.end()) {
        retry_after = found->second;
      }
      if (status < 200 || status > 299) error = "HTTP " + std::to_string(status);
    } else {
      error = answer.error().message;
    }
  }
  const auto latency =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  latency_.observe(std::chrono::duration<double>(latency).count());

  const int attempt_number = static_cast<int>(head->attempts) + 1;
  const double random_unit = std::uniform_real_distribution<double>(0.0, 1.0)(jitter_);
  const auto decision = decide_after_attempt(config_.retry_schedule,
                                             AttemptResult{attempt_number, static_cast<int>(status), retry_after},
                                             std::chrono::system_clock::time_point(now), random_unit);
  gateway::DeliveryAttempt logged{
      subscription_id, alert.seq, alert.webhook_id, now_iso, static_cast<std::int64_t>(status),
      latency.count(), error};
  switch (decision.action) {
    case DeliveryAction::delivered:
      (void)store_.alerts().settle(logged, DeliveryNext::delivered, "");
      delivered_.inc();
      note_failing(subscription_id, false, "");
      break;
    case DeliveryAction::retry_at_delay: {
      const auto next = now + std::chrono::ceil<std::chrono::seconds>(decision.delay);
      (void)store_.alerts().settle(logged, DeliveryNext::retry, format_instant(next));
      retried_.inc();
      note_failing(subscription_id, true, error);
      break;
    }
    case DeliveryAction::dead:
      (void)store_.alerts().settle(logged, DeliveryNext::dead, "");
      dead_.inc();
      note_failing(subscription_id, true, error);
      log(LogLevel::error, "alert.dead-lettered",
          {{"subscription", subscription_id},
           {"webhook-id", alert.webhook_id},
           {"attempts", std::to_string(attempt_number)},
           {"error", error}});
      break;
    case DeliveryAction::disable: {
      (void)store_.alerts().settle(logged, DeliveryNext::dead, "");
      dead_.inc();
      auto disabled = *subscription;
      disabled.state = "disabled";
      disabled.disabled_reason = "the receiver answered 410 Gone";
      disabled.updated_at = now_iso;
      (void)store_.alerts().update(disabled);
      log(LogLevel::warn, "alert-subscription.disabled", {{"subscription", subscription_id}, {"reason", "410"}});
      co_return false;
    }
  }
  co_return true;
}

fhir::RestClient* AlertDispatcher::client_for(const AlertSubscription& subscription, std::string& error) {
  auto& slot = clients_[subscription.id];
  if (slot.second && slot.first == subscription.url) return slot.second.get();
  fhir::RestClientOptions options;
  options.base_url = subscription.url;
  options.connect_timeout = std::min<std::chrono::milliseconds>(fhir_.connect_timeout, config_.request_timeout);
  options.request_timeout = config_.request_timeout;
  options.verify_peer = fhir_.verify_tls;
  options.ca_file = fhir_.ca_file;
  options.max_connections = 1;
  options.max_response_bytes = std::size_t{64} * 1024;
  options.user_agent = std::string("gradient-gateway/") + GG_VERSION;
  try {
    slot = {subscription.url, std::make_unique<fhir::RestClient>(strand_, options)};
  } catch (const std::exception& e) {
    error = std::string("cannot call the endpoint: ") + e.what();
    slot = {};
    return nullptr;
  }
  return slot.second.get();
}

void AlertDispatcher::note_failing(const std::string& subscription_id, bool failing, const std::string& error) {
  auto entry = failing_.try_emplace(subscription_id, false).first;
  if (entry->second == failing) return;
  entry->second = failing;
  if (failing) {
    failing_started_.inc();
    failing_now_.inc();
    log(LogLevel::warn, "alert-subscription.failing", {{"subscription", subscription_id}, {"error", error}});
  } else {
    failing_now_.dec();
    log(LogLevel::info, "alert-subscription.recovered", {{"subscription", subscription_id}});
  }
}

}  // namespace gg::gateway
