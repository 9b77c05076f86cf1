#include "fhir/resources.hpp"

namespace gg::fhir {

namespace {
template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;  // C++20 deduces this itself; clang 14 (the fuzz build) needs it spelled
}  // namespace

std::string_view resource_type(const Resource& resource) {
  return std::visit(Overloaded{[](const Observation&) -> std::string_view { return "Observation"; },
                               [](const Patient&) -> std::string_view { return "Patient"; },
                               [](const MedicationUse& use) -> std::string_view { return use.resource_type; },
                               [](const Medication&) -> std::string_view { return "Medication"; },
                               [](const RiskAssessment&) -> std::string_view { return "RiskAssessment"; },
                               [](const CarePlan&) -> std::string_view { return "CarePlan"; },
                               [](const Provenance&) -> std::string_view { return "Provenance"; },
                               [](const Subscription&) -> std::string_view { return "Subscription"; },
                               [](const OperationOutcome&) -> std::string_view { return "OperationOutcome"; },
                               [](const ConceptMap&) -> std::string_view { return "ConceptMap"; },
                               [](const OtherResource& other) -> std::string_view { return other.resource_type; }},
                    resource);
}

std::string_view resource_id(const Resource& resource) {
  return std::visit([](const auto& r) -> std::string_view { return r.id; }, resource);
}

void resolve_medication_references(std::vector<MedicationUse>& uses, const std::vector<Medication>& medications) {
  for (auto& use : uses) {
    if (use.medication_codeable_concept || !use.medication_reference) continue;
    const std::string_view reference = use.medication_reference->reference;
    for (const auto& medication : medications) {
      if (medication.id.empty()) continue;
      const std::string local = "Medication/" + medication.id;
      const bool same = reference == local || (reference.size() > local.size() &&
                                               reference.substr(reference.size() - local.size()) == local &&
                                               reference[reference.size() - local.size() - 1] == '/');
      if (!same) continue;
      use.medication_codeable_concept = medication.code;
      break;
    }
  }
}

}  // namespace gg::fhir
