// What reading FHIR JSON inputs shares: where a resource was (for a report), how NDJSON is recognised and a
// transaction's placeholders. analyze and backfill (FILE... and the output files of --export) scan their inputs
// (input_index.hpp). Each broken input is reported with where it was; the rest is still read.
#pragma once

#include <functional>
#include <string>

#include "fhir/json_codec.hpp"

namespace gg::gateway {

struct InputLocation {
  std::string source;    // file name or "-"
  std::size_t line = 0;  // NDJSON line (1-based); 0 for a whole document
};

struct InputHandlers {
  std::function<void(const InputLocation&, fhir::Resource&&)> on_resource;
  std::function<void(const InputLocation&, const std::vector<fhir::DecodeIssue>&)> on_error;
};

// Whether an input is NDJSON: by its file extension (.ndjson, .jsonl) or, failing that, by its first lines.
bool is_ndjson(const std::string& source, std::string_view text);

// Resolves a transaction's "urn:uuid:" placeholders as the server would (R4 3.1.0.11.2): the UUID becomes the id
// of a resource without one, and subjects (and medicationReferences) naming it become "Type/id".
void resolve_placeholders(fhir::Bundle& bundle);

}  // namespace gg::gateway
