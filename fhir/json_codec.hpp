// FHIR R4 JSON (R4 section 2.6.2): decoding with simdjson On-Demand, encoding with RapidJSON's Writer.
// One decoder is shared by every input path (REST hook payloads, search results, files, NDJSON).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "fhir/decode_result.hpp"
#include "fhir/resources.hpp"

namespace gg::fhir {

struct DecodeOptions {
  // Decides from Observation.code alone whether an Observation is wanted. When it answers false the rest of the
  // Observation is not materialised and it is returned as OtherResource{"Observation", id, meta}.
  // Empty: every Observation is decoded. It is called during decoding and must not decode JSON itself.
  std::function<bool(const CodeableConcept&)> observation_wanted;
  // False, for a caller that only analyses the results (analytics::analyze): what no analysis reads is checked as
  // always (a malformed element is reported the same) but not stored. That is an Observation's identifier,
  // category, interpretation and note, the display of its code's codings, its referenceRange when it has a
  // valueQuantity (the range gives the unit of a valueString only), and every resource's meta.lastUpdated,
  // meta.profile and meta.tag. Saves materialising the longest strings of a typical lab result; analytics::
  // lab_report, which shows the interpretation and reference range, needs them kept.
  bool keep_unanalysed_elements = true;
  // True, for a caller that decodes many resources of a few sources on each thread (analyze): an element that
  // recurs byte for byte (an Observation's category, code, reference range, interpretation, note) is read the
  // first time and then taken as it was read, with the same issues (none: only elements read without one are
  // kept). Each thread keeps at most 256 per kind.
  bool reuse_repeated_elements = false;
  // Limits (issue 13): a text longer than max_bytes, or whose objects and arrays nest deeper than max_depth, is
  // refused whole with one fatal issue ("too-long", "too-costly") before it is parsed. FHIR R4 JSON nests some 10
  // to 20 levels (a Bundle's entry's resource's contained resource's extension); 0 turns a limit off. The depth
  // check reads the text once more: analyze, which reads many small lines of its operator's own files, turns it
  // off (the decoder descends only into the elements it models and simdjson skips the rest without recursion).
  std::size_t max_bytes = std::size_t{256} * 1024 * 1024;
  std::size_t max_depth = 64;
};

// Decodes one resource (any resourceType; unmodelled types become OtherResource, a Bundle becomes OtherResource
// {"Bundle"} here: use decode_bundle for those). The input need not be padded. Any error or fatal issue leaves the
// value absent; malformed JSON is one fatal "structure" issue naming the byte position where simdjson stopped.
DecodeResult<Resource> decode_resource(std::string_view json, const DecodeOptions& options = {});

// decode_resource, with an Observation decoded into `observation` (empty, as Observation{}) instead of into the
// result: a caller that keeps Observations in a list decodes each one where it stays (analyze's patients hold
// hundreds of thousands in turn, and an Observation is some twenty strings to move). True when the text is an
// Observation that decoded without error: it is then in `observation`, and `result` holds its issues and no value.
// Otherwise `result` is what decode_resource gives and `observation` is left partly written.
bool decode_observation_in_place(std::string_view json, const DecodeOptions& options, Observation& observation,
                                 DecodeResult<Resource>& result);

// decode_observation_in_place for a text followed by at least kJsonPadding readable bytes (json_scan.hpp),
// whatever they hold, such as a line of a mapped input: simdjson reads it where it lies instead of from a padded
// copy. The outcome is decode_observation_in_place's, whatever the bytes after the text: a text that does not
// decode without error is decoded again from a copy, so its issues are the same.
bool decode_observation_where_it_lies(std::string_view json, const DecodeOptions& options,
                                      Observation& observation, DecodeResult<Resource>& result);

// Empties an Observation for the next decode into the same place: afterwards it equals Observation{}, and its
// strings keep their memory, so decoding patient after patient into the same places does not allocate them again.
// Lists are emptied and optional elements dropped.
void empty_keeping_memory(Observation& observation);

// Decodes a Bundle with its entries. An entry whose resource is broken is reported with its path
// ("Bundle.entry[3].resource.valueQuantity") and left without a resource; the other entries still decode.
DecodeResult<Bundle> decode_bundle(std::string_view json, const DecodeOptions& options = {});

// Either a single resource or a Bundle, decided by resourceType.
struct Document {
  std::variant<Resource, Bundle> content;
};
DecodeResult<Document> decode_document(std::string_view json, const DecodeOptions& options = {});

// NDJSON (bulk data): calls on_line for every non-blank line with its 1-based line number and its decode result.
// Line boundaries are found here and each line is parsed on its own, so a broken line never stops the next.
void decode_ndjson(std::string_view text, const DecodeOptions& options,
                   const std::function<void(std::size_t line_number, DecodeResult<Resource>&&)>& on_line);

// Encoding: compact JSON, elements in the specification's order, empty elements left out.
std::string to_json(const Resource& resource);
std::string to_json(const Bundle& bundle);
// One Bundle.entry object, exactly as it appears inside to_json of its Bundle: a Bundle can be written entry by
// entry.
std::string to_json(const BundleEntry& entry);
// The same JSON appended to `out`, through a buffer each thread reuses: for writers of many resources.
void append_json(const BundleEntry& entry, std::string& out);
void append_json(const Resource& resource, std::string& out);

}  // namespace gg::fhir
