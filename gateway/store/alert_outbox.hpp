// The alert outbox (issue 10): the alert subscriptions integration teams made, every alert the gateway raised
// (its row id is the durable sequence number of GET /alerts/stream), one delivery queue per subscription, and
// every delivery attempt. Alerts enter with the events they came from, in one transaction (StateStore::complete):
// a crash between analysis and delivery loses none and queues none twice.
//
// Thread-safe through the shared connection's mutex. Alert bodies name patients: they are stored, never logged;
// secrets are stored (they must sign), never logged or listed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/store/part.hpp"

namespace gg::gateway {

namespace store {
struct AlertOutboxStatements;
}

struct AlertSubscription {
  std::string id;
  std::string url;
  std::string min_level;           // "low" | "moderate" | "high"
  std::vector<std::string> types;  // alert types; empty: every type
  std::vector<std::string> codes;  // gradient codes; empty: every code
  std::string description;
  std::string secret;            // "whsec_..."
  std::string previous_secret;   // after a rotation: still signs until previous_until
  std::string previous_until;    // ISO 8601 UTC; empty without a rotation
  std::string state = "active";  // "active" | "disabled"
  std::string disabled_reason;
  std::string created_at;
  std::string updated_at;
};

// An alert as the pipeline raises it.
struct NewAlert {
  std::string key;          // what makes it the same alert: one row per key, ever (a re-analysis adds none)
  std::string webhook_id;   // Standard Webhooks webhook-id, derived from key
  std::string type;         // "gradient.finding" | "gradient.change" | "gradient.retracted"
  std::string patient;      // "Patient/7"
  std::string code;         // the gradient code
  std::string level;        // "low" | "moderate" | "high", or "" (a change without a graded value)
  std::string observation;  // the derived Observation as the server assigned it ("Observation/12")
  std::string created_at;   // ISO 8601 UTC
  std::string body;         // the JSON body, exactly as delivered and signed
  std::string traceparent;  // W3C traceparent of the processing that raised it; each delivery sends a child
};

struct StoredAlert : NewAlert {
  std::int64_t seq = 0;
};

struct AlertDelivery {
  std::string subscription_id;
  std::string state;  // "pending" | "delivered" | "dead"
  std::int64_t attempts = 0;
  std::string next_attempt_at;
  std::string last_error;
  StoredAlert alert;
};

struct DeliveryAttempt {
  std::string subscription_id;
  std::int64_t alert_seq = 0;
  std::string webhook_id;
  std::string attempted_at;      // ISO 8601 UTC
  std::int64_t http_status = 0;  // 0: no HTTP answer (connect failure, timeout)
  std::int64_t latency_ms = 0;
  std::string error;  // empty when delivered
};

// How a subscription's deliveries stand (the operations page): its deliveries by state and its latest attempt.
struct DeliverySummary {
  std::string subscription_id;
  std::int64_t pending = 0;
  std::int64_t delivered = 0;
  std::int64_t dead = 0;
  std::string last_attempt_at;  // ISO 8601 UTC; empty before the first attempt
  std::int64_t last_http_status = 0;
  std::string last_error;  // the latest attempt's error; empty when it delivered
};

// The items of a comma-separated list, empty ones dropped: filters as the outbox stores them and as the stream's
// query parameters give them.
std::vector<std::string> split_list(const std::string& text);

// What an attempt leads to for its delivery.
enum class DeliveryNext { delivered, retry, dead };

class AlertOutbox : public store::Part<store::AlertOutboxStatements> {
 public:
  using Part::Part;

  bool create(const AlertSubscription& subscription);
  std::vector<AlertSubscription> subscriptions();
  std::optional<AlertSubscription> find(const std::string& id);
  // Replaces the editable fields (url, min_level, types, codes, description, state, disabled_reason, secrets,
  // updated_at) of an existing subscription; false when it does not exist.
  bool update(const AlertSubscription& subscription);
  // Removes the subscription with its queue and its attempts; false when it did not exist.
  bool remove(const std::string& id);

  // For a caller that holds the connection's mutex inside a transaction (StateStore::complete): stores the alerts
  // not stored before and queues each for every active subscription whose filters it passes (min_level applies
  // to alerts with a level). Returns how many alerts were new, or nullopt when a statement failed.
  std::optional<std::size_t> queue_locked(const std::vector<NewAlert>& alerts, const std::string& now_iso);

  // The head of a subscription's queue: its oldest pending delivery (per-subscription FIFO keeps each patient's
  // order across retries), due or not.
  std::optional<AlertDelivery> head(const std::string& subscription_id);
  // Records the attempt and moves its delivery on, in one transaction. next_attempt_at only for retry.
  bool settle(const DeliveryAttempt& attempt, DeliveryNext next, const std::string& next_attempt_at);
  // Every attempt of a subscription, newest first.
  std::vector<DeliveryAttempt> attempts(const std::string& subscription_id, std::size_t limit);

  // Queues again, from now, the subscription's deliveries of the alerts with this webhook-id, or created in
  // [from, to] (ISO 8601 UTC, inclusive), whatever their state: the same webhook-ids, so receivers deduplicate.
  // Returns how many were queued, or nullopt on failure.
  std::optional<std::size_t> replay(const std::string& subscription_id, const std::string& webhook_id,
                                    const std::string& from, const std::string& to, const std::string& now_iso);

  // Alerts with seq > after, oldest first (GET /alerts/stream, Last-Event-ID).
  std::vector<StoredAlert> after(std::int64_t after_seq, std::size_t limit);
  // The newest alert's sequence number, 0 when there is none (where a stream without Last-Event-ID starts).
  std::int64_t last_seq();
  // The alerts raised about a derived Observation ("Observation/12"), oldest first (retractions).
  std::vector<StoredAlert> about(const std::string& observation);
  // Pending deliveries per subscription id (metrics).
  std::vector<std::pair<std::string, std::int64_t>> queue_depths();
  // Every subscription's deliveries by state and latest attempt, by id.
  std::vector<DeliverySummary> delivery_summaries();
};

}  // namespace gg::gateway
