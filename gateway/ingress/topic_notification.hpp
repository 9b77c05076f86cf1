// Topic-based notifications on R4 (Subscriptions R5 Backport IG, http://hl7.org/fhir/uv/subscriptions-backport/):
// the notification Bundle (type history) starts with a SubscriptionStatus, which R4 has no resource for, so the IG
// carries it as a Parameters resource (profile backport-subscription-status-r4) with the parameters
// `subscription`, `topic`, `status`, `type`, `events-since-subscription-start` and one `notification-event` per
// event (parts `event-number`, `timestamp`, `focus`). Pure functions: the parse of that status and the
// event-number gap rule.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gg::gateway {

// R5 SubscriptionStatus.type (value set subscription-notification-type).
enum class NotificationType { handshake, heartbeat, event_notification, query_status, query_event };
std::string_view to_string(NotificationType type);

struct NotificationEvent {
  std::int64_t event_number = 0;
  std::string focus;  // the reference as sent ("Observation/12", possibly absolute), or "" when absent
};

struct SubscriptionStatus {
  NotificationType type = NotificationType::event_notification;
  std::string subscription;  // the reference as sent (HAPI: "Subscription/12" or an absolute URL)
  std::string topic;         // canonical URL of the topic
  std::string status;        // requested | active | error | off
  std::optional<std::int64_t> events_since_subscription_start;
  std::vector<NotificationEvent> events;
};

// Parses the notification's first entry, the Parameters status resource (its JSON). Numbers are accepted as the
// IG writes them in R4 (valueString: R4 has no integer64) or as any integer type. The error says what is wrong,
// with its path; it never quotes values.
boost::system::result<SubscriptionStatus, std::string> parse_subscription_status(std::string_view parameters_json);

// "Subscription/12" from "Subscription/12", "https://host/fhir/Subscription/12" or
// ".../Subscription/12/_history/3": the key under which the gateway keeps its event-number cursor, the same
// however the server spells it.
std::string subscription_key(std::string_view reference);

// "Observation/12" from a focus reference spelled relative or absolute (version dropped); "" when it names no
// type and id.
std::string focus_type_and_id(std::string_view reference);

// The event-number rule (Backport IG, "Notifications" / "Events and event numbers"): event numbers of one
// Subscription count up by one per event, and events-since-subscription-start counts every event so far, so
//   - a notification whose lowest event number is higher than last seen + 1, or
//   - a status whose events-since-subscription-start is higher than the highest number seen (this one included)
// means events were lost (a delivery dropped after the server's retries, or sent while we were down): catch up.
// A number at or below the last seen is a late (out-of-order) or repeated delivery, or the server's counter
// restarted (HAPI keeps it in memory): no gap, and the cursor follows the newest notification so that a restart
// does not hide later gaps; a late delivery then costs at most one needless catch-up.
// Nothing seen yet (no cursor) is no gap: the gateway catches up by search when its Subscription becomes active.
struct EventNumberCheck {
  bool gap = false;
  std::optional<std::int64_t> last_seen;  // the cursor to store afterwards (unchanged when nothing was numbered)
};
EventNumberCheck check_event_numbers(std::optional<std::int64_t> last_seen, const SubscriptionStatus& status);

}  // namespace gg::gateway
