#include "gateway/pipeline/patient_context.hpp"

#include "fhir/url.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {

boost::asio::awaitable<FetchedContext> fetch_context(fhir::Client& client, const std::string& patient,
                                                     std::chrono::sys_seconds since,
                                                     const LoadedKnowledge& knowledge) {
  FetchedContext fetched;
  auto& context = fetched.context;
  std::string patient_id = patient.substr(std::string_view("Patient/").size());

  auto read = co_await client.read<fhir::Patient>(std::move(patient_id));
  if (!read.has_value()) {
    fetched.outcome = classify(read.error(), "read Patient");
    co_return fetched;
  }
  if (read->resource) context.facts = analytics::patient_facts(*read->resource);
  context.facts.reference = patient;

  // The patient's recent hormone results: the context every gradient needs.
  std::string query = "subject=" + fhir::percent_encode(patient) + "&code=" + hormone_code_list(knowledge) +
                      "&date=ge" + fhir::percent_encode(format_instant(since)) + "&_count=200";
  auto found = co_await client.search("Observation", std::move(query));
  if (!found.has_value()) {
    fetched.outcome = classify(found.error(), "search Observation");
    co_return fetched;
  }
  fetched.skipped = std::move(found->skipped);
  for (auto& resource : found->resources) {
    if (auto* observation = std::get_if<fhir::Observation>(&resource))
      context.observations.push_back(std::move(*observation));
  }

  // The patient's hormone medications, for dose timing. A server that refuses a medication search (4xx: the type
  // is not supported, or not allowed) leaves dose timing without it, reported to the caller, never a failure.
  if (knowledge.knowledge.medications.medications.empty()) co_return fetched;
  const std::string subject = "subject=" + fhir::percent_encode(patient);
  const std::pair<std::string, std::string> searches[] = {
      {"MedicationAdministration", subject + "&effective-time=ge" + fhir::percent_encode(format_instant(since)) +
                                       "&_include=MedicationAdministration:medication&_count=200"},
      {"MedicationStatement", subject + "&_include=MedicationStatement:medication&_count=200"},
      {"MedicationRequest", subject + "&_include=MedicationRequest:medication&_count=200"}};
  // A use that names a Medication resource brings it along (_include); its code identifies the medication.
  std::vector<fhir::Medication> named;
  for (const auto& [type, medication_query] : searches) {
    auto uses = co_await client.search(type, medication_query);
    if (!uses.has_value()) {
      if (transient(uses.error())) {
        fetched.outcome = classify(uses.error(), "search " + type);
        co_return fetched;
      }
      fetched.refused_medication_searches.emplace_back(type, uses.error().message);
      continue;
    }
    for (auto& resource : uses->resources) {
      if (auto* use = std::get_if<fhir::MedicationUse>(&resource)) context.medications.push_back(std::move(*use));
      if (auto* medication = std::get_if<fhir::Medication>(&resource)) named.push_back(std::move(*medication));
    }
  }
  fhir::resolve_medication_references(context.medications, named);
  co_return fetched;
}

}  // namespace gg::gateway
