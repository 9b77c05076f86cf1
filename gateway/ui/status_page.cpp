#include "gateway/ui/status_page.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "analytics/date_time.hpp"
#include "fhir/json_out.hpp"
#include "gateway/pipeline/pipeline.hpp"

namespace gg::gateway {
namespace {

using Samples = std::vector<MetricSample>;

std::optional<std::string_view> label(const MetricSample& sample, std::string_view name) {
  for (const auto& [key, value] : sample.labels) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// The sum of a family's series, or of those whose label `key` is `value`.
double total(const Samples& samples, std::string_view name, std::string_view key = {},
             std::string_view value = {}) {
  double sum = 0;
  for (const auto& sample : samples) {
    if (sample.name != name) continue;
    if (!key.empty() && label(sample, key) != value) continue;
    sum += sample.value;
  }
  return sum;
}

// A family's values by one label.
std::map<std::string, double> by_label(const Samples& samples, std::string_view name, std::string_view key) {
  std::map<std::string, double> out;
  for (const auto& sample : samples) {
    if (sample.name != name) continue;
    if (const auto value = label(sample, key)) out[std::string(*value)] += sample.value;
  }
  return out;
}

constexpr std::string_view kRecorded = "gradient_gateway_events_recorded_total";
constexpr std::string_view kDuplicate = "gradient_gateway_events_duplicate_total";
constexpr std::string_view kDone = "gradient_gateway_events_done_total";
constexpr std::string_view kRejected = "gradient_gateway_results_rejected_total";

// What the events did between two samples (a later minus an earlier).
struct EventFigures {
  double received = 0;
  double processed = 0;
  double rejected = 0;
};

EventFigures event_figures(const Samples& later, const Samples& earlier) {
  const auto delta = [&](std::string_view name) { return total(later, name) - total(earlier, name); };
  return {delta(kRecorded) + delta(kDuplicate), delta(kDone), delta(kRejected)};
}

void count(fhir::JsonOut& out, std::string_view name, double value) {
  out.key(name);
  out.number(std::max(0.0, value));
}

}  // namespace

StatusSampler::StatusSampler(const MetricsRegistry& metrics, std::chrono::sys_seconds now,
                             std::chrono::seconds window)
    : metrics_(metrics), window_(window) {
  sample(now);
}

void StatusSampler::sample(std::chrono::sys_seconds now) {
  Sample taken{now, metrics_.samples()};
  const std::lock_guard lock(mutex_);
  samples_.push_back(std::move(taken));
  // The baseline is the newest sample at or before the window's start; older ones are not needed.
  while (samples_.size() > 1 && samples_[1].at <= now - window_) samples_.pop_front();
}

std::string StatusSampler::status_json(StateStore& store, std::chrono::sys_seconds now) const {
  const Samples current = metrics_.samples();
  std::vector<Sample> history;
  {
    const std::lock_guard lock(mutex_);
    history.assign(samples_.begin(), samples_.end());
  }
  // The oldest sample inside the window, or the baseline just before it.
  const Sample* base = &history.front();
  for (const auto& sample : history) {
    if (sample.at <= now - window_) base = &sample;
  }
  const Samples& before = base->values;
  const auto delta = [&](std::string_view name, std::string_view key = {}, std::string_view value = {}) {
    return total(current, name, key, value) - total(before, name, key, value);
  };

  std::string json;
  fhir::JsonOut out(json);
  out.start_object();
  out.string("generated_at", format_instant(now));
  out.key("window_seconds");
  out.integer(window_.count());
  out.string("since", format_instant(std::max(base->at, now - window_)));

  out.start_object("events");
  count(out, "received", delta(kRecorded) + delta(kDuplicate));
  count(out, "recorded", delta(kRecorded));
  count(out, "duplicate", delta(kDuplicate));
  count(out, "processed", delta(kDone));
  count(out, "retried", delta("gradient_gateway_events_retried_total"));
  count(out, "failed", delta("gradient_gateway_events_failed_total"));
  count(out, "dead", delta("gradient_gateway_events_dead_total"));
  count(out, "reconciled", delta(kRecorded, "source", "poll"));
  out.end_object();

  out.start_array("rejected");
  const auto rejected_now = by_label(current, kRejected, "reason");
  const auto rejected_before = by_label(before, kRejected, "reason");
  for (const auto& [reason, value] : rejected_now) {
    const auto it = rejected_before.find(reason);
    const double n = value - (it == rejected_before.end() ? 0.0 : it->second);
    if (n <= 0) continue;
    out.start_object();
    out.string("reason", reason);
    count(out, "count", n);
    out.end_object();
  }
  out.end_array();

  out.start_object("notifications_refused");
  count(out, "malformed", delta("gradient_gateway_notifications_rejected_total"));
  count(out, "unauthorized", delta("gradient_gateway_notifications_unauthorized_total"));
  count(out, "throttled", delta("gradient_gateway_notifications_throttled_total"));
  out.end_object();

  const auto counts = store.counts();
  out.start_object("queue");
  out.key("pending");
  out.integer(counts.pending);
  out.key("oldest_pending_age_seconds");
  const auto oldest = analytics::parse_fhir_date_time(counts.oldest_pending_received_at).instant;
  if (counts.pending > 0 && oldest) {
    out.number(static_cast<double>(std::max<std::int64_t>(0, (now - oldest->utc).count())));
  } else {
    out.raw("null");
  }
  out.key("done");
  out.integer(counts.done);
  out.key("failed");
  out.integer(counts.failed);
  out.key("dead");
  out.integer(counts.dead);
  out.end_object();

  // The FHIR server's latency over the window: the histogram's buckets, count and sum, each as a difference.
  const std::string latency(kFhirRequestSeconds);
  out.start_object("fhir_latency");
  count(out, "count", delta(latency + "_count"));
  count(out, "sum_seconds", delta(latency + "_sum"));
  out.start_array("buckets");
  const auto buckets_now = by_label(current, latency + "_bucket", "le");
  const auto buckets_before = by_label(before, latency + "_bucket", "le");
  std::vector<std::pair<double, std::string>> bounds;
  bounds.reserve(buckets_now.size());
  for (const auto& [le, value] : buckets_now) {
    bounds.emplace_back(le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le), le);
  }
  std::sort(bounds.begin(), bounds.end());
  for (const auto& [bound, le] : bounds) {
    const auto it = buckets_before.find(le);
    out.start_object();
    out.string("le", le);
    count(out, "count", buckets_now.at(le) - (it == buckets_before.end() ? 0.0 : it->second));
    out.end_object();
  }
  out.end_array();
  out.end_object();

  // Each alert subscription as it stands: its deliveries by state and its latest attempt.
  const auto subscriptions = store.alerts().subscriptions();
  const auto summaries = store.alerts().delivery_summaries();
  out.start_array("subscriptions");
  for (const auto& subscription : subscriptions) {
    const auto summary = std::find_if(summaries.begin(), summaries.end(), [&](const DeliverySummary& s) {
      return s.subscription_id == subscription.id;
    });
    const DeliverySummary none{subscription.id, 0, 0, 0, "", 0, ""};
    const DeliverySummary& s = summary != summaries.end() ? *summary : none;
    out.start_object();
    out.string("id", subscription.id);
    out.string("url", subscription.url);
    out.string("state", subscription.state);
    out.boolean("failing", !s.last_error.empty() && s.pending > 0);
    out.key("last_error");
    out.text(s.last_error);
    out.key("last_attempt");
    out.text(s.last_attempt_at);
    out.key("queued");
    out.integer(s.pending);
    out.key("delivered");
    out.integer(s.delivered);
    out.key("dead");
    out.integer(s.dead);
    out.end_object();
  }
  out.end_array();

  // What happened between consecutive samples in the window, and since the last one.
  out.start_array("timeline");
  const Sample* previous = base;
  const auto point = [&](std::chrono::sys_seconds at, const Samples& later) {
    const auto figures = event_figures(later, previous->values);
    out.start_object();
    out.string("at", format_instant(at));
    count(out, "received", figures.received);
    count(out, "processed", figures.processed);
    count(out, "rejected", figures.rejected);
    out.end_object();
  };
  for (const auto& sample : history) {
    if (sample.at <= base->at) continue;
    point(sample.at, sample.values);
    previous = &sample;
  }
  point(now, current);
  out.end_array();
  out.end_object();
  return json;
}

}  // namespace gg::gateway
