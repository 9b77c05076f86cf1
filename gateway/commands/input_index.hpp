// The inputs of `analyze`, scanned once before anything is decoded: every resource the analysis wants (hormone and
// reproductive-context Observations, Patients, medication uses) is recorded as a place in its mapped input and the
// patient it belongs to; everything else is counted and skipped without being materialised. Afterwards the
// resources are decoded patient by patient, straight from the mapped bytes, in the order of patient references,
// whatever order the inputs had (grouped by patient, by resource type as $export writes them, Bundles).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json_codec.hpp"
#include "fhir/json_scan.hpp"
#include "gateway/commands/input_reader.hpp"
#include "gateway/commands/mapped_input.hpp"

namespace gg::gateway {

enum class IndexedKind : std::uint8_t { observation, patient, medication_use };

// 32 bytes per wanted resource; nothing else is kept of it until its patient is analysed.
struct IndexedResource {
  std::uint64_t offset = 0;   // in its input's text; for an owned resource, its index in InputIndex::owned
  std::uint32_t length = 0;   // 0 for an owned resource
  std::uint32_t input = 0;    // index in InputIndex::inputs
  std::uint32_t line = 0;     // NDJSON line (1-based); 0 in a whole document
  std::uint32_t entry = 0;    // Bundle.entry index + 1; 0 outside a Bundle
  std::uint32_t patient = 0;  // index in InputIndex::patients
  IndexedKind kind = IndexedKind::observation;
  bool owned = false;  // decoded during the scan (a transaction with placeholders, a Bundle with a broken entry)
};

struct ScanCallbacks {
  // An input or resource that cannot be used: reported with where it was.
  std::function<void(const InputLocation&, const std::vector<fhir::DecodeIssue>&)> on_error;
  // A resource read and not wanted by the analysis ("Observation", "Encounter", ...): counted, never decoded.
  std::function<void(std::string_view resource_type)> on_skipped;
};

struct InputIndex {
  std::vector<std::string> sources;           // as given ("-" for standard input)
  std::vector<MappedInput> inputs;            // same order
  std::vector<IndexedResource> resources;     // in input order
  std::vector<fhir::Resource> owned;          // resources decoded during the scan
  std::vector<std::string> patients;          // subject references ("Patient/7"); IndexedResource::patient
  std::vector<fhir::Medication> medications;  // every Medication read: what medicationReference may name
  std::size_t medication_resources = 0;       // Medications read (also counted as skipped "Medication")
};

// Scans every input in order. Medications are decoded here (few, and any patient may name them); the rest waits.
InputIndex scan_inputs(const std::vector<std::string>& sources, const fhir::DecodeOptions& decode_options,
                       const fhir::ScanOptions& scan_options, const ScanCallbacks& callbacks);

// Where a resource came from, for a report.
InputLocation location_of(const InputIndex& index, const IndexedResource& resource);

// Decodes one indexed resource where it lies. A Bundle entry's issues are reported with the Bundle's paths
// ("Bundle.entry[3].resource.valueQuantity"), as when the whole Bundle is decoded.
fhir::DecodeResult<fhir::Resource> decode_indexed(const InputIndex& index, const IndexedResource& resource,
                                                  const fhir::DecodeOptions& options);

}  // namespace gg::gateway
