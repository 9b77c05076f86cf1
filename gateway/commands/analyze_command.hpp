// `gradient-gateway analyze`: the service's analysis over files, printed instead of written. Reads every input,
// groups hormone results by patient, analyses each patient exactly as the pipeline does, and prints one
// transaction Bundle of everything the service would write (or one resource per line with --ndjson). Rejected
// inputs go to standard error as one OperationOutcome per line; the last line there is an information-level
// OperationOutcome summarising what was read, analysed, skipped (by resource type) and rejected.
#pragma once

#include <chrono>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "fhir/resources.hpp"
#include "gateway/commands/input_index.hpp"
#include "gateway/config/knowledge_loader.hpp"

namespace gg::gateway {

// --index-budget's default, in bytes: about 250,000 indexed resources (10,000 patients' hormone panels) stay in
// memory; beyond that memory stays flat whatever the number of patients (docs/performance.md).
inline constexpr std::size_t kDefaultIndexBudget = std::size_t{8} << 20;

struct AnalyzeOptions {
  std::vector<std::string> inputs;  // files, "-" for standard input
  std::chrono::sys_seconds as_of;
  bool ndjson = false;
  // Threads analysing patients; 0: one per hardware thread. The output is the same for every value.
  std::size_t jobs = 0;
  // Bytes the index of wanted resources may hold in memory before it is spilled to temporary files sorted by
  // patient (index_spill.hpp). The output is the same for every value.
  std::size_t index_budget = kDefaultIndexBudget;
  // The least an NDJSON input's piece scanned on a thread of its own has (ScanThreads::min_piece); the jobs are
  // the threads. The output is the same for every value.
  std::size_t scan_piece = ScanThreads::kDefaultMinPiece;
  // --html: also write this file, the offline report (docs/ui.md): every analysed patient's view in one
  // self-contained page. Empty: none.
  std::string html = {};
};

struct AnalyzeSummary {
  std::size_t resources = 0;                           // resources read
  std::size_t hormone_results = 0;                     // Observations normalised into measurements
  std::size_t skipped = 0;                             // resources that are not hormone results (not errors)
  std::map<std::string, std::size_t> skipped_by_type;  // "Patient", "Observation (not a hormone)", ...
  std::size_t rejected = 0;                            // hormone results or inputs that could not be used
  std::size_t patients = 0;                            // patients with at least one hormone result
  std::size_t written = 0;                             // resources in the output
};

// What one patient's analysis would write.
struct PatientWriteBack {
  std::string patient;  // "Patient/7"
  std::vector<fhir::BundleEntry> entries;
};

// Reads every input, analyses each patient, and returns the write-back per patient, in the order of their
// references (patients without anything to write are left out). Rejected inputs are reported on err as
// OperationOutcome lines and counted in summary. Holds every patient's write-back: run_analyze streams instead.
std::vector<PatientWriteBack> analyze_inputs(const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                                             std::ostream& err, AnalyzeSummary& summary);

// "analyze: read 12, hormone results 4, skipped 7 (Observation (not a hormone) 5, Patient 2), rejected 1, ..."
std::string summary_text(const AnalyzeSummary& summary);

// Scans the inputs (input_index.hpp), then analyses the patients in the order of their references on
// options.jobs threads and prints each one's write-back as soon as every patient before it is printed: memory
// holds the index and a few patients, not the inputs or the output. With options.html each patient's view is
// written to that file as it comes. Returns the exit status: 0 when every input was processed, 1 when some were
// rejected, 2 when the report cannot be written.
int run_analyze(const LoadedKnowledge& knowledge, const AnalyzeOptions& options, std::ostream& out,
                std::ostream& err, AnalyzeSummary* summary = nullptr);

}  // namespace gg::gateway
