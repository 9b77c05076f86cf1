// The patient's context from the FHIR server (ARCHITECTURE.md steps 3-4): the Patient, the recent hormone results
// and the hormone medications, with medication references resolved. The server is the source of truth: whatever
// triggered the analysis (a notification, a backfill) only says which patient to analyse.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fhir/client.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/pipeline/outcome.hpp"
#include "gateway/pipeline/patient_analysis.hpp"

namespace gg::gateway {

struct FetchedContext {
  PatientContext context;
  Outcome outcome;  // done: the context is complete enough to analyse; retry or failed: do not analyse
  // Search result entries that did not decode and were left out (counted and logged by the caller).
  std::vector<fhir::DecodeIssue> skipped;
  // Medication searches the server refused (4xx): (resource type, error). Dose timing goes without that type;
  // the analysis still runs.
  std::vector<std::pair<std::string, std::string>> refused_medication_searches;
  // The history search's refusal (4xx), when the server refused it: trends then reach as far as the results.
  std::string history_refused;
};

// Reads Patient/<id> of `patient` ("Patient/7") and searches its hormone Observations (code in the catalogue,
// date >= since), its history (history_query()) and, when the knowledge names medications, its
// MedicationAdministrations (since), Statements and Requests with the Medications they name. A Patient the server
// does not hold (404, 410) or that does not decode leaves sex and age unknown. The one search for a patient's
// history: the gateway's own derived Observations of the ratio and derived rules dated before `since` (what the
// results search leaves out), latest first. Only the first kHistoryPages pages are read: the latest values are on
// them.
std::string history_query(const std::string& patient, std::chrono::sys_seconds since,
                          const LoadedKnowledge& knowledge);
inline constexpr std::size_t kHistoryPages = 2;

// The gradient coding of a derived Observation the gateway wrote whose value stands: status final, amended or
// corrected, a coding in the gradient code system, and a finite valueQuantity; nullptr for anything else.
const fhir::Coding* standing_gradient_coding(const fhir::Observation& observation);

// A derived Observation the gateway wrote, as the earlier value of its rule: code, exact value and unit, effective
// time and the Observation itself as the input (a trend then cites it). nullopt for anything else: another code
// system, a period, a bound (comparator), no value, or a status other than final, amended or corrected.
std::optional<analytics::Gradient> history_gradient(const fhir::Observation& observation);

boost::asio::awaitable<FetchedContext> fetch_context(fhir::Client& client, const std::string& patient,
                                                     std::chrono::sys_seconds since,
                                                     const LoadedKnowledge& knowledge);

}  // namespace gg::gateway
