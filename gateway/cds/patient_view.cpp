#include "gateway/cds/patient_view.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "fhir/json_codec.hpp"
#include "fhir/url.hpp"
#include "gateway/pipeline/write_back.hpp"

namespace gg::gateway {
namespace {

// A failure as any result<T, std::string>: T is often an aggregate a string would also initialise.
struct Failure {
  std::string reason;
  template <typename T>
  operator boost::system::result<T, std::string>() const {  // NOLINT(google-explicit-constructor)
    return {boost::system::in_place_error, reason};
  }
};

// The patient-view hook: userId "Must be in the format [ResourceType]/[id]".
bool user_reference(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(slash),
                     [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)) != 0; }) &&
         fhir::is_resource_id(text.substr(slash + 1));
}

// The searches, as the prefetch templates spell them. The token is `{{context.patientId}}` ("Prefetch tokens");
// the parameters keep to the "Prefetch query restrictions": a reference parameter and a token parameter with a
// system and no code (any identifier in the gateway's write-back system), at type level.
std::string template_for(std::string_view type) {
  return std::string(type) +
         "?patient={{context.patientId}}&identifier=" + std::string(kWriteBackIdentifierSystem) + "|";
}

boost::system::result<std::optional<fhir::Bundle>, std::string> prefetched_bundle(simdjson::dom::object prefetch,
                                                                                  std::string_view key) {
  simdjson::dom::element value;
  if (prefetch[key].get(value) != simdjson::SUCCESS || value.is_null()) return std::optional<fhir::Bundle>{};
  if (!value.is_object()) return Failure{"prefetch." + std::string(key) + " must be a FHIR resource or null"};
  const std::string json = simdjson::to_string(value);
  auto decoded = fhir::decode_document(json);
  if (!decoded.ok()) return Failure{"prefetch." + std::string(key) + " is not a FHIR resource this service reads"};
  auto* bundle = std::get_if<fhir::Bundle>(&decoded.value->content);
  if (bundle == nullptr) {
    // "OperationOutcome(s) SHOULD be used to communicate those errors": the client could not prefetch.
    const auto& resource = std::get<fhir::Resource>(decoded.value->content);
    if (std::holds_alternative<fhir::OperationOutcome>(resource)) return std::optional<fhir::Bundle>{};
    return Failure{"prefetch." + std::string(key) + " must be a searchset Bundle"};
  }
  // "A CDS Client MAY paginate prefetch results": a Bundle with a next page is not the whole answer.
  const bool paginated = std::any_of(bundle->link.begin(), bundle->link.end(),
                                     [](const fhir::BundleLink& link) { return link.relation == "next"; });
  const bool broken =
      std::any_of(decoded.issues.begin(), decoded.issues.end(), [](const fhir::DecodeIssue& issue) {
        return issue.severity == fhir::DecodeIssue::Severity::error ||
               issue.severity == fhir::DecodeIssue::Severity::fatal;
      });
  if (paginated || broken) return std::optional<fhir::Bundle>{};
  return std::optional<fhir::Bundle>(std::move(*bundle));
}

}  // namespace

std::string discovery_json() {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto member = [&](std::string_view key, std::string_view value) {
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  writer.StartObject();
  writer.Key("services");
  writer.StartArray();
  writer.StartObject();
  member("hook", "patient-view");
  member("id", kPatientViewServiceId);
  member("title", "Gradient Gateway findings");
  member("description",
         "Cards for the patient's current hormonal-gradient findings written back by Gradient Gateway: the risk "
         "level, the rationale, the proposals for clinician review and a link to the draft CarePlan.");
  writer.Key("prefetch");
  writer.StartObject();
  member(kRiskAssessmentsPrefetchKey, template_for("RiskAssessment"));
  member(kCarePlansPrefetchKey, template_for("CarePlan"));
  writer.EndObject();
  member(
      "usageRequirements",
      "Authenticate every call with a signed JWT from an issuer the gateway trusts (docs/cds-hooks.md). Without "
      "the prefetched data the service reads the gateway's FHIR server itself.");
  writer.EndObject();
  writer.EndArray();
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

boost::system::result<PatientViewRequest, std::string> parse_patient_view(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(body.data(), body.size()).get_object().get(root) != simdjson::SUCCESS) {
    return Failure{"the body is not a JSON object"};
  }
  auto text = [](simdjson::dom::object object, std::string_view key) -> std::optional<std::string> {
    std::string_view value;
    if (object[key].get_string().get(value) != simdjson::SUCCESS) return std::nullopt;
    return std::string(value);
  };
  PatientViewRequest request;
  const auto hook = text(root, "hook");
  if (!hook) return Failure{"hook is required (a string)"};
  if (*hook != "patient-view") return Failure{"this service answers the patient-view hook, not " + *hook};
  const auto instance = text(root, "hookInstance");
  if (!instance || instance->empty()) return Failure{"hookInstance is required (a string)"};
  request.hook_instance = *instance;

  simdjson::dom::object context;
  if (root["context"].get_object().get(context) != simdjson::SUCCESS) {
    return Failure{"context is required (an object)"};
  }
  const auto patient = text(context, "patientId");
  if (!patient || !fhir::is_resource_id(*patient)) return Failure{"context.patientId is required (a FHIR id)"};
  request.patient_id = *patient;
  const auto user = text(context, "userId");
  if (!user || !user_reference(*user)) {
    return Failure{"context.userId is required ([ResourceType]/[id], patient-view hook)"};
  }
  request.user_id = *user;

  simdjson::dom::element element;
  if (root["fhirServer"].get(element) == simdjson::SUCCESS && !element.is_null()) {
    const auto server = text(root, "fhirServer");
    if (!server || (server->rfind("https://", 0) != 0 && server->rfind("http://", 0) != 0)) {
      return Failure{"fhirServer must be an http(s) URL"};
    }
    request.fhir_server = *server;
    while (!request.fhir_server.empty() && request.fhir_server.back() == '/') request.fhir_server.pop_back();
  }
  // "If fhirAuthorization is provided, this field [fhirServer] is REQUIRED".
  if (root["fhirAuthorization"].get(element) == simdjson::SUCCESS && !element.is_null()) {
    if (!element.is_object()) return Failure{"fhirAuthorization must be an object"};
    if (request.fhir_server.empty()) return Failure{"fhirServer is required with fhirAuthorization"};
  }

  if (root["prefetch"].get(element) == simdjson::SUCCESS && !element.is_null()) {
    simdjson::dom::object prefetch;
    if (element.get_object().get(prefetch) != simdjson::SUCCESS) return Failure{"prefetch must be an object"};
    auto risks = prefetched_bundle(prefetch, kRiskAssessmentsPrefetchKey);
    if (!risks) return Failure{risks.error()};
    auto plans = prefetched_bundle(prefetch, kCarePlansPrefetchKey);
    if (!plans) return Failure{plans.error()};
    request.risk_assessments = std::move(*risks);
    request.care_plans = std::move(*plans);
  }
  return request;
}

std::string risk_assessment_query(std::string_view patient_id) {
  return "patient=" + fhir::percent_encode("Patient/" + std::string(patient_id)) +
         "&identifier=" + fhir::percent_encode(std::string(kWriteBackIdentifierSystem) + "|") + "&_count=100";
}

std::string care_plan_query(std::string_view patient_id) {
  return risk_assessment_query(patient_id);
}

void add_prefetched(const fhir::Bundle& bundle, std::string_view fhir_server, FindingResources& resources) {
  for (const auto& entry : bundle.entry) {
    if (!entry.resource) continue;
    if (const auto* risk = std::get_if<fhir::RiskAssessment>(&*entry.resource)) {
      resources.risk_assessments.push_back(*risk);
    } else if (const auto* plan = std::get_if<fhir::CarePlan>(&*entry.resource)) {
      resources.care_plans.push_back(*plan);
      if (entry.full_url.rfind("https://", 0) == 0 || entry.full_url.rfind("http://", 0) == 0) {
        resources.care_plan_urls[plan->id] = entry.full_url;
      } else if (!fhir_server.empty()) {
        resources.care_plan_urls[plan->id] = std::string(fhir_server) + "/CarePlan/" + plan->id;
      }
    }
  }
}

boost::asio::awaitable<boost::system::result<FindingResources, std::string>> gather_findings(
    fhir::Client& client, PatientViewRequest request) {
  FindingResources resources;
  if (request.risk_assessments) add_prefetched(*request.risk_assessments, request.fhir_server, resources);
  if (request.care_plans) add_prefetched(*request.care_plans, request.fhir_server, resources);
  // At most 5 pages of 100: a patient has one RiskAssessment per analysis.
  constexpr std::size_t kMaxPages = 5;
  if (!request.risk_assessments) {
    std::string type = "RiskAssessment";
    auto found = co_await client.search(std::move(type), risk_assessment_query(request.patient_id), kMaxPages);
    if (!found) co_return Failure{"searching RiskAssessments failed: " + found.error().message};
    for (auto& resource : found->resources) {
      if (auto* risk = std::get_if<fhir::RiskAssessment>(&resource)) resources.risk_assessments.push_back(*risk);
    }
  }
  if (!request.care_plans) {
    std::string type = "CarePlan";
    auto found = co_await client.search(std::move(type), care_plan_query(request.patient_id), kMaxPages);
    if (!found) co_return Failure{"searching CarePlans failed: " + found.error().message};
    for (auto& resource : found->resources) {
      if (auto* plan = std::get_if<fhir::CarePlan>(&resource)) resources.care_plans.push_back(*plan);
    }
  }
  co_return resources;
}

}  // namespace gg::gateway
