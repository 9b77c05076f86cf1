#include "gateway/ingress/topic_notification.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace gg::gateway {
namespace {

using ParseResult = boost::system::result<SubscriptionStatus, std::string>;

ParseResult failure(std::string why) {
  return ParseResult(boost::system::in_place_error, std::move(why));
}

constexpr std::array<std::pair<NotificationType, std::string_view>, 5> kTypes{{
    {NotificationType::handshake, "handshake"},
    {NotificationType::heartbeat, "heartbeat"},
    {NotificationType::event_notification, "event-notification"},
    {NotificationType::query_status, "query-status"},
    {NotificationType::query_event, "query-event"},
}};

std::string_view text_of(const rapidjson::Value& value) {
  return value.IsString() ? std::string_view(value.GetString(), value.GetStringLength()) : std::string_view();
}

// The value[x] of a parameter or part, by its JSON name, or null.
const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  const auto found = object.FindMember(name);
  return found == object.MemberEnd() ? nullptr : &found->value;
}

// A number as R4 Parameters carry it: the IG's valueString (R4 has no integer64), or valueInteger,
// valueUnsignedInt, valuePositiveInt, valueInteger64 (R4B/R5 writers), or valueDecimal without a fraction.
std::optional<std::int64_t> number_of(const rapidjson::Value& parameter) {
  for (const char* name : {"valueString", "valueInteger64"}) {
    if (const auto* value = member(parameter, name); value && value->IsString()) {
      const auto text = text_of(*value);
      std::int64_t number = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (ec != std::errc() || end != text.data() + text.size() || number < 0) return std::nullopt;
      return number;
    }
  }
  for (const char* name :
       {"valueInteger", "valueUnsignedInt", "valuePositiveInt", "valueInteger64", "valueDecimal"}) {
    if (const auto* value = member(parameter, name); value && value->IsInt64() && value->GetInt64() >= 0)
      return value->GetInt64();
  }
  return std::nullopt;
}

std::string reference_of(const rapidjson::Value& parameter) {
  if (const auto* value = member(parameter, "valueReference"); value && value->IsObject()) {
    if (const auto* reference = member(*value, "reference")) return std::string(text_of(*reference));
  }
  for (const char* name : {"valueUri", "valueCanonical", "valueString"}) {
    if (const auto* value = member(parameter, name)) return std::string(text_of(*value));
  }
  return {};
}

std::string code_of(const rapidjson::Value& parameter) {
  for (const char* name : {"valueCode", "valueString"}) {
    if (const auto* value = member(parameter, name)) return std::string(text_of(*value));
  }
  return {};
}

// "Type/id" at the end of a reference, skipping a trailing "_history/{version}".
std::pair<std::string_view, std::string_view> last_type_and_id(std::string_view reference) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= reference.size()) {
    const auto slash = reference.find('/', start);
    const auto end = slash == std::string_view::npos ? reference.size() : slash;
    segments.push_back(reference.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (segments.size() >= 4 && segments[segments.size() - 2] == "_history") segments.resize(segments.size() - 2);
  if (segments.size() < 2 || segments.back().empty() || segments[segments.size() - 2].empty()) return {};
  return {segments[segments.size() - 2], segments.back()};
}

}  // namespace

std::string_view to_string(NotificationType type) {
  for (const auto& [value, text] : kTypes) {
    if (value == type) return text;
  }
  return "event-notification";
}

ParseResult parse_subscription_status(std::string_view parameters_json) {
  rapidjson::Document document;
  document.Parse(parameters_json.data(), parameters_json.size());
  if (document.HasParseError() || !document.IsObject()) return failure("the status entry is not a JSON object");
  const auto* resource_type = member(document, "resourceType");
  if (resource_type == nullptr || text_of(*resource_type) != "Parameters") {
    return failure("Bundle.entry[0].resource: the first entry of a notification must be the Parameters status");
  }
  const auto* parameters = member(document, "parameter");
  if (parameters == nullptr || !parameters->IsArray()) return failure("Parameters.parameter: missing");

  SubscriptionStatus status;
  bool typed = false;
  std::size_t index = 0;
  for (const auto& parameter : parameters->GetArray()) {
    const std::string path = "Parameters.parameter[" + std::to_string(index++) + "]";
    if (!parameter.IsObject()) return failure(path + ": not an object");
    const auto* name_value = member(parameter, "name");
    const auto name = name_value ? text_of(*name_value) : std::string_view();
    if (name == "type") {
      const auto code = code_of(parameter);
      const auto found =
          std::find_if(kTypes.begin(), kTypes.end(), [&](const auto& t) { return t.second == code; });
      if (found == kTypes.end()) return failure(path + ".valueCode: not a subscription-notification-type code");
      status.type = found->first;
      typed = true;
    } else if (name == "subscription") {
      status.subscription = reference_of(parameter);
    } else if (name == "topic") {
      status.topic = reference_of(parameter);
    } else if (name == "status") {
      status.status = code_of(parameter);
    } else if (name == "events-since-subscription-start") {
      status.events_since_subscription_start = number_of(parameter);
      if (!status.events_since_subscription_start) return failure(path + ": not a non-negative integer");
    } else if (name == "notification-event") {
      const auto* parts = member(parameter, "part");
      if (parts == nullptr || !parts->IsArray()) return failure(path + ".part: missing");
      NotificationEvent event;
      bool numbered = false;
      for (const auto& part : parts->GetArray()) {
        if (!part.IsObject()) return failure(path + ".part: not an object");
        const auto* part_name = member(part, "name");
        const auto part_text = part_name ? text_of(*part_name) : std::string_view();
        if (part_text == "event-number") {
          const auto number = number_of(part);
          if (!number) return failure(path + ".part(event-number): not a non-negative integer");
          event.event_number = *number;
          numbered = true;
        } else if (part_text == "focus") {
          event.focus = reference_of(part);
        }
      }
      // The IG requires event-number (1..1) in every notification-event.
      if (!numbered) return failure(path + ".part(event-number): missing");
      status.events.push_back(std::move(event));
    }
  }
  if (!typed) return failure("Parameters.parameter(type): missing");
  if (status.subscription.empty()) return failure("Parameters.parameter(subscription): missing");
  return status;
}

std::string subscription_key(std::string_view reference) {
  const auto [type, id] = last_type_and_id(reference);
  if (type.empty()) return std::string(reference);
  return std::string(type) + "/" + std::string(id);
}

std::string focus_type_and_id(std::string_view reference) {
  const auto [type, id] = last_type_and_id(reference);
  if (type.empty()) return {};
  return std::string(type) + "/" + std::string(id);
}

EventNumberCheck check_event_numbers(std::optional<std::int64_t> last_seen, const SubscriptionStatus& status) {
  const auto since = status.events_since_subscription_start;
  if (status.type == NotificationType::handshake) {
    // A new (or restarted) Subscription: counting starts again from what the server says.
    return EventNumberCheck{false, since.value_or(0)};
  }
  EventNumberCheck check{false, last_seen};
  std::optional<std::int64_t> highest;
  if (!status.events.empty()) {
    const auto [low, high] = std::minmax_element(
        status.events.begin(), status.events.end(),
        [](const NotificationEvent& a, const NotificationEvent& b) { return a.event_number < b.event_number; });
    if (last_seen && low->event_number > *last_seen + 1) check.gap = true;
    highest = high->event_number;
    check.last_seen = highest;
  }
  const auto seen = highest ? highest : last_seen;
  if (since && seen && *since > *seen) {
    check.gap = true;
    check.last_seen = since;
  }
  if (since && !seen) check.last_seen = since;  // nothing seen yet: start counting from the server's count
  return check;
}

}  // namespace gg::gateway
