// The result of decoding or validating FHIR input: a value when one could be built, and every problem found, each
// with its element path, so one bad field does not hide the next (after google/fhir's error reporter).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fhir/resources.hpp"

namespace gg::fhir {

struct DecodeIssue {
  enum class Severity { fatal, error, warning };
  Severity severity = Severity::error;
  std::string code = "invalid";  // FHIR IssueType code: structure | required | value | invalid | too-long ...
  std::string path;              // FHIRPath-like element path, e.g. "Observation.valueQuantity.value"
  std::string message;           // never carries patient values; names the element and what was wrong
};

template <typename T>
struct DecodeResult {
  std::optional<T> value;  // present when decoding succeeded (possibly with warnings)
  std::vector<DecodeIssue> issues;

  [[nodiscard]] bool ok() const { return value.has_value(); }
};

// An OperationOutcome holding the issues (errors map to "error", fatal to "fatal", warnings to "warning"), each
// with expression [path] when it has a path. With no issues it holds one "information"/"informational" issue,
// since OperationOutcome.issue has cardinality 1..*.
OperationOutcome to_operation_outcome(const std::vector<DecodeIssue>& issues);

// A single-issue OperationOutcome, for errors raised outside decoding (HTTP layer, pipeline).
OperationOutcome make_operation_outcome(std::string severity, std::string code, std::string diagnostics,
                                        std::string expression = {});

}  // namespace gg::fhir
