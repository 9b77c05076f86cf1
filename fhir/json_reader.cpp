// FHIR R4 JSON decoding (R4 section 2.6.2) with simdjson On-Demand: the public decode_* functions, the dispatch on
// resourceType, Bundle (R4 Bundle resource) and NDJSON (FHIR Bulk Data, one resource per line).
//
// Every object is walked once in document order. resourceType is normally the first property; when it is not, the
// object is scanned for it and rewound once (object::reset), because the properties before it cannot be routed.
#include <simdjson.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "fhir/bundle_entry_json.hpp"
#include "fhir/json_codec.hpp"
#include "fhir/json_reader_detail.hpp"
#include "fhir/json_scan.hpp"

namespace gg::fhir {

namespace {

namespace od = simdjson::ondemand;
using json_detail::ResourceDecoder;
using Reader = json_detail::Reader;

// Decodes a resource object into `resource`, or, when `bundle` is given and it is a Bundle, into *bundle (without
// it, a Bundle is kept as OtherResource). Both are left empty when resourceType is missing or unusable, or the
// JSON is malformed; the caller decides what errors inside the resource mean. Both must be empty on entry.
void read_resource_object(Reader& r, od::object& object, bool top_level, std::optional<Resource>& resource,
                          std::optional<Bundle>* bundle);

// ---- Bundle (R4 Bundle resource) -------------------------------------------------------------------------------

void read_bundle_link(Reader& r, od::value& value, BundleLink& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "relation") {
      r.read(element, out.relation);
    } else if (key == "url") {
      r.read(element, out.url);
    }
  });
}

void read_bundle_request(Reader& r, od::value& value, BundleEntryRequest& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "method") {
      r.read(element, out.method);
    } else if (key == "url") {
      r.read(element, out.url);
    } else if (key == "ifNoneExist") {
      r.read(element, out.if_none_exist);
    } else if (key == "ifMatch") {
      r.read(element, out.if_match);
    }
  });
}

void read_bundle_response(Reader& r, od::value& value, BundleEntryResponse& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "status") {
      r.read(element, out.status);
    } else if (key == "location") {
      r.read(element, out.location);
    } else if (key == "etag") {
      r.read(element, out.etag);
    }
  });
}

class BundleDecoder {
 public:
  void field(Reader& r, std::string_view key, od::value& value) {
    if (key == "id") return r.read(value, bundle_.id);
    if (key == "meta") return json_detail::read_value(r, value, bundle_.meta);
    if (key == "type") return r.read(value, bundle_.type);
    if (key == "total") return r.read(value, bundle_.total);
    if (key == "timestamp") return r.read(value, bundle_.timestamp);
    if (key == "link") {
      return r.for_each_element(value,
                                [&](od::value& link) { read_bundle_link(r, link, bundle_.link.emplace_back()); });
    }
    if (key == "entry") {
      return r.for_each_element(value,
                                [&](od::value& entry) { read_entry(r, entry, bundle_.entry.emplace_back()); });
    }
  }

  Bundle finish() { return std::move(bundle_); }
  // Errors inside entry resources: those entries are kept without their resource and do not fail the Bundle.
  std::size_t entry_resource_errors() const { return entry_resource_errors_; }

 private:
  void read_entry(Reader& r, od::value& value, BundleEntry& entry) {
    if (r.entry_json() != nullptr) r.entry_json()->emplace_back();
    r.for_each_field(value, [&](std::string_view key, od::value& element) {
      if (key == "fullUrl") {
        r.read(element, entry.full_url);
      } else if (key == "resource") {
        read_entry_resource(r, element, entry);
      } else if (key == "request") {
        read_bundle_request(r, element, entry.request.emplace());
      } else if (key == "response") {
        read_bundle_response(r, element, entry.response.emplace());
      }
    });
  }

  void read_entry_resource(Reader& r, od::value& value, BundleEntry& entry) {
    const std::size_t errors_before = r.error_count();
    if (r.expect(value, od::json_type::object)) {
      // The resource's first byte, read without consuming it, for keep_entry_json.
      const char* begin = r.entry_json() != nullptr ? value.raw_json_token().data() : nullptr;
      od::object object;
      if (auto code = value.get_object().get(object)) return r.fail(code);
      // A nested Bundle is not decoded (BundleEntry::resource holds a Resource), see json_codec.hpp. An entry that
      // names "resource" twice is read afresh.
      entry.resource.reset();
      read_resource_object(r, object, /*top_level=*/false, entry.resource, nullptr);
      if (r.error_count() != errors_before) {
        entry.resource.reset();
      } else if (entry.resource && begin != nullptr) {
        keep_entry_json(r, begin);
      }
    }
    entry_resource_errors_ += r.error_count() - errors_before;
  }

  // The object read last spans from begin to the iteration's position (the next token), less the whitespace
  // before that token.
  static void keep_entry_json(Reader& r, const char* begin) {
    const char* end = r.position();
    if (end == nullptr || end <= begin) return;
    std::string_view text(begin, static_cast<std::size_t>(end - begin));
    const auto last = text.find_last_not_of(" \t\r\n");
    if (last == std::string_view::npos || text[last] != '}') return;
    r.entry_json()->back().assign(text.substr(0, last + 1));
  }

  Bundle bundle_;
  std::size_t entry_resource_errors_ = 0;
};

// ---- Dispatch on resourceType ----------------------------------------------------------------------------------

// Reads the resourceType property's value; false (with an issue at "resourceType") when it is not a non-empty
// string.
bool read_resource_type(Reader& r, od::value& value, std::string& out) {
  auto segment = r.element("resourceType");
  const std::size_t errors_before = r.error_count();
  r.read(value, out);
  if (r.error_count() != errors_before || r.failed()) return false;
  if (out.empty()) {
    r.error("value", "resourceType must not be empty");
    return false;
  }
  return true;
}

template <typename OnField>
void read_remaining_fields(Reader& r, od::object_iterator& it, const od::object_iterator& end,
                           OnField&& on_field) {
  for (; it != end; ++it) {
    // Used where simdjson made it: copied out (get()), its iterator was read back as 16 bytes just after being
    // written as two narrower stores, a stall of a third of this loop (docs/performance.md).
    auto field_result = *it;
    if (auto code = field_result.error()) return r.fail(code);
    od::field&& field = std::move(field_result).value_unsafe();
    std::string_view key;
    if (auto code = json_detail::name_of(field, key)) return r.fail(code);
    if (key == "resourceType") continue;  // already read
    auto segment = r.element(key);
    on_field(key, field.value());
    if (r.failed()) return;
  }
}

// Leaves both empty when resourceType is missing or unusable; the caller then does not look past the object.
void read_resource_object(Reader& r, od::object& object, bool top_level, std::optional<Resource>& resource,
                          std::optional<Bundle>* bundle) {
  const auto fail = [&r](simdjson::error_code code) { r.fail(code); };
  od::object_iterator it;
  od::object_iterator end;
  if (auto code = object.begin().get(it)) return fail(code);
  if (auto code = object.end().get(end)) return fail(code);

  // R4 2.6.2: "resourceType" names the type. It is first in every example of the specification and in what HAPI
  // writes, so the common case is a single pass.
  std::string type;
  bool first_is_type = false;
  if (it != end) {
    od::field first;
    if (auto code = (*it).get(first)) return fail(code);
    first_is_type = first.key() == "resourceType";
    if (first_is_type) {
      if (!read_resource_type(r, first.value(), type)) return;
      ++it;
    }
  }
  if (!first_is_type) {
    // Elsewhere: find it comparing raw keys (so no string is unescaped twice: simdjson's string buffer holds each
    // string of the document once), then rewind and read the object from its start.
    if (auto code = object.reset().error()) return fail(code);
    bool seen = false;
    for (auto field_result : object) {
      od::field field;
      if (auto code = std::move(field_result).get(field)) return fail(code);
      if (field.key() == "resourceType") {
        seen = true;
        if (!read_resource_type(r, field.value(), type)) return;
        break;
      }
    }
    if (!seen) {
      auto segment = r.element("resourceType");
      r.error("required", "missing required property resourceType");
      return;
    }
    if (auto code = object.reset().error()) return fail(code);
    if (auto code = object.begin().get(it)) return fail(code);
    if (auto code = object.end().get(end)) return fail(code);
  }

  // Top-level paths start with the type ("Observation.status"); nested ones continue the container's path
  // ("Bundle.entry[3].resource.status").
  std::optional<Reader::Segment> root;
  if (top_level) root.emplace(r, type, 0, false);

  if (type == "Bundle" && bundle != nullptr) {
    BundleDecoder decoder;
    read_remaining_fields(r, it, end,
                          [&](std::string_view key, od::value& value) { decoder.field(r, key, value); });
    // The Bundle stands unless something outside its entries' resources was wrong.
    if (r.failed() || r.error_count() > decoder.entry_resource_errors()) return;
    bundle->emplace(decoder.finish());
    return;
  }
  std::unique_ptr<ResourceDecoder> decoder = json_detail::make_resource_decoder(r, type, resource);
  read_remaining_fields(r, it, end,
                        [&](std::string_view key, od::value& value) { decoder->field(r, key, value); });
  if (r.failed()) {
    resource.reset();
    return;
  }
  decoder->finish(r, resource);
}

// ---- Documents -------------------------------------------------------------------------------------------------

// One parser per thread: it keeps its buffers between documents. A very large document gets a parser of its own so
// the thread does not hold that much memory afterwards.
constexpr std::size_t kLargeDocumentBytes = std::size_t{64} * 1024 * 1024;

// True when the JSON text's objects and arrays nest deeper than `limit` (brackets inside strings do not count).
bool nests_deeper_than(std::string_view json, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return true;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// Decodes one JSON document holding one resource into `resource` (or a Bundle into *bundle, see
// read_resource_object). The Reader's issues go to `issues`; the value is kept only when there was no error
// outside a Bundle's entry resources.
// `observation_target`: where a top-level Observation is decoded instead of into `resource` (see
// decode_observation_in_place); the result is true when it was, without error.
bool decode_padded(simdjson::padded_string_view json, const DecodeOptions& options,
                   std::optional<Resource>& resource, std::optional<Bundle>* bundle,
                   std::vector<DecodeIssue>& issues, std::vector<std::string>* entry_json = nullptr,
                   Observation* observation_target = nullptr) {
  thread_local od::parser shared_parser;
  std::optional<od::parser> own_parser;
  od::parser* parser = &shared_parser;
  if (json.length() > kLargeDocumentBytes) parser = &own_parser.emplace();

  Reader r(options, issues);
  r.keep_entry_json(entry_json);
  r.decode_observation_into(observation_target);
  const std::string_view text(json.data(), json.length());
  if (options.max_bytes != 0 && text.size() > options.max_bytes) {
    r.refuse("too-long", "the JSON text is " + std::to_string(text.size()) + " bytes, over the limit of " +
                             std::to_string(options.max_bytes));
    return false;
  }
  if (options.max_depth != 0 && nests_deeper_than(text, options.max_depth)) {
    r.refuse("too-costly", "the JSON text nests objects and arrays deeper than " +
                               std::to_string(options.max_depth) + " levels");
    return false;
  }
  od::document document;
  if (auto code = parser->iterate(json).get(document)) {
    r.fail(code);
    return false;
  }
  r.attach(document, std::string_view(json.data(), json.length()));
  od::json_type type;
  if (auto code = document.type().get(type)) {
    r.fail(code);
    return false;
  }
  if (type != od::json_type::object) {
    r.error("structure", "a FHIR resource must be a JSON object");
    return false;
  }
  od::object object;
  if (auto code = document.get_object().get(object)) {
    r.fail(code);
    return false;
  }
  read_resource_object(r, object, /*top_level=*/true, resource, bundle);
  // Taken by the Observation's decoder, and the Observation not turned into an unwanted one: it is in the target.
  const bool in_target = observation_target != nullptr && r.take_observation_target() == nullptr && !resource;
  const auto discard = [&] {
    resource.reset();
    if (bundle != nullptr) bundle->reset();
    return false;
  };
  if (r.failed()) return discard();
  if (!resource && !in_target && (bundle == nullptr || !*bundle)) return false;
  // On-Demand stops after the root object; anything after it is not JSON (one document per input, R4 2.6.2).
  const char* trailing = nullptr;
  if (document.current_location().get(trailing) == simdjson::SUCCESS) {
    r.fail(simdjson::TRAILING_CONTENT);
    return discard();
  }
  if (r.error_count() > 0) {
    resource.reset();
    return false;
  }
  return in_target;
}

// The text is copied with zeroed padding after it: what simdjson makes of malformed JSON can depend on the bytes
// after its end (found by fuzzing a line decoded in place, followed by the next one), so every text is decoded
// with the same zeros after it. A buffer per thread is reused; a very large text gets its own copy.
bool decode_unpadded(std::string_view json, const DecodeOptions& options, std::optional<Resource>& resource,
                     std::optional<Bundle>* bundle, std::vector<DecodeIssue>& issues,
                     std::vector<std::string>* entry_json = nullptr, Observation* observation_target = nullptr) {
  if (json.size() > kLargeDocumentBytes) {
    const simdjson::padded_string padded(json.data(), json.size());
    return decode_padded(padded, options, resource, bundle, issues, entry_json, observation_target);
  }
  thread_local std::string buffer;
  buffer.resize(json.size() + simdjson::SIMDJSON_PADDING);
  if (!json.empty()) std::memcpy(buffer.data(), json.data(), json.size());
  std::memset(buffer.data() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  return decode_padded(simdjson::padded_string_view(buffer.data(), json.size(), buffer.size()), options, resource,
                       bundle, issues, entry_json, observation_target);
}

}  // namespace

DecodeResult<Resource> decode_resource(std::string_view json, const DecodeOptions& options) {
  DecodeResult<Resource> result;
  decode_unpadded(json, options, result.value, nullptr, result.issues);
  return result;
}

namespace {

void empty_keeping_memory(Reference& reference) {
  reference.reference.clear();
  reference.display.clear();
}

void empty_keeping_memory(CodeableConcept& concept_) {
  concept_.coding.clear();
  concept_.text.clear();
}

void empty_keeping_memory(Meta& meta) {
  meta.version_id.clear();
  meta.last_updated.clear();
  meta.profile.clear();
  meta.tag.clear();
}

}  // namespace

// Every element of Observation (resources.hpp): a new one must be emptied here too: the size below changes with
// it, and DecodeObservationInPlace.AnEmptiedPlaceIsAFreshObservation checks the result against Observation{}.
static_assert(sizeof(Observation) == 1104,
              "an element was added to Observation: empty it in empty_keeping_memory");

void empty_keeping_memory(Observation& observation) {
  observation.id.clear();
  empty_keeping_memory(observation.meta);
  observation.contained_specimens.clear();
  observation.identifier.clear();
  observation.status.clear();
  observation.category.clear();
  empty_keeping_memory(observation.code);
  empty_keeping_memory(observation.subject);
  observation.effective_date_time.clear();
  observation.effective_period.reset();
  observation.issued.clear();
  observation.value_quantity.reset();
  observation.value_string.clear();
  observation.value_codeable_concept.reset();
  observation.value_date_time.clear();
  observation.data_absent_reason.reset();
  observation.interpretation.clear();
  observation.note.clear();
  observation.method.reset();
  observation.specimen.reset();
  observation.reference_range.clear();
  observation.derived_from.clear();
  observation.component.clear();
}

bool decode_observation_in_place(std::string_view json, const DecodeOptions& options, Observation& observation,
                                 DecodeResult<Resource>& result) {
  return decode_unpadded(json, options, result.value, nullptr, result.issues, nullptr, &observation);
}

// Where it lies, a text that decodes without error was read by simdjson only up to its last byte: the bytes after
// it (whatever they hold) only fill simdjson's reads of whole blocks. Anything else is decoded again from a copy
// with zeroed padding, so that an error is the one decode_observation_in_place reports.
bool decode_observation_where_it_lies(std::string_view json, const DecodeOptions& options,
                                      Observation& observation, DecodeResult<Resource>& result) {
  if (json.size() <= kLargeDocumentBytes) {
    const simdjson::padded_string_view where_it_lies(json.data(), json.size(), json.size() + kJsonPadding);
    if (decode_padded(where_it_lies, options, result.value, nullptr, result.issues, nullptr, &observation)) {
      return true;
    }
    if (result.value) return false;  // another resource, decoded without error
  }
  empty_keeping_memory(observation);
  result.value.reset();
  result.issues.clear();
  return decode_observation_in_place(json, options, observation, result);
}

DecodeResult<Bundle> decode_bundle(std::string_view json, const DecodeOptions& options) {
  return decode_bundle_keeping_entry_json(json, options, nullptr);
}

DecodeResult<Bundle> decode_bundle_keeping_entry_json(std::string_view json, const DecodeOptions& options,
                                                      std::vector<std::string>* entry_json) {
  DecodeResult<Bundle> result;
  std::optional<Resource> other;
  decode_unpadded(json, options, other, &result.value, result.issues, entry_json);
  if (other) {
    result.issues.push_back(DecodeIssue{DecodeIssue::Severity::error, "invalid", "resourceType",
                                        "expected a Bundle, found another resourceType"});
  }
  return result;
}

DecodeResult<Document> decode_document(std::string_view json, const DecodeOptions& options) {
  DecodeResult<Document> result;
  std::optional<Resource> resource;
  std::optional<Bundle> bundle;
  decode_unpadded(json, options, resource, &bundle, result.issues);
  if (bundle) {
    result.value = Document{std::move(*bundle)};
  } else if (resource) {
    result.value = Document{std::move(*resource)};
  }
  return result;
}

void decode_ndjson(std::string_view text, const DecodeOptions& options,
                   const std::function<void(std::size_t line_number, DecodeResult<Resource>&&)>& on_line) {
  // Each line is a document of its own (copied with padding by decode_unpadded), so malformed JSON on one line
  // cannot derail the next (a document stream may not recover after an error).
  for_each_ndjson_line(text, [&](std::size_t line_number, std::string_view line, std::size_t) {
    DecodeResult<Resource> result;
    decode_unpadded(line, options, result.value, nullptr, result.issues);
    on_line(line_number, std::move(result));
  });
}

}  // namespace gg::fhir
