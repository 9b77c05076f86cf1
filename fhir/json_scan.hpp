// Scanning FHIR JSON before decoding it: what a resource is and whom it is about, read with simdjson On-Demand
// without materialising anything else, so that a bulk input (gigabytes, mostly resources nobody wants) costs
// little more than its bytes. What is wanted is decoded afterwards (decode_resource, json_codec.hpp) from the same
// bytes.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace gg::fhir {

// Bytes that must follow a Bundle given to scan_bundle_entries, all zero (simdjson's padding: what it makes of
// malformed JSON can depend on them, so they are zeros, as the decoder's copies have).
inline constexpr std::size_t kJsonPadding = 64;

struct ScanOptions {
  // Whether an Observation carrying this coding is wanted. An Observation none of whose codings is wanted is
  // skipped; one whose code cannot be read is wanted, so that decoding it reports why. Empty: every Observation.
  std::function<bool(std::string_view system, std::string_view code)> coding_wanted;
};

// What the scan learnt of one resource. Reused between calls (its strings keep their capacity).
struct ScannedResource {
  std::string resource_type;  // "Observation", "Patient", ...
  std::string id;
  std::string subject;  // subject.reference of an Observation or a MedicationStatement/-Administration/-Request
  bool wanted = false;  // an Observation with a wanted coding (or an unreadable code)
  // Malformed JSON, or no readable resourceType: decode it to learn the issues (the scan does not describe them).
  bool broken = false;
};

// Scans one resource (copied into a padded buffer of this thread's first). Reads every top-level property name
// (so a truncated object is broken here as it is when decoded), resourceType, id, and for the types that have one,
// subject.reference; for an Observation its code's codings. A wanted Observation is read only until its type,
// code and subject are known: it is decoded afterwards, and the decode reads (and reports) the rest; a later
// repetition of its code or subject is then not seen here (FHIR JSON names a property once).
void scan_resource(std::string_view json, const ScanOptions& options, ScannedResource& out);

// The lines of an NDJSON text (FHIR Bulk Data: one resource per line), each with its 1-based number and its offset
// in the text, without its line end ("\n" or "\r\n"); blank lines are counted and not handed over. Returns the
// number of lines, blank ones included.
std::size_t for_each_ndjson_line(
    std::string_view text,
    const std::function<void(std::size_t number, std::string_view line, std::size_t offset)>& on_line);

// One entry of a Bundle: its fullUrl and its resource exactly as in the Bundle's bytes (from "{" to "}"; "" when
// the entry has none).
struct ScannedEntry {
  std::size_t index = 0;  // position in Bundle.entry
  std::string_view full_url;
  std::string_view resource_json;
};

// Walks Bundle.entry of a Bundle (followed by kJsonPadding zero bytes), calling on_entry for each entry in order.
// Returns false when the text is not a well-formed Bundle object whose entries are objects; the caller then
// decodes it (decode_document) to learn the issues. Only Bundle.entry is read; the views die with the next call on
// this thread.
bool scan_bundle_entries(std::string_view json, const std::function<void(const ScannedEntry&)>& on_entry);

}  // namespace gg::fhir
