// The patient-view service, CDS Hooks 2.0 (https://cds-hooks.hl7.org/2.0/): its discovery entry ("Discovery"),
// the hook request it accepts ("Calling a CDS Service", and the patient-view hook's context: patientId and
// userId), and the FHIR data it works from: prefetched by the client when it sends it ("Providing FHIR Resources
// to a CDS Service", "Prefetch Template"), searched on the gateway's own FHIR server otherwise.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "fhir/client.hpp"
#include "fhir/resources.hpp"
#include "gateway/cds/finding_cards.hpp"

namespace gg::gateway {

inline constexpr std::string_view kCdsServicesPath = "/cds-services";
inline constexpr std::string_view kPatientViewServiceId = "gradient-findings";
// The prefetch keys of the discovery entry, and of the request's prefetch object.
inline constexpr std::string_view kRiskAssessmentsPrefetchKey = "riskAssessments";
inline constexpr std::string_view kCarePlansPrefetchKey = "carePlans";

// GET /cds-services: {"services": [the patient-view service with its prefetch templates]}.
std::string discovery_json();

// A patient-view call, checked. A prefetch Bundle is kept only when it can stand for the search it answers
// (see parse_patient_view); otherwise it is absent and the service searches itself.
struct PatientViewRequest {
  std::string hook_instance;
  std::string patient_id;   // context.patientId, a FHIR id
  std::string user_id;      // context.userId, "Practitioner/123"
  std::string fhir_server;  // the client's FHIR base URL, when sent (where prefetched resources live)
  std::optional<fhir::Bundle> risk_assessments;
  std::optional<fhir::Bundle> care_plans;
};

// The request body, or why it is not a patient-view call this service accepts (for a 400). A prefetch key that
// is absent, null ("no data to populate" or not satisfied), an OperationOutcome (the client failed to prefetch),
// a paginated Bundle (the rest is not here), or a Bundle with an entry that did not decode, leaves that data to
// be searched.
boost::system::result<PatientViewRequest, std::string> parse_patient_view(std::string_view body);

// The queries the service runs for what was not prefetched: the prefetch templates with the patient filled in.
std::string risk_assessment_query(std::string_view patient_id);
std::string care_plan_query(std::string_view patient_id);

// The RiskAssessments and CarePlans of a prefetched Bundle. A CarePlan's link is its entry's absolute fullUrl, or
// else `fhir_server` (the client's) + "/CarePlan/{id}" when the client named its server.
void add_prefetched(const fhir::Bundle& bundle, std::string_view fhir_server, FindingResources& resources);

// Whether the request leaves anything to search on the FHIR server.
inline bool needs_search(const PatientViewRequest& request) {
  return !request.risk_assessments || !request.care_plans;
}

// The resources of the request: the prefetched ones, and a search on `client` for each that was not. An error
// names the search that failed (no patient data) and means the service cannot answer (412).
boost::asio::awaitable<boost::system::result<FindingResources, std::string>> gather_findings(
    fhir::Client& client, PatientViewRequest request);

}  // namespace gg::gateway
