#include "gateway/commands/input_index.hpp"

#include <string_view>
#include <unordered_map>
#include <utility>

#include "fhir/json_scan.hpp"

namespace gg::gateway {
namespace {

constexpr std::string_view kUuid = "urn:uuid:";
// Pages behind the scan are handed back every this many bytes (mapped_input.hpp).
constexpr std::size_t kReleaseEvery = std::size_t{8} << 20;

bool is_medication_use(std::string_view type) {
  return type == "MedicationStatement" || type == "MedicationAdministration" || type == "MedicationRequest";
}

// Subject references to small numbers, so each indexed resource carries 4 bytes of them.
class PatientNumbers {
 public:
  explicit PatientNumbers(std::vector<std::string>& keys) : keys_(keys) {}

  std::uint32_t number(std::string_view key) {
    if (auto found = numbers_.find(key); found != numbers_.end()) return found->second;
    const auto number = static_cast<std::uint32_t>(keys_.size());
    keys_.emplace_back(key);
    numbers_.emplace(keys_.back(), number);
    // The key twice (the list and the map), two string objects and a map node with its bucket.
    bytes_ += 2 * key.size() + 2 * sizeof(std::string) + 48;
    return number;
  }

  // About what the numbers hold in memory.
  std::size_t bytes() const { return bytes_; }

  void clear() {
    keys_.clear();
    numbers_.clear();
    bytes_ = 0;
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  std::vector<std::string>& keys_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> numbers_;
  std::size_t bytes_ = 0;
};

class Scanner {
 public:
  Scanner(InputIndex& index, const fhir::DecodeOptions& decode_options, const fhir::ScanOptions& scan_options,
          const ScanCallbacks& callbacks, std::size_t budget)
      : index_(index),
        decode_options_(decode_options),
        scan_options_(scan_options),
        callbacks_(callbacks),
        numbers_(index.patients),
        budget_(budget) {}

  // After the last input: a spilled index is spilled whole.
  void finish() {
    if (!index_.spilled.empty() && !index_.resources.empty()) spill();
    if (!index_.spilled.empty()) {
      index_.resources = {};
      index_.patients = {};
    }
  }

  void scan(std::uint32_t input) {
    const MappedInput& mapped = index_.inputs[input];
    const std::string& source = index_.sources[input];
    if (!mapped.ok()) {
      callbacks_.on_error(
          {source, 0}, {fhir::DecodeIssue{fhir::DecodeIssue::Severity::fatal, "not-found", "", mapped.error()}});
      return;
    }
    if (is_ndjson(source, mapped.text())) {
      scan_ndjson(input);
    } else {
      scan_document(input);
    }
    mapped.release_all();
  }

 private:
  // NDJSON: each line is scanned on its own, so a broken line never stops the next (STYLE.md).
  void scan_ndjson(std::uint32_t input) {
    const MappedInput& mapped = index_.inputs[input];
    std::size_t released = 0;
    fhir::for_each_ndjson_line(mapped.text(), [&](std::size_t number, std::string_view line, std::size_t offset) {
      resource(input, line, offset, static_cast<std::uint32_t>(number), 0);
      if (offset - released > kReleaseEvery) {
        mapped.release(released, offset);
        released = offset;
      }
    });
  }

  // One JSON document: a Bundle (its entries), or a single resource.
  void scan_document(std::uint32_t input) {
    const std::string_view text = index_.inputs[input].text();
    std::vector<fhir::ScannedEntry> entries;
    bool placeholders = false;
    const bool bundle = fhir::scan_bundle_entries(text, [&](const fhir::ScannedEntry& entry) {
      entries.push_back(entry);
      placeholders = placeholders || entry.full_url.substr(0, kUuid.size()) == kUuid;
    });
    if (bundle && !placeholders) {
      for (const auto& entry : entries) {
        if (entry.resource_json.empty()) continue;
        if (!resource_is_sound(entry.resource_json)) return decode_whole(input);
      }
      for (const auto& entry : entries) {
        if (entry.resource_json.empty()) continue;
        const auto offset = static_cast<std::size_t>(entry.resource_json.data() - text.data());
        resource(input, entry.resource_json, offset, 0, static_cast<std::uint32_t>(entry.index + 1));
      }
      return;
    }
    if (bundle || !document_is_resource(text)) return decode_whole(input);
    resource(input, text, 0, 0, 0);
  }

  // Whether an entry's resource scans cleanly; otherwise the whole Bundle is decoded so that its issues are
  // reported together, as before any scanning.
  bool resource_is_sound(std::string_view json) {
    fhir::scan_resource(json, scan_options_, scanned_);
    return !scanned_.broken;
  }

  bool document_is_resource(std::string_view text) {
    fhir::scan_resource(text, scan_options_, scanned_);
    return !scanned_.broken && scanned_.resource_type != "Bundle";
  }

  // The slow path, as before any scanning: decode the whole document, resolve placeholders, keep what is wanted
  // decoded.
  void decode_whole(std::uint32_t input) {
    const std::string& source = index_.sources[input];
    auto result = fhir::decode_document(index_.inputs[input].text(), decode_options_);
    if (!result.ok()) {
      callbacks_.on_error({source, 0}, result.issues);
      return;
    }
    if (auto* bundle = std::get_if<fhir::Bundle>(&result.value->content)) {
      std::vector<fhir::DecodeIssue> errors;
      for (const auto& issue : result.issues) {
        if (issue.severity != fhir::DecodeIssue::Severity::warning) errors.push_back(issue);
      }
      if (!errors.empty()) callbacks_.on_error({source, 0}, errors);
      resolve_placeholders(*bundle);
      for (auto& entry : bundle->entry) {
        if (entry.resource) keep_decoded(input, std::move(*entry.resource));
      }
      return;
    }
    keep_decoded(input, std::move(std::get<fhir::Resource>(result.value->content)));
  }

  void keep_decoded(std::uint32_t input, fhir::Resource&& resource) {
    IndexedResource indexed;
    indexed.input = input;
    indexed.owned = true;
    if (auto* observation = std::get_if<fhir::Observation>(&resource)) {
      indexed.kind = IndexedKind::observation;
      indexed.patient = numbers_.number(observation->subject.reference);
    } else if (auto* patient = std::get_if<fhir::Patient>(&resource)) {
      indexed.kind = IndexedKind::patient;
      indexed.patient = numbers_.number("Patient/" + patient->id);
    } else if (auto* use = std::get_if<fhir::MedicationUse>(&resource)) {
      indexed.kind = IndexedKind::medication_use;
      indexed.patient = numbers_.number(use->subject.reference);
    } else if (auto* medication = std::get_if<fhir::Medication>(&resource)) {
      ++index_.medication_resources;
      callbacks_.on_skipped("Medication");
      index_.medications.push_back(std::move(*medication));
      return;
    } else {
      callbacks_.on_skipped(fhir::resource_type(resource));
      return;
    }
    indexed.offset = index_.owned.size();
    index_.owned.push_back(std::move(resource));
    add(indexed);
  }

  void add(const IndexedResource& indexed) {
    index_.resources.push_back(indexed);
    if (index_.resources.size() * sizeof(IndexedResource) + numbers_.bytes() > budget_) spill();
  }

  void spill() {
    index_.spilled.spill(index_.resources, index_.patients);
    index_.resources.clear();  // the capacity stays: the next run fills the same budget
    numbers_.clear();
  }

  // One resource's bytes (a line, an entry, a document): recorded when wanted, counted otherwise.
  void resource(std::uint32_t input, std::string_view json, std::size_t offset, std::uint32_t line,
                std::uint32_t entry) {
    fhir::scan_resource(json, scan_options_, scanned_);
    IndexedResource indexed;
    indexed.offset = offset;
    indexed.length = static_cast<std::uint32_t>(json.size());
    indexed.input = input;
    indexed.line = line;
    indexed.entry = entry;
    const std::string& type = scanned_.resource_type;
    // Broken: decoding says what is wrong (and, rarely, finds a resource after all: then it is kept decoded).
    if (scanned_.broken) return decode_now(indexed, json);
    if (type == "Observation") {
      if (!scanned_.wanted) {
        callbacks_.on_skipped(type);
        return;
      }
      indexed.kind = IndexedKind::observation;
      indexed.patient = numbers_.number(scanned_.subject);
    } else if (type == "Patient") {
      indexed.kind = IndexedKind::patient;
      patient_key_.assign("Patient/").append(scanned_.id);
      indexed.patient = numbers_.number(patient_key_);
    } else if (is_medication_use(type)) {
      indexed.kind = IndexedKind::medication_use;
      indexed.patient = numbers_.number(scanned_.subject);
    } else if (type == "Medication") {
      return decode_now(indexed, json);
    } else {
      callbacks_.on_skipped(type);
      return;
    }
    add(indexed);
  }

  // Decodes a resource during the scan: reported when it does not decode, else kept decoded.
  void decode_now(const IndexedResource& indexed, std::string_view json) {
    auto result = fhir::decode_resource(json, decode_options_);
    if (!result.issues.empty() && !result.ok()) {
      callbacks_.on_error(location_of(index_, indexed), result.issues);
      return;
    }
    keep_decoded(indexed.input, std::move(*result.value));
  }

  InputIndex& index_;
  const fhir::DecodeOptions& decode_options_;
  const fhir::ScanOptions& scan_options_;
  const ScanCallbacks& callbacks_;
  PatientNumbers numbers_;
  std::size_t budget_;
  fhir::ScannedResource scanned_;
  std::string patient_key_;
};

// "Observation.valueQuantity" decoded on its own is "Bundle.entry[3].resource.valueQuantity" in its Bundle.
void place_in_bundle(std::vector<fhir::DecodeIssue>& issues, std::uint32_t entry) {
  const std::string prefix = "Bundle.entry[" + std::to_string(entry - 1) + "].resource";
  for (auto& issue : issues) {
    const auto dot = issue.path.find('.');
    if (issue.path.empty()) continue;
    issue.path = dot == std::string::npos ? prefix : prefix + issue.path.substr(dot);
  }
}

}  // namespace

InputIndex scan_inputs(const std::vector<std::string>& sources, const fhir::DecodeOptions& decode_options,
                       const fhir::ScanOptions& scan_options, const ScanCallbacks& callbacks,
                       std::size_t index_budget) {
  InputIndex index;
  index.sources = sources;
  index.inputs.reserve(sources.size());
  for (const auto& source : sources) index.inputs.emplace_back(source);
  Scanner scanner(index, decode_options, scan_options, callbacks, index_budget);
  for (std::uint32_t input = 0; input < sources.size(); ++input) scanner.scan(input);
  scanner.finish();
  return index;
}

InputLocation location_of(const InputIndex& index, const IndexedResource& resource) {
  return {index.sources[resource.input], resource.line};
}

fhir::DecodeResult<fhir::Resource> decode_indexed(const InputIndex& index, const IndexedResource& resource,
                                                  const fhir::DecodeOptions& options) {
  if (resource.owned) return fhir::DecodeResult<fhir::Resource>{index.owned[resource.offset], {}};
  // One named result, so it is returned in place (a decoded Observation is 1 KB of strings and lists).
  const std::string_view json = index.inputs[resource.input].text().substr(resource.offset, resource.length);
  auto result = fhir::decode_resource(json, options);
  if (resource.entry != 0) place_in_bundle(result.issues, resource.entry);
  return result;
}

}  // namespace gg::gateway
