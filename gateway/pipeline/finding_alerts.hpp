// What a written analysis tells integration teams (issue 10, "What an alert is"): one gradient.finding per
// finding with a risk level, one gradient.change per significant change beyond the reference change value, and
// one gradient.retracted per earlier alert whose derived Observation a retraction set to entered-in-error. Each
// alert names the resources as the FHIR server assigned them (the transaction response), the rule set, and the
// correlation id that the written Provenance carries too.
//
// An alert's key is what makes it the same alert: the patient, the rule, its inputs (unversioned), its value and
// level and the rule set, so a re-analysis that yields the same finding raises nothing new, even from a re-sent
// input version. Its webhook-id derives from the
// key (Standard Webhooks: the same on every retry and replay).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analytics/analysis.hpp"
#include "fhir/resources.hpp"
#include "gateway/store/alert_outbox.hpp"

namespace gg::gateway {

inline constexpr std::string_view kFindingAlert = "gradient.finding";
inline constexpr std::string_view kChangeAlert = "gradient.change";
inline constexpr std::string_view kRetractedAlert = "gradient.retracted";

struct AlertContext {
  std::string patient;         // "Patient/7"
  std::string rule_set;        // "gradient-gateway-default@2026.11"
  std::string correlation_id;  // write_back.hpp correlation_id()
  std::string created_at;      // ISO 8601 UTC: the alert's timestamp
  std::string traceparent;     // the processing's W3C traceparent (telemetry/trace_context.hpp)
};

// The alerts of an analysis whose write-back entries (write_back_entries: a derived Observation per gradient, the
// RiskAssessment, the CarePlan when there are proposals, the Provenance) were answered by `response`, the
// transaction-response entries, from index `first` on (entries before it answer the retraction written in the
// same transaction).
std::vector<NewAlert> finding_alerts(const analytics::Analysis& analysis,
                                     const std::vector<fhir::BundleEntry>& response, std::size_t first,
                                     const AlertContext& context);

// The gradient.retracted alerts for the alerts raised earlier about a derived Observation that a retraction of
// `input` ("Observation/5") set to entered-in-error. Only findings and changes are retracted.
std::vector<NewAlert> retraction_alerts(const std::vector<StoredAlert>& earlier, const std::string& input,
                                        const AlertContext& context);

// "Observation/12" from a transaction response's location "Observation/12/_history/1".
std::string unversioned(const std::string& location);

}  // namespace gg::gateway
