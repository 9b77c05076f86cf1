// The cards of the patient-view service (CDS Hooks 2.0, "CDS Service Response" and "Card Attributes",
// https://cds-hooks.hl7.org/2.0/#card-attributes): one card per current finding of the patient, built from what
// the gateway wrote back (pipeline/write_back.hpp): its RiskAssessments (one prediction per finding, the
// qualitative risk in the risk-probability code system) and the draft CarePlans that cite them in supportingInfo.
// Pure: the resources come in (prefetched or searched), the cards go out.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/resources.hpp"

namespace gg::gateway {

// The gateway's own resources of one patient, as the CDS Client prefetched them or the service searched them.
struct FindingResources {
  std::vector<fhir::RiskAssessment> risk_assessments;
  std::vector<fhir::CarePlan> care_plans;
  // A CarePlan's absolute URL by id, when its Bundle entry's fullUrl gave one (the server that holds it).
  std::map<std::string, std::string> care_plan_urls;
};

struct CardCoding {
  std::string system;
  std::string code;
  std::string display;
};

struct CardLink {
  std::string label;
  std::string url;  // absolute: type "absolute"
};

struct Card {
  std::string summary;    // one sentence, under 140 characters
  std::string detail;     // GitHub-flavoured Markdown
  std::string indicator;  // info | warning | critical
  CardCoding topic;       // the rule set the finding was computed with (card.source.topic)
  std::vector<CardLink> links;
  std::string code;  // the gradient code (not sent: ordering, tests)
};

inline constexpr std::string_view kCardSourceLabel = "Gradient Gateway";

// The cards for Patient/{patient_id}: for each gradient code, the latest graded prediction (one with a
// risk-probability qualitativeRisk; by the RiskAssessment's occurrenceDateTime) among the gateway's
// RiskAssessments of that patient that are not entered-in-error, with the proposals of the CarePlan that cites it.
// Most urgent first. `fhir_base`: where a CarePlan without an absolute fullUrl lives.
std::vector<Card> finding_cards(std::string_view patient_id, const FindingResources& resources,
                                std::string_view fhir_base);

// {"cards": [...]} as JSON.
std::string cards_json(const std::vector<Card>& cards);

// The card indicator for a risk-probability code (http://terminology.hl7.org/CodeSystem/risk-probability):
// high (and certain) -> critical, moderate -> warning, everything else (low, negligible) -> info.
std::string_view indicator_for(std::string_view risk_code);

}  // namespace gg::gateway
