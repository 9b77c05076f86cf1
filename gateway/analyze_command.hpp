// `gradient-gateway analyze`: the service's analysis over files, printed instead of written. Reads every input,
// groups hormone results by patient, analyses each patient exactly as the pipeline does, and prints one
// transaction Bundle of everything the service would write (or one resource per line with --ndjson). Rejected
// inputs go to standard error as one OperationOutcome per line.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

#include "gateway/knowledge_loader.hpp"

namespace gg::gateway {

struct AnalyzeOptions {
  std::vector<std::string> inputs;  // files, "-" for standard input
  std::chrono::sys_seconds as_of;
  bool ndjson = false;
};

struct AnalyzeSummary {
  std::size_t resources = 0;        // resources read
  std::size_t hormone_results = 0;  // Observations normalised into measurements
  std::size_t skipped = 0;          // resources that are not hormone results (not errors)
  std::size_t rejected = 0;         // hormone results or inputs that could not be used
  std::size_t patients = 0;         // patients with at least one hormone result
  std::size_t written = 0;          // resources in the output
};

// Returns the exit status: 0 when every input was processed, 1 when some were rejected.
int run_analyze(const LoadedKnowledge& knowledge, const AnalyzeOptions& options, std::ostream& out,
                std::ostream& err, AnalyzeSummary* summary = nullptr);

}  // namespace gg::gateway
