#include "gateway/pipeline/patient_context.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "analytics/date_time.hpp"
#include "analytics/gradient_rules.hpp"
#include "fhir/url.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {

std::string history_query(const std::string& patient, std::chrono::sys_seconds since,
                          const LoadedKnowledge& knowledge) {
  std::string codes;
  const auto add = [&](const std::string& code) {
    if (!codes.empty()) codes += ',';
    codes += std::string(analytics::kGradientCodeSystem) + "|" + code;
  };
  for (const auto& rule : knowledge.knowledge.rules.ratios) add(rule.code);
  for (const auto& rule : knowledge.knowledge.rules.derived) add(rule.code);
  return "subject=" + fhir::percent_encode(patient) + "&code=" + fhir::percent_encode(codes) + "&date=lt" +
         fhir::percent_encode(format_instant(since)) + "&_sort=-date&_count=100";
}

const fhir::Coding* standing_gradient_coding(const fhir::Observation& observation) {
  if (observation.status != "final" && observation.status != "amended" && observation.status != "corrected") {
    return nullptr;
  }
  const auto coding =
      std::find_if(observation.code.coding.begin(), observation.code.coding.end(),
                   [](const fhir::Coding& c) { return c.system == analytics::kGradientCodeSystem; });
  if (coding == observation.code.coding.end() || !observation.value_quantity) return nullptr;
  const auto& value = observation.value_quantity->value;
  return value && std::isfinite(*value) ? &*coding : nullptr;
}

std::optional<analytics::Gradient> history_gradient(const fhir::Observation& observation) {
  const fhir::Coding* coding = standing_gradient_coding(observation);
  if (coding == nullptr || !observation.value_quantity->comparator.empty()) return std::nullopt;
  const auto& quantity = *observation.value_quantity;
  const auto when = analytics::parse_fhir_date_time(observation.effective_date_time).instant;
  if (!when) return std::nullopt;
  analytics::Gradient gradient;
  gradient.code = coding->code;
  gradient.display = coding->display;
  gradient.subject = observation.subject.reference;
  gradient.value = {*quantity.value, quantity.code.empty() ? quantity.unit : quantity.code};
  gradient.effective.instant = *when;
  gradient.effective.text = observation.effective_date_time;
  analytics::GradientInput input;
  input.reference = "Observation/" + observation.id;
  input.version_id = observation.meta.version_id;
  gradient.inputs.push_back(std::move(input));
  return gradient;
}

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

  // The history before those results: the gateway's own earlier values, so trends reach back as far as it goes.
  auto history_search = history_query(patient, since, knowledge);
  auto history = co_await client.search("Observation", std::move(history_search), kHistoryPages);
  if (!history.has_value()) {
    // A server that refuses it (4xx: _sort or the code system unsupported) leaves trends to the results fetched.
    if (transient(history.error())) {
      fetched.outcome = classify(history.error(), "search derived Observation history");
      co_return fetched;
    }
    fetched.history_refused = history.error().message;
  } else {
    fetched.skipped.insert(fetched.skipped.end(), std::make_move_iterator(history->skipped.begin()),
                           std::make_move_iterator(history->skipped.end()));
    for (const auto& resource : history->resources) {
      const auto* observation = std::get_if<fhir::Observation>(&resource);
      if (observation == nullptr) continue;
      if (auto gradient = history_gradient(*observation)) context.history.push_back(std::move(*gradient));
    }
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
