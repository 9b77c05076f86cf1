// One patient's analysis (ARCHITECTURE.md steps 5-6) and the write-back it gives (step 7's entries), the same for
// every caller: the pipeline (serve and backfill), the `analyze` command and the analysis bench. The context comes
// from the FHIR server (patient_context.hpp) or from files; what is done with it is decided once, here.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "analytics/analysis.hpp"
#include "fhir/resources.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/pipeline/write_back.hpp"

namespace gg::gateway {

// What one patient's analysis reads.
struct PatientContext {
  analytics::PatientFacts facts;  // from the Patient resource; reference "Patient/7" (or the results' subject)
  std::vector<fhir::Observation> observations;
  std::vector<fhir::MedicationUse> medications;  // medicationReference already resolved against named Medications
  // The gateway's own earlier values of ratio and derived rules, from before the results fetched (its derived
  // Observations on the server): trends compare with the latest when the results hold no previous value.
  std::vector<analytics::Gradient> history;
};

struct PatientAnalysis {
  analytics::Analysis analysis;
  // The write-back transaction's entries (write_back.hpp), stamped with the rule set and GG_VERSION; empty when
  // there is no gradient to report, or when the subject is not a Patient (write-back needs one).
  std::vector<fhir::BundleEntry> entries;
};

PatientAnalysis analyze_patient(const PatientContext& context, const LoadedKnowledge& knowledge,
                                std::chrono::sys_seconds as_of);

// The same analysis with its write-back appended to `out` as JSON in `form` (write_back.hpp), not kept as values:
// for `analyze`, which only prints it. `written` is how many resources were appended.
struct PatientAnalysisJson {
  analytics::Analysis analysis;
  std::size_t written = 0;
};
PatientAnalysisJson analyze_patient_json(const PatientContext& context, const LoadedKnowledge& knowledge,
                                         std::chrono::sys_seconds as_of, WriteBackForm form, std::string& out);

}  // namespace gg::gateway
