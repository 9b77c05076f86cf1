#include "gateway/pipeline/finding_alerts.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "analytics/assessment.hpp"
#include "gateway/pipeline/stable_identity.hpp"

namespace gg::gateway {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void text(Writer& writer, std::string_view key, std::string_view value) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// A reference, or null when the resource was not written.
void reference(Writer& writer, std::string_view key, const std::optional<std::string>& value) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  if (value) {
    writer.String(value->data(), static_cast<rapidjson::SizeType>(value->size()));
  } else {
    writer.Null();
  }
}

void number(Writer& writer, std::string_view key, double value) {
  writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  if (std::isfinite(value)) {
    writer.Double(value);
  } else {
    writer.Null();
  }
}

// The location the server assigned to response entry `index`, unversioned; none when there is no such entry.
std::optional<std::string> assigned(const std::vector<fhir::BundleEntry>& response, std::size_t index) {
  if (index >= response.size() || !response[index].response || response[index].response->location.empty()) {
    return std::nullopt;
  }
  return unversioned(response[index].response->location);
}

struct Written {
  std::optional<std::string> observation, risk_assessment, care_plan;
};

// The body: {"type", "timestamp", "data": {...}} (issue 10), `extra` writing type-specific members of data.
template <typename Extra>
std::string body(std::string_view type, const AlertContext& context, std::string_view code, std::string_view level,
                 Extra&& extra) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  text(writer, "type", type);
  text(writer, "timestamp", context.created_at);
  writer.Key("data");
  writer.StartObject();
  text(writer, "patient", context.patient);
  text(writer, "code", code);
  writer.Key("level");
  if (level.empty()) {
    writer.Null();
  } else {
    writer.String(level.data(), static_cast<rapidjson::SizeType>(level.size()));
  }
  extra(writer);
  text(writer, "rule_set", context.rule_set);
  text(writer, "correlation_id", context.correlation_id);
  writer.EndObject();
  writer.EndObject();
  return buffer.GetString();
}

NewAlert make(std::string_view type, std::string key, const AlertContext& context, const std::string& code,
              const std::string& level, const std::optional<std::string>& observation, std::string json) {
  NewAlert alert;
  alert.key = std::move(key);
  alert.webhook_id = "msg_" + stable_identity("webhook-id|" + alert.key).identifier_value;
  alert.type = std::string(type);
  alert.patient = context.patient;
  alert.code = code;
  alert.level = level;
  alert.observation = observation.value_or("");
  alert.created_at = context.created_at;
  alert.body = std::move(json);
  alert.traceparent = context.traceparent;
  return alert;
}

// What makes a finding the same one: the patient, the rule, its inputs (unversioned: a lab re-sending a result as
// a new version with the same value changes nothing), its value and level, and the rule set. A corrected value, a
// new draw or another rule set is a new finding.
std::string finding_identity(const analytics::Gradient& gradient, const analytics::Finding& finding,
                             const AlertContext& context) {
  std::vector<std::string> inputs;
  inputs.reserve(gradient.inputs.size());
  for (const auto& input : gradient.inputs) inputs.push_back(input.reference);
  std::sort(inputs.begin(), inputs.end());
  std::string key = context.patient + "|" + gradient.code + "|";
  for (const auto& input : inputs) key += input + ";";
  char value[32];
  std::snprintf(value, sizeof value, "%.6g", finding.value.value);
  key += std::string("|") + gradient.comparator + value + "|";
  if (finding.level) key += std::string(analytics::to_string(*finding.level));
  return key + "|" + context.rule_set;
}

}  // namespace

std::string unversioned(const std::string& location) {
  const auto history = location.find("/_history/");
  return history == std::string::npos ? location : location.substr(0, history);
}

std::vector<NewAlert> finding_alerts(const analytics::Analysis& analysis,
                                     const std::vector<fhir::BundleEntry>& response, std::size_t first,
                                     const AlertContext& context) {
  std::vector<NewAlert> alerts;
  const std::size_t gradients = analysis.gradients.size();
  if (gradients == 0) return alerts;
  Written written;
  written.risk_assessment = assigned(response, first + gradients);
  const bool has_plan = !analysis.finding_proposals.empty() || !analysis.timing_proposals.empty();
  if (has_plan) written.care_plan = assigned(response, first + gradients + 1);

  for (std::size_t i = 0; i < gradients && i < analysis.findings.size(); ++i) {
    const auto& gradient = analysis.gradients[i];
    const auto& finding = analysis.findings[i];
    const auto observation = assigned(response, first + i);
    const std::string identity = finding_identity(gradient, finding, context);
    const std::string level = finding.level ? std::string(analytics::to_string(*finding.level)) : std::string();
    auto common = [&](Writer& writer) {
      number(writer, "value", finding.value.value);
      text(writer, "unit", finding.value.unit);
      text(writer, "rationale", finding.rationale);
      reference(writer, "observation", observation);
      reference(writer, "risk_assessment", written.risk_assessment);
      reference(writer, "care_plan", written.care_plan);
    };
    if (finding.level) {
      alerts.push_back(make(kFindingAlert, std::string(kFindingAlert) + "|" + identity, context, gradient.code,
                            level, observation, body(kFindingAlert, context, gradient.code, level, common)));
    }
    if (gradient.trend && gradient.trend->significant) {
      const auto& trend = *gradient.trend;
      auto change = [&](Writer& writer) {
        common(writer);
        writer.Key("change");
        writer.StartObject();
        number(writer, "previous_value", trend.previous_value.value);
        text(writer, "previous_effective", trend.previous_effective);
        number(writer, "change_percent", trend.change_percent);
        text(writer, "direction", trend.rising() ? "up" : "down");
        writer.EndObject();
      };
      alerts.push_back(make(kChangeAlert, std::string(kChangeAlert) + "|" + identity, context, gradient.code,
                            level, observation, body(kChangeAlert, context, gradient.code, level, change)));
    }
  }
  return alerts;
}

std::vector<NewAlert> retraction_alerts(const std::vector<StoredAlert>& earlier, const std::string& input,
                                        const AlertContext& context) {
  std::vector<NewAlert> alerts;
  for (const auto& alert : earlier) {
    if (alert.type != kFindingAlert && alert.type != kChangeAlert) continue;
    auto retracted = [&](Writer& writer) {
      text(writer, "retracts", alert.webhook_id);
      text(writer, "retracts_type", alert.type);
      text(writer, "retracted_input", input);
      reference(writer, "observation", alert.observation);
    };
    alerts.push_back(make(kRetractedAlert, std::string(kRetractedAlert) + "|" + alert.key, context, alert.code,
                          alert.level, alert.observation,
                          body(kRetractedAlert, context, alert.code, alert.level, retracted)));
  }
  return alerts;
}

}  // namespace gg::gateway
