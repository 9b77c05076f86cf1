#include "gateway/pipeline/retraction.hpp"

#include <algorithm>

namespace gg::gateway {
namespace {

constexpr std::string_view kRetracted = "entered-in-error";

// "Observation/12/_history/3" -> "Observation/12"; an absolute URL keeps its last type/id pair.
std::string unversioned(std::string_view reference) {
  if (const auto history = reference.find("/_history/"); history != std::string_view::npos) {
    reference = reference.substr(0, history);
  }
  const auto id_slash = reference.rfind('/');
  if (id_slash != std::string_view::npos && id_slash > 0) {
    const auto type_slash = reference.rfind('/', id_slash - 1);
    if (type_slash != std::string_view::npos) reference = reference.substr(type_slash + 1);
  }
  return std::string(reference);
}

// The first retracted input among the references, or empty.
std::string retracted_among(const std::vector<fhir::Reference>& references,
                            std::span<const std::string> retracted) {
  for (const auto& reference : references) {
    auto plain = unversioned(reference.reference);
    if (std::find(retracted.begin(), retracted.end(), plain) != retracted.end()) return plain;
  }
  return {};
}

// A reference to a deleted input cannot stay a reference (a server may refuse a write that cites a deleted
// resource, as HAPI does: HAPI-1096); it keeps the reference's text as its display, so the trace stays readable.
void unlink_deleted(std::vector<fhir::Reference>& references, std::span<const std::string> deleted) {
  for (auto& reference : references) {
    const auto plain = unversioned(reference.reference);
    if (std::find(deleted.begin(), deleted.end(), plain) == deleted.end()) continue;
    reference.display = plain + " (deleted)";
    reference.reference.clear();
  }
}

std::string note_text(std::string_view as_of, std::string_view because) {
  return "Marked entered-in-error by Gradient Gateway at " + std::string(as_of) + ": " + std::string(because) +
         ". It must not be used.";
}

// A version-aware update (If-Match on the version read): an edit made since by someone else is never overwritten;
// the server refuses the transaction (412) and the pipeline retries with what it reads then.
fhir::BundleEntry put(fhir::Resource resource, std::string_view type, const std::string& id,
                      const std::string& version_id) {
  const std::string url = std::string(type) + "/" + id;
  const std::string if_match = version_id.empty() ? std::string() : "W/\"" + version_id + "\"";
  return fhir::BundleEntry{"", std::move(resource), fhir::BundleEntryRequest{"PUT", url, "", if_match},
                           std::nullopt};
}

}  // namespace

std::vector<std::string> retracted_inputs(std::span<const analytics::Excluded> excluded) {
  std::vector<std::string> references;
  for (const auto& result : excluded) {
    if (result.status != "entered-in-error" && result.status != "cancelled") continue;
    if (result.reference.empty()) continue;
    if (std::find(references.begin(), references.end(), result.reference) == references.end()) {
      references.push_back(result.reference);
    }
  }
  return references;
}

std::vector<fhir::BundleEntry> retraction_entries(std::span<const std::string> retracted,
                                                  std::span<const fhir::Resource> written, std::string_view as_of,
                                                  std::span<const std::string> deleted) {
  std::vector<fhir::BundleEntry> entries;
  if (retracted.empty()) return entries;
  std::vector<std::string> retracted_assessments;  // "RiskAssessment/id", including ones retracted earlier
  for (const auto& resource : written) {
    if (const auto* observation = std::get_if<fhir::Observation>(&resource)) {
      const auto input = retracted_among(observation->derived_from, retracted);
      if (input.empty() || observation->status == kRetracted || observation->id.empty()) continue;
      auto updated = *observation;
      updated.status = std::string(kRetracted);
      updated.note.push_back({note_text(as_of, "its input " + input + " was retracted")});
      unlink_deleted(updated.derived_from, deleted);
      entries.push_back(
          put(fhir::Resource{std::move(updated)}, "Observation", observation->id, observation->meta.version_id));
    } else if (const auto* risk = std::get_if<fhir::RiskAssessment>(&resource)) {
      const auto input = retracted_among(risk->basis, retracted);
      if (input.empty() || risk->id.empty()) continue;
      retracted_assessments.push_back("RiskAssessment/" + risk->id);
      if (risk->status == kRetracted) continue;
      auto updated = *risk;
      updated.status = std::string(kRetracted);
      updated.note.push_back({note_text(as_of, "its basis " + input + " was retracted")});
      unlink_deleted(updated.basis, deleted);
      entries.push_back(
          put(fhir::Resource{std::move(updated)}, "RiskAssessment", risk->id, risk->meta.version_id));
    }
  }
  for (const auto& resource : written) {
    const auto* plan = std::get_if<fhir::CarePlan>(&resource);
    if (plan == nullptr || plan->status == kRetracted || plan->id.empty()) continue;
    const auto assessment = retracted_among(plan->supporting_info, retracted_assessments);
    if (assessment.empty()) continue;
    auto updated = *plan;
    updated.status = std::string(kRetracted);
    updated.note.push_back(
        {note_text(as_of, "the RiskAssessment it rests on (" + assessment + ") was retracted")});
    entries.push_back(put(fhir::Resource{std::move(updated)}, "CarePlan", plan->id, plan->meta.version_id));
  }
  return entries;
}

}  // namespace gg::gateway
