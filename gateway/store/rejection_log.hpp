// The rejection log: hormone results that could not be used, each kept once per Observation version as its
// OperationOutcome (no values in it), for operators (GET /admin/rejections).
//
// Thread-safe through the shared connection's mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/store/part.hpp"

namespace gg::gateway {

namespace store {
struct RejectionLogStatements;
}

// A hormone result that could not be used, as its OperationOutcome (no values in it), kept for operators.
struct StoredRejection {
  std::string observation;  // "Observation/123"
  std::string version_id;
  std::string patient;      // "Patient/7" or ""
  std::string analyte;      // catalogue id, "" when unknown
  std::string reasons;      // "incompatible-unit,missing-effective-time"
  std::string outcome;      // the OperationOutcome JSON
  std::string recorded_at;  // ISO 8601 UTC, first time it was seen
};

class RejectionLog : public store::Part<store::RejectionLogStatements> {
 public:
  using Part::Part;

  // Keeps a rejection once per Observation version: true when it was new (count it, log it), false when it was
  // known already or the insert failed (logged).
  bool record(const StoredRejection& rejection);
  // The most recent rejections first; for one Observation ("Observation/123") when observation is not empty.
  std::vector<StoredRejection> recent(const std::string& observation, std::size_t limit);
  // Retention: deletes up to `batch` rejections first recorded before recorded_before, returning how many, or
  // nullopt when the delete failed (logged).
  std::optional<std::int64_t> prune(const std::string& recorded_before, std::size_t batch);
};

}  // namespace gg::gateway
