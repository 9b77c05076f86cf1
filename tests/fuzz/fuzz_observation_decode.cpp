// Fuzzes the FHIR JSON decoder and encoder (fhir/json_codec.hpp): the same bytes go to decode_resource, to
// decode_bundle and to decode_ndjson. Besides "no crash and no sanitizer report", every input must keep these
// properties:
//   - a failed decode says why: at least one error or fatal issue; its OperationOutcome has at least one issue.
//     A successful decode_resource has no error or fatal issue ("any error or fatal issue leaves the value
//     absent"), a successful decode_bundle no fatal one (errors in entry resources are allowed, see the header);
//   - round trip: what decoded is encoded with to_json and decoded again; that decode succeeds without any issue
//     and gives the same value, up to what the encoder leaves out on purpose (normalised() below), and encoding it
//     again gives the same bytes;
//   - decode_ndjson decodes each non-blank line exactly as decode_resource decodes that line alone;
//   - what analyze decodes (DecodeOptions::keep_unanalysed_elements false) has the same issues and the same value,
//     but for what no analysis reads, which it leaves empty (check_not_kept below; fhir::DecodeOptions);
//   - taking elements that recur byte for byte (DecodeOptions::reuse_repeated_elements) gives what reading them
//     gives: the same value and issues, with the elements this thread remembers from every earlier input, and a
//     second time, when each of the input's own is taken (check_repeated below);
//   - an Observation decoded where the caller keeps it (decode_observation_in_place), into a place emptied after
//     the inputs before (empty_keeping_memory), is the one decode_resource gives, with the same issues
//     (check_in_place below); so is one decoded where it lies, whatever bytes follow it (check_where_it_lies);
//   - the scan that analyze runs before decoding agrees with the decoder (check_scan below).
// The encoder drops two things the decoder keeps, both of them invalid FHIR, so they are not compared:
//   - an optional complex element that is present but empty ("valueQuantity": {}): FHIR JSON has no empty objects
//     (R4 2.6.2) and the encoder leaves out elements without content;
//   - the second alternative of a choice element sent twice (valueQuantity and valueString, effectiveDateTime and
//     effectivePeriod): value[x] and effective[x] have cardinality 0..1 and the encoder writes one alternative.
// A broken property is printed and calls __builtin_trap() (check.hpp): libFuzzer reports a crash with this input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fhir/decode_result.hpp"
#include "fhir/json_codec.hpp"
#include "fhir/json_scan.hpp"
#include "fhir/resources.hpp"
#include "tests/fuzz/check.hpp"

namespace {

namespace fhir = gg::fhir;

// ---- What the encoder leaves out -------------------------------------------------------------------------------

template <typename T>
void drop_if_empty(std::optional<T>& element) {
  if (element && *element == T{}) element.reset();
}

// value[x] of an Observation or a component: the quantity wins, also an empty one (then nothing is written).
void normalise_value(std::optional<fhir::Quantity>& quantity, std::string& text) {
  if (quantity) text.clear();
  drop_if_empty(quantity);
}

void normalise(fhir::Observation& o) {
  if (!o.effective_date_time.empty()) o.effective_period.reset();
  drop_if_empty(o.effective_period);
  normalise_value(o.value_quantity, o.value_string);
  drop_if_empty(o.data_absent_reason);
  drop_if_empty(o.method);
  drop_if_empty(o.specimen);
  for (auto& range : o.reference_range) {
    drop_if_empty(range.low);
    drop_if_empty(range.high);
  }
  for (auto& component : o.component) normalise_value(component.value_quantity, component.value_string);
}

void normalise(fhir::RiskAssessment& r) {
  drop_if_empty(r.method);
  drop_if_empty(r.code);
  for (auto& prediction : r.prediction) {
    drop_if_empty(prediction.outcome);
    drop_if_empty(prediction.qualitative_risk);
  }
}

void normalise(fhir::CarePlan& c) {
  for (auto& activity : c.activity) drop_if_empty(activity.detail.code);
}

void normalise(fhir::Provenance& p) {
  drop_if_empty(p.activity);
  for (auto& agent : p.agent) drop_if_empty(agent.type);
}

template <typename Other>
void normalise(Other&) {}

fhir::Resource normalised(fhir::Resource resource) {
  std::visit([](auto& r) { normalise(r); }, resource);
  return resource;
}

fhir::Bundle normalised(fhir::Bundle bundle) {
  for (auto& entry : bundle.entry) {
    if (entry.resource) entry.resource = normalised(std::move(*entry.resource));
  }
  return bundle;
}

// ---- Properties ------------------------------------------------------------------------------------------------

std::size_t count(const std::vector<fhir::DecodeIssue>& issues, fhir::DecodeIssue::Severity severity) {
  std::size_t n = 0;
  for (const auto& issue : issues) n += issue.severity == severity ? 1 : 0;
  return n;
}

template <typename T>
void check_outcome(const fhir::DecodeResult<T>& result) {
  const std::size_t fatal = count(result.issues, fhir::DecodeIssue::Severity::fatal);
  const std::size_t errors = count(result.issues, fhir::DecodeIssue::Severity::error);
  if (!result.ok()) GG_FUZZ_CHECK(fatal + errors > 0);
  if (result.ok()) GG_FUZZ_CHECK(fatal == 0);
  const fhir::OperationOutcome outcome = fhir::to_operation_outcome(result.issues);
  GG_FUZZ_CHECK(!outcome.issue.empty());
  GG_FUZZ_CHECK(outcome.issue.size() == std::max<std::size_t>(result.issues.size(), 1));
}

void check_resource(std::string_view json) {
  const auto first = fhir::decode_resource(json);
  check_outcome(first);
  if (!first.ok()) return;
  GG_FUZZ_CHECK(count(first.issues, fhir::DecodeIssue::Severity::error) == 0);

  const std::string encoded = fhir::to_json(*first.value);
  const auto second = fhir::decode_resource(encoded);
  GG_FUZZ_CHECK(second.ok());
  GG_FUZZ_CHECK(second.issues.empty());
  // What was read survives the round trip, apart from what the encoder leaves out on purpose (normalised() names
  // the optional elements; items without content are left out of arrays too, which the re-encoding compares).
  const fhir::Resource expected = normalised(*first.value);
  GG_FUZZ_CHECK(*second.value == expected || fhir::to_json(expected) == encoded);
  GG_FUZZ_CHECK(fhir::to_json(*second.value) == encoded);
}

void check_bundle(std::string_view json) {
  const auto first = fhir::decode_bundle(json);
  check_outcome(first);
  if (!first.ok()) return;

  const std::string encoded = fhir::to_json(*first.value);
  const auto second = fhir::decode_bundle(encoded);
  GG_FUZZ_CHECK(second.ok());
  GG_FUZZ_CHECK(second.issues.empty());
  // What was read survives the round trip, apart from what the encoder leaves out on purpose (normalised() names
  // the optional elements; items without content are left out of arrays too, which the re-encoding compares).
  const fhir::Bundle expected = normalised(*first.value);
  GG_FUZZ_CHECK(*second.value == expected || fhir::to_json(expected) == encoded);
  GG_FUZZ_CHECK(fhir::to_json(*second.value) == encoded);
}

// NDJSON: every non-blank line decodes as decode_resource decodes that line on its own (decode_ndjson reuses one
// padded buffer for all lines, decode_resource copies each document).
void check_ndjson(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t position = 0; position < text.size();) {
    const std::size_t newline = std::min(text.find('\n', position), text.size());
    lines.push_back(text.substr(position, newline - position));
    position = newline + 1;
  }
  std::size_t calls = 0;
  fhir::decode_ndjson(text, {}, [&](std::size_t line_number, fhir::DecodeResult<fhir::Resource>&& result) {
    ++calls;
    GG_FUZZ_CHECK(line_number >= 1 && line_number <= lines.size());
    std::string_view line = lines[line_number - 1];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto alone = fhir::decode_resource(line);
    GG_FUZZ_CHECK(result.value == alone.value);
    GG_FUZZ_CHECK(result.issues.size() == alone.issues.size());
  });
  GG_FUZZ_CHECK(calls <= lines.size());
}

void check_same_issues(const std::vector<fhir::DecodeIssue>& a, const std::vector<fhir::DecodeIssue>& b) {
  GG_FUZZ_CHECK(a.size() == b.size());
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    GG_FUZZ_CHECK(a[i].severity == b[i].severity);
    GG_FUZZ_CHECK(a[i].code == b[i].code);
    GG_FUZZ_CHECK(a[i].path == b[i].path);
    GG_FUZZ_CHECK(a[i].message == b[i].message);
  }
}

// Not keeping what the analysis never reads changes what is stored, never what is reported.
void check_not_kept(std::string_view json) {
  fhir::DecodeOptions lean;
  lean.keep_unanalysed_elements = false;
  const auto full = fhir::decode_resource(json);
  const auto read = fhir::decode_resource(json, lean);
  GG_FUZZ_CHECK(full.ok() == read.ok());
  check_same_issues(full.issues, read.issues);
  if (!full.ok() || !read.ok()) return;
  fhir::Resource expected = *full.value;
  std::visit(
      [](auto& resource) {
        if constexpr (requires { resource.meta; }) {
          resource.meta.last_updated.clear();
          resource.meta.profile.clear();
          resource.meta.tag.clear();
        }
      },
      expected);
  if (auto* observation = std::get_if<fhir::Observation>(&expected)) {
    observation->identifier.clear();
    observation->category.clear();
    observation->interpretation.clear();
    observation->note.clear();
    for (auto& coding : observation->code.coding) coding.display.clear();
    if (observation->value_quantity) observation->reference_range.clear();
  }
  GG_FUZZ_CHECK(*read.value == expected);
}

// Elements taken as they were read before give what reading them gives, in resources and in a Bundle's entries.
void check_repeated(std::string_view json) {
  for (const bool keep : {false, true}) {
    fhir::DecodeOptions reading;
    reading.keep_unanalysed_elements = keep;
    fhir::DecodeOptions taking = reading;
    taking.reuse_repeated_elements = true;
    const auto read = fhir::decode_resource(json, reading);
    const auto read_bundle = fhir::decode_bundle(json, reading);
    for (int round = 0; round < 2; ++round) {
      const auto taken = fhir::decode_resource(json, taking);
      GG_FUZZ_CHECK(taken.value == read.value);
      check_same_issues(taken.issues, read.issues);
      const auto taken_bundle = fhir::decode_bundle(json, taking);
      GG_FUZZ_CHECK(taken_bundle.value == read_bundle.value);
      check_same_issues(taken_bundle.issues, read_bundle.issues);
    }
  }
}

// What a decode into the caller's place gave (true when the Observation is in `place`, and `result`) against what
// decode_resource gave for the same text: the same issues, and the same Observation or other value.
void check_same_outcome(bool in_place, const fhir::Observation& place,
                        const fhir::DecodeResult<fhir::Resource>& result,
                        const fhir::DecodeResult<fhir::Resource>& decoded) {
  check_same_issues(result.issues, decoded.issues);
  const auto* observation = decoded.value ? std::get_if<fhir::Observation>(&*decoded.value) : nullptr;
  GG_FUZZ_CHECK(in_place == (observation != nullptr));
  if (in_place) {
    GG_FUZZ_CHECK(!result.value && place == *observation);
  } else {
    GG_FUZZ_CHECK(result.value == decoded.value);
  }
}

// An Observation decoded where the caller keeps it (decode_observation_in_place, as analyze decodes) is the one
// decode_resource gives, with the same issues; anything else is what decode_resource gives.
void check_in_place(std::string_view json) {
  for (const bool keep : {false, true}) {
    fhir::DecodeOptions options;
    options.keep_unanalysed_elements = keep;
    const auto decoded = fhir::decode_resource(json, options);
    // The same place for every input, emptied each time, as analyze reuses its places patient after patient.
    static fhir::Observation place;
    fhir::empty_keeping_memory(place);
    fhir::DecodeResult<fhir::Resource> result;
    const bool in_place = fhir::decode_observation_in_place(json, options, place, result);
    check_same_outcome(in_place, place, result, decoded);
  }
}

// Decoded where it lies (decode_observation_where_it_lies, as analyze decodes a mapped input's lines), the first
// part of the input, followed by the rest of it and padding that is not zero, decodes as that part alone: the
// bytes after a text never complete or change it.
void check_where_it_lies(std::string_view input) {
  const std::size_t cut = input.empty() ? 0 : static_cast<unsigned char>(input.front()) % (input.size() + 1);
  for (const std::size_t length : {input.size(), cut, input.size() / 2}) {
    const std::string_view json = input.substr(0, length);
    const auto decoded = fhir::decode_resource(json);
    std::string buffer(input);
    buffer.append(fhir::kJsonPadding, '1');
    static fhir::Observation place;
    fhir::empty_keeping_memory(place);
    fhir::DecodeResult<fhir::Resource> result;
    const bool lies =
        fhir::decode_observation_where_it_lies(std::string_view(buffer).substr(0, length), {}, place, result);
    check_same_outcome(lies, place, result, decoded);
  }
}

}  // namespace

// resourceType of a decoded resource (fhir::resource_type is in resources.cpp, which this build leaves out).
std::string type_of(const fhir::Resource& resource) {
  if (const auto* use = std::get_if<fhir::MedicationUse>(&resource)) return use->resource_type;
  if (const auto* other = std::get_if<fhir::OtherResource>(&resource)) return other->resource_type;
  static constexpr const char* kNames[] = {"Observation",      "Patient",   "",           "Medication",
                                           "RiskAssessment",   "CarePlan",  "Provenance", "Subscription",
                                           "OperationOutcome", "ConceptMap"};
  return kNames[resource.index()];
}

// The scan that runs before decoding in analyze (fhir/json_scan.hpp) agrees with the decoder on what decodes: such
// a resource scans as not broken and of the same type. A Bundle's entries, scanned where they lie (the text
// followed by the zero padding scan_bundle_entries needs), lie inside the text.
void check_scan(std::string_view json) {
  fhir::ScannedResource scanned;
  fhir::scan_resource(json, {}, scanned);
  const auto decoded = fhir::decode_resource(json);
  // On-Demand validates what it walks: the scan walks other parts of malformed JSON than the decoder, so either
  // may call a malformed text broken alone. A text the scan calls broken is decoded (input_index.cpp), so nothing
  // is lost; one both read must be of the same type.
  if (decoded.ok() && !scanned.broken) GG_FUZZ_CHECK(scanned.resource_type == type_of(*decoded.value));
  std::string padded(json);
  padded.append(fhir::kJsonPadding, '\0');
  const std::string_view view(padded.data(), json.size());
  bool entries_ok = true;
  fhir::scan_bundle_entries(view, [&](const fhir::ScannedEntry& entry) {
    entries_ok =
        entries_ok && (entry.resource_json.empty() ||
                       (entry.resource_json.data() >= view.data() &&
                        entry.resource_json.data() + entry.resource_json.size() <= view.data() + view.size()));
  });
  GG_FUZZ_CHECK(entries_ok);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  check_resource(json);
  check_bundle(json);
  check_ndjson(json);
  check_not_kept(json);
  check_repeated(json);
  check_in_place(json);
  check_where_it_lies(json);
  check_scan(json);
  return 0;
}
