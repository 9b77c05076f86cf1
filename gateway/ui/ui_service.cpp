#include "gateway/ui/ui_service.hpp"

#include <string_view>
#include <utility>
#include <variant>

#include "analytics/gradient_rules.hpp"
#include "fhir/url.hpp"
#include "gateway/http/outcome_response.hpp"
#include "gateway/pipeline/patient_context.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/ui/page.hpp"
#include "gateway/ui/patient_page.hpp"

namespace gg::gateway {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kPatients = "/ui/patients/";
constexpr std::string_view kPatientsApi = "/ui/api/patients/";

HttpResponse json_response(std::string body) {
  HttpResponse response{200, std::string(kJson), std::move(body), {}};
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace

std::string derived_query(const std::string& patient) {
  // "system|" with no code: any code of the system (R4 3.1.1.5.5, token).
  return "subject=" + fhir::percent_encode(patient) +
         "&code=" + fhir::percent_encode(std::string(analytics::kGradientCodeSystem) + "|") +
         "&_sort=date&_count=200";
}

boost::asio::awaitable<boost::system::result<PatientRecord, std::string>> read_patient_record(
    fhir::Client& client, std::string patient, std::chrono::sys_seconds since, const LoadedKnowledge& knowledge) {
  PatientRecord record;
  auto fetched = co_await fetch_context(client, patient, since, knowledge);
  if (fetched.outcome.kind != Outcome::Kind::done) {
    co_return boost::system::result<PatientRecord, std::string>(boost::system::in_place_error,
                                                                fetched.outcome.error);
  }
  record.context = std::move(fetched.context);
  std::string type = "Observation";
  std::string query = derived_query(patient);
  auto derived = co_await client.search(std::move(type), std::move(query), kDerivedPages);
  if (!derived.has_value()) {
    co_return boost::system::result<PatientRecord, std::string>(
        boost::system::in_place_error, "search derived Observations: " + derived.error().message);
  }
  for (auto& resource : derived->resources) {
    if (auto* observation = std::get_if<fhir::Observation>(&resource))
      record.derived.push_back(std::move(*observation));
  }
  record.found = record.context.facts.sex != analytics::Sex::unknown ||
                 record.context.facts.birth_date.has_value() || !record.context.observations.empty() ||
                 !record.derived.empty();
  co_return record;
}

UiService::UiService(const Config& config, const LoadedKnowledge& knowledge, StateStore& store,
                     StatusSampler& sampler, SideReader& reader, const Clock& clock)
    : knowledge_(knowledge),
      store_(store),
      sampler_(sampler),
      reader_(reader),
      clock_(clock),
      lookback_days_(config.analysis.lookback_days) {}

HttpHandler UiService::handler() {
  return [this](const HttpRequest& request) { return handle(request); };
}

HttpResponse UiService::handle(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = operation_outcome_response(405, "not-supported", "the pages answer GET and HEAD only");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  const std::string path(path_of(request.target));
  if (path == "/ui" || path == "/ui/") {
    HttpResponse response{303, "", "", {}};
    response.headers.emplace_back("Location", "/ui/status");
    return response;
  }
  if (path == "/ui/status")
    return page_response(PageKind::status, "Gradient Gateway: operations", "/ui/api/status");
  if (path == "/ui/api/status") return json_response(sampler_.status_json(store_, clock_.now()));
  const bool page = path.starts_with(kPatients);
  const bool api = path.starts_with(kPatientsApi);
  if (page || api) {
    const std::string id = path.substr((page ? kPatients : kPatientsApi).size());
    if (!fhir::is_resource_id(id)) {
      return operation_outcome_response(400, "invalid",
                                        "not a FHIR id (1 to 64 letters, digits, '-' and '.'): the patient's id");
    }
    if (page) {
      return page_response(PageKind::patient, "Gradient Gateway: Patient/" + id, std::string(kPatientsApi) + id);
    }
    return patient_json(id);
  }
  return operation_outcome_response(404, "not-found", "no such page: " + path);
}

HttpResponse UiService::patient_json(const std::string& id) {
  const std::string patient = "Patient/" + id;
  const auto as_of = clock_.now();
  const auto since = as_of - std::chrono::days(lookback_days_);
  auto read = reader_.run(read_patient_record(reader_.client(), patient, since, knowledge_));
  if (!read) {
    switch (read.error()) {
      case SideReader::Failure::busy: {
        auto busy = operation_outcome_response(503, "transient", "another page is reading the FHIR server; retry");
        busy.headers.emplace_back("Retry-After", "1");
        return busy;
      }
      case SideReader::Failure::timeout:
        log(LogLevel::warn, "ui.fhir-timeout", {{"patient", patient}});
        return operation_outcome_response(504, "timeout", "the FHIR server did not answer in time");
      case SideReader::Failure::error:
        break;
    }
    return operation_outcome_response(502, "exception", "reading the FHIR server failed");
  }
  if (!*read) {
    log(LogLevel::warn, "ui.fhir-failed", {{"patient", patient}, {"error", read->error()}});
    return operation_outcome_response(502, "transient", "reading the FHIR server failed: " + read->error());
  }
  PatientRecord& record = **read;
  if (!record.found) {
    return operation_outcome_response(404, "not-found", "the FHIR server holds no such patient: " + patient);
  }
  const auto analysed = analyze_patient(record.context, knowledge_, as_of);
  const auto body = patient_page_json({record.context, analysed.analysis, record.derived, knowledge_, as_of});
  log(LogLevel::info, "ui.patient-viewed",
      {{"patient", patient},
       {"results", std::to_string(record.context.observations.size())},
       {"derived", std::to_string(record.derived.size())}});
  return json_response(body);
}

}  // namespace gg::gateway
