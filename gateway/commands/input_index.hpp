// The inputs of `analyze`, scanned once before anything is decoded: every resource the analysis wants (hormone and
// reproductive-context Observations, Patients, medication uses) is recorded as a place in its mapped input and the
// patient it belongs to; everything else is counted and skipped without being materialised. Afterwards the
// resources are decoded patient by patient, straight from the mapped bytes, in the order of patient references,
// whatever order the inputs had (grouped by patient, by resource type as $export writes them, Bundles).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json_codec.hpp"
#include "fhir/json_scan.hpp"
#include "gateway/commands/index_spill.hpp"
#include "gateway/commands/input_reader.hpp"
#include "gateway/commands/mapped_input.hpp"

namespace gg::gateway {

struct ScanCallbacks {
  // An input or resource that cannot be used: reported with where it was.
  std::function<void(const InputLocation&, const std::vector<fhir::DecodeIssue>&)> on_error;
  // Resources read and not wanted by the analysis ("Observation", "Encounter", ...): counted, never decoded.
  // `count` is 1 but for a piece of an input scanned on another thread, whose resources are told at once.
  std::function<void(std::string_view resource_type, std::size_t count)> on_skipped;
};

// An NDJSON input of at least 2 x `min_piece` bytes is scanned in up to `threads` pieces at once, split at line
// ends, each on its own thread with its own index, and the pieces are joined in input order: the index, the
// reports and their order are those of a scan on one thread (input_index_test.cpp checks them against it).
// While the pieces are scanned, each holds at most index_budget / pieces in memory.
struct ScanThreads {
  static constexpr std::size_t kDefaultMinPiece = std::size_t{32} << 20;
  std::size_t threads = 1;
  std::size_t min_piece = kDefaultMinPiece;
};

struct InputIndex {
  std::vector<std::string> sources;        // as given ("-" for standard input)
  std::vector<MappedInput> inputs;         // same order
  std::vector<IndexedResource> resources;  // in input order (empty when spilled)
  std::vector<fhir::Resource> owned;       // resources decoded during the scan
  std::vector<std::string> patients;       // subject references ("Patient/7"); IndexedResource::patient
  // The index when it outgrew its budget: every wanted resource is in these runs, none in `resources`.
  SpilledRuns spilled;
  std::vector<fhir::Medication> medications;  // every Medication read: what medicationReference may name
  std::size_t medication_resources = 0;       // Medications read (also counted as skipped "Medication")
};

// Scans every input in order. Medications are decoded here (few, and any patient may name them); the rest waits.
// When `resources` and `patients` would hold more than about `index_budget` bytes, they are spilled
// (index_spill.hpp) and the scan goes on with an empty index; at the end either everything is in memory or
// everything is spilled.
InputIndex scan_inputs(const std::vector<std::string>& sources, const fhir::DecodeOptions& decode_options,
                       const fhir::ScanOptions& scan_options, const ScanCallbacks& callbacks,
                       std::size_t index_budget = SIZE_MAX, ScanThreads threads = {});

// Where a resource came from, for a report.
InputLocation location_of(const InputIndex& index, const IndexedResource& resource);

// Decodes one indexed resource where it lies. A Bundle entry's issues are reported with the Bundle's paths
// ("Bundle.entry[3].resource.valueQuantity"), as when the whole Bundle is decoded.
fhir::DecodeResult<fhir::Resource> decode_indexed(const InputIndex& index, const IndexedResource& resource,
                                                  const fhir::DecodeOptions& options);

// decode_indexed, with an Observation decoded into `observation` (empty) where the caller keeps it
// (fhir::decode_observation_in_place): true when it was, without error; otherwise `result` is what decode_indexed
// gives. The text is read where it lies in its mapped input, which is followed by padding
// (fhir::decode_observation_where_it_lies).
bool decode_indexed_in_place(const InputIndex& index, const IndexedResource& resource,
                             const fhir::DecodeOptions& options, fhir::Observation& observation,
                             fhir::DecodeResult<fhir::Resource>& result);

}  // namespace gg::gateway
