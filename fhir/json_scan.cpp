// The scan of json_scan.hpp: one On-Demand walk over the top-level properties, values skipped unless named.
// Skipping costs a walk over simdjson's structural index, not a parse: nothing is unescaped or copied but the few
// strings read.
#include "fhir/json_scan.hpp"

#include <simdjson.h>

#include <cstring>
#include <string>

namespace gg::fhir {
namespace {

namespace od = simdjson::ondemand;

static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING, "kJsonPadding must cover simdjson's padding");

// One parser per thread for resources, another for the Bundles whose entries are scanned with the first.
od::parser& resource_parser() {
  thread_local od::parser parser;
  return parser;
}

od::parser& bundle_parser() {
  thread_local od::parser parser;
  return parser;
}

simdjson::padded_string_view padded(std::string_view json) {
  return simdjson::padded_string_view(json.data(), json.size(), json.size() + kJsonPadding);
}

// Observation.code: wanted when any coding is, or when the code cannot be read (decoding reports why).
bool code_wanted(od::value& code, const ScanOptions& options) {
  od::object object;
  if (code.get_object().get(object) != simdjson::SUCCESS) return true;
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) return true;
    if (field.key() != "coding") continue;
    od::array codings;
    if (field.value().get_array().get(codings) != simdjson::SUCCESS) return true;
    bool wanted = false;
    for (auto element : codings) {
      od::object coding;
      if (element.get_object().get(coding) != simdjson::SUCCESS) return true;
      std::string_view system;
      std::string_view value;
      for (auto part_result : coding) {
        od::field part;
        if (std::move(part_result).get(part) != simdjson::SUCCESS) return true;
        if (part.key() == "system") {
          if (part.value().get_string().get(system) != simdjson::SUCCESS) return true;
        } else if (part.key() == "code") {
          if (part.value().get_string().get(value) != simdjson::SUCCESS) return true;
        }
      }
      // Every coding is read to its end even when one was wanted, so that a malformed one is still seen.
      if (!wanted && options.coding_wanted(system, value)) wanted = true;
    }
    return wanted;
  }
  return false;
}

// subject.reference, or "" when there is none or it is not a string (decoding reports the latter).
void read_subject(od::value& subject, std::string& out) {
  od::object object;
  if (subject.get_object().get(object) != simdjson::SUCCESS) return;
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) return;
    if (field.key() != "reference") continue;
    std::string_view reference;
    if (field.value().get_string().get(reference) == simdjson::SUCCESS) out.assign(reference);
    return;
  }
}

// On-Demand stops after the root object: a location after it means trailing content, which is not JSON (one
// resource per text, R4 2.6.2). At the end current_location answers an out-of-bounds error.
bool at_end(od::document& document) {
  const char* trailing = nullptr;
  return document.current_location().get(trailing) != simdjson::SUCCESS;
}

bool has_subject(std::string_view type) {
  return type == "Observation" || type == "MedicationStatement" || type == "MedicationAdministration" ||
         type == "MedicationRequest";
}

}  // namespace

void scan_resource(std::string_view json, const ScanOptions& options, ScannedResource& out) {
  out.resource_type.clear();
  out.id.clear();
  out.subject.clear();
  out.wanted = false;
  out.broken = true;

  // Copied with zeroed padding, as the decoder does (json_reader.cpp decode_unpadded): then a malformed text is
  // judged the same whatever followed it in the input.
  thread_local std::string buffer;
  buffer.resize(json.size() + kJsonPadding);
  if (!json.empty()) std::memcpy(buffer.data(), json.data(), json.size());
  std::memset(buffer.data() + json.size(), 0, kJsonPadding);
  od::document document;
  if (resource_parser().iterate(padded({buffer.data(), json.size()})).get(document) != simdjson::SUCCESS) return;
  od::object object;
  if (document.get_object().get(object) != simdjson::SUCCESS) return;
  // Properties are read in document order. resourceType comes first in what servers write (R4 2.6.2's examples,
  // HAPI), so code and subject are normally met knowing the type; when it comes later they are read anyway and
  // judged at the end.
  bool code_seen = false;
  bool code_is_wanted = false;
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) return;
    const auto key = field.key();
    if (key == "resourceType") {
      // The first one names the type, as for the decoder; a repeated one is skipped.
      if (!out.resource_type.empty()) continue;
      std::string_view type;
      if (field.value().get_string().get(type) != simdjson::SUCCESS) return;
      out.resource_type.assign(type);
    } else if (key == "id") {
      std::string_view id;
      if (field.value().get_string().get(id) == simdjson::SUCCESS) out.id.assign(id);
    } else if (key == "code" && (out.resource_type.empty() || out.resource_type == "Observation")) {
      od::value code = field.value();
      code_seen = true;
      code_is_wanted = !options.coding_wanted || code_wanted(code, options);
    } else if (key == "subject" && (out.resource_type.empty() || has_subject(out.resource_type))) {
      od::value subject = field.value();
      read_subject(subject, out.subject);
    } else {
      continue;
    }
    // A wanted Observation whose subject is known is decoded afterwards, and its decode reads every property:
    // the rest of it is not walked twice (most of its bytes: value, interpretation, reference range, notes).
    // Malformed JSON after this point is then reported when the Observation is decoded, with its patient.
    if (code_seen && code_is_wanted && !out.subject.empty() && out.resource_type == "Observation") {
      out.wanted = true;
      out.broken = false;
      return;
    }
  }
  if (!at_end(document)) return;
  if (out.resource_type.empty()) return;
  if (out.resource_type == "Observation") out.wanted = !options.coding_wanted || !code_seen || code_is_wanted;
  if (!has_subject(out.resource_type)) out.subject.clear();
  out.broken = false;
}

std::size_t for_each_ndjson_line(
    std::string_view text,
    const std::function<void(std::size_t number, std::string_view line, std::size_t offset)>& on_line) {
  std::size_t number = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    const std::size_t newline = text.find('\n', position);
    const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    std::string_view line = text.substr(position, end - position);
    const std::size_t offset = position;
    position = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    on_line(number, line, offset);
  }
  return number;
}

bool scan_bundle_entries(std::string_view json, const std::function<void(const ScannedEntry&)>& on_entry) {
  od::document document;
  if (bundle_parser().iterate(padded(json)).get(document) != simdjson::SUCCESS) return false;
  od::object bundle;
  if (document.get_object().get(bundle) != simdjson::SUCCESS) return false;
  bool is_bundle = false;
  for (auto field_result : bundle) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) return false;
    if (field.key() == "resourceType") {
      std::string_view type;
      if (field.value().get_string().get(type) != simdjson::SUCCESS) return false;
      is_bundle = type == "Bundle";
      continue;
    }
    if (field.key() != "entry") continue;
    od::array entries;
    if (field.value().get_array().get(entries) != simdjson::SUCCESS) return false;
    std::size_t index = 0;
    for (auto element : entries) {
      od::object entry;
      if (element.get_object().get(entry) != simdjson::SUCCESS) return false;
      ScannedEntry scanned;
      scanned.index = index++;
      for (auto part_result : entry) {
        od::field part;
        if (std::move(part_result).get(part) != simdjson::SUCCESS) return false;
        if (part.key() == "fullUrl") {
          if (part.value().get_string().get(scanned.full_url) != simdjson::SUCCESS) return false;
        } else if (part.key() == "resource") {
          od::object resource;
          if (part.value().get_object().get(resource) != simdjson::SUCCESS) return false;
          std::string_view raw;
          if (resource.raw_json().get(raw) != simdjson::SUCCESS) return false;
          // raw_json runs to the next token: the object ends at the last "}" before it.
          const auto last = raw.find_last_of('}');
          if (last == std::string_view::npos) return false;
          scanned.resource_json = raw.substr(0, last + 1);
          // In malformed JSON the next token can lie in the padding (found by fuzzing): then it is not an object
          // of this text.
          if (scanned.resource_json.data() < json.data() ||
              scanned.resource_json.data() + scanned.resource_json.size() > json.data() + json.size()) {
            return false;
          }
        }
      }
      on_entry(scanned);
    }
  }
  return is_bundle && at_end(document);
}

}  // namespace gg::fhir
