// Write-back (ARCHITECTURE.md step 7): one patient's analysis becomes the resources of one transaction Bundle:
// a derived Observation per gradient (derivedFrom its inputs; with a trend also the previous value's inputs, the
// trend-previous-value, trend-change-percent, trend-rcv-up-percent and trend-rcv-down-percent components, a note,
// and interpretation U or D for a change beyond its limit), a RiskAssessment (basis the inputs), a draft
// CarePlan (intent proposal, supportingInfo the RiskAssessment) with an activity per proposal of the analysis
// (analytics chooses them; this only maps them to FHIR), and a Provenance.
// Every resource carries a deterministic identifier, and every entry is a conditional create on it
// (If-None-Exist), so a retry or a duplicate notification never writes twice. The same analysis gives the same
// bytes: serve and analyze share this code.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/analysis.hpp"
#include "fhir/resources.hpp"
#include "gateway/pipeline/stable_identity.hpp"

namespace gg::gateway {

inline constexpr std::string_view kWriteBackIdentifierSystem =
    "http://gradient-gateway.dev/fhir/NamingSystem/write-back";
inline constexpr std::string_view kRuleSetSystem = "http://gradient-gateway.dev/fhir/CodeSystem/rule-set";
// What every RiskAssessment and CarePlan says (and every page that shows them, gateway/ui/).
inline constexpr std::string_view kReviewNote =
    "Decision support from Gradient Gateway, not an order: a clinician must review these findings and any "
    "suggestion before acting on them.";

struct WriteBackContext {
  std::string patient;           // "Patient/7"
  std::string as_of;             // FHIR instant of the analysis, "2026-11-25T21:00:00Z"
  std::string rule_set_id;       // "gradient-gateway-default"
  std::string rule_set_version;  // "2026.11"
  std::string software_version;  // "0.1.0"
};

enum class WriteBackForm {
  bundle_entries,  // the transaction Bundle's entries joined by "," (fullUrl, resource, request), for an entry
                   // array
  ndjson,          // the resources alone, one line each
};

// Appends the write-back of one analysis to `out` as JSON: the same bytes as fhir::to_json of its entries (or of
// their resources). Returns how many resources it wrote: none when there is no gradient to report. The JSON is
// written straight, not built as values first (the path of `analyze`, whose output is mostly this).
std::size_t append_write_back(const analytics::Analysis& analysis, const WriteBackContext& context,
                              WriteBackForm form, std::string& out);

// The transaction entries for one analysis, as values: the JSON of append_write_back, decoded (one authoring path;
// serve merges them with retractions and reads the Provenance's tag). Empty when there is no gradient to report.
std::vector<fhir::BundleEntry> write_back_entries(const analytics::Analysis& analysis,
                                                  const WriteBackContext& context);

// The correlation id of an analysis' entries: the identity its Provenance is tagged with (a hash of the patient,
// the inputs and the rule set), which the alerts and the log name too; empty when there are no entries.
std::string correlation_id(const std::vector<fhir::BundleEntry>& entries);

// A transaction Bundle around entries (entries of several patients may be joined).
fhir::Bundle transaction_bundle(std::vector<fhir::BundleEntry> entries);

}  // namespace gg::gateway
