#include "gateway/commands/input_index.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <string_view>
#include <thread>
#include <utility>

#include "fhir/json_scan.hpp"
#include "fhir/string_hash.hpp"

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
    // An input grouped by patient names the same subject line after line: compared before it is hashed.
    if (last_ && key == last_key_) return last_number_;
    std::uint32_t number = 0;
    if (auto found = numbers_.find(key); found != numbers_.end()) {
      number = found->second;
    } else {
      number = static_cast<std::uint32_t>(keys_.size());
      keys_.emplace_back(key);
      numbers_.emplace(keys_.back(), number);
      // The key twice (the list and the map), two string objects and a map node with its bucket.
      bytes_ += 2 * key.size() + 2 * sizeof(std::string) + 48;
    }
    last_key_.assign(key);
    last_number_ = number;
    last_ = true;
    return number;
  }

  // About what the numbers hold in memory.
  std::size_t bytes() const { return bytes_; }

  void clear() {
    keys_.clear();
    numbers_.clear();
    bytes_ = 0;
    last_ = false;
  }

 private:
  std::vector<std::string>& keys_;
  fhir::StringMap<std::uint32_t> numbers_;
  std::size_t bytes_ = 0;
  std::string last_key_;  // the key asked last, and its number
  std::uint32_t last_number_ = 0;
  bool last_ = false;
};

// A piece of an NDJSON input scanned on its own thread: its own index (resources, patients, owned, medications,
// runs) and its reports, kept until it is joined to the pieces before it.
struct ScannedPiece {
  InputIndex index;
  std::vector<std::pair<InputLocation, std::vector<fhir::DecodeIssue>>> errors;
  std::vector<std::pair<std::string, std::size_t>> skipped;  // by type, in the order first met
  std::size_t lines = 0;                                     // lines of the piece, blank ones included
  std::exception_ptr failure;                                // what the scan threw (a spill that failed)

  ScanCallbacks callbacks() {
    ScanCallbacks kept;
    kept.on_error = [this](const InputLocation& where, const std::vector<fhir::DecodeIssue>& issues) {
      errors.emplace_back(where, issues);
    };
    kept.on_skipped = [this](std::string_view type, std::size_t count) {
      auto found =
          std::find_if(skipped.begin(), skipped.end(), [&](const auto& kind) { return kind.first == type; });
      if (found == skipped.end()) found = skipped.emplace(skipped.end(), std::string(type), 0);
      found->second += count;
    };
    return kept;
  }
};

// Where, after the first line, each piece of `text` begins: at line ends near equal shares.
std::vector<std::size_t> piece_starts(std::string_view text, const ScanThreads& threads) {
  const std::size_t min_piece = std::max<std::size_t>(threads.min_piece, 1);
  const std::size_t pieces = std::min(threads.threads, text.size() / min_piece);
  std::vector<std::size_t> starts;
  for (std::size_t k = 1; k < pieces; ++k) {
    const std::size_t from = std::max(text.size() / pieces * k, starts.empty() ? 0 : starts.back());
    const std::size_t newline = text.find('\n', from);
    if (newline == std::string_view::npos || newline + 1 >= text.size()) break;
    if (starts.empty() || newline + 1 > starts.back()) starts.push_back(newline + 1);
  }
  return starts;
}

class Scanner {
 public:
  // Scans the inputs of `read` into `index` (the same index, but for a piece scanned on another thread).
  Scanner(InputIndex& index, const InputIndex& read, const fhir::DecodeOptions& decode_options,
          const fhir::ScanOptions& scan_options, const ScanCallbacks& callbacks, std::size_t budget,
          ScanThreads threads = {})
      : index_(index),
        read_(read),
        decode_options_(decode_options),
        scan_options_(scan_options),
        callbacks_(callbacks),
        numbers_(index.patients),
        budget_(budget),
        threads_(threads) {}

  // After the last input: a spilled index is spilled whole.
  void finish() {
    if (!index_.spilled.empty() && !index_.resources.empty()) spill();
    if (!index_.spilled.empty()) {
      index_.resources = {};
      index_.patients = {};
    }
  }

  void scan(std::uint32_t input) {
    const MappedInput& mapped = read_.inputs[input];
    const std::string& source = read_.sources[input];
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

  // The lines of input's text [begin, end), numbered from 1: each is scanned on its own, so a broken line never
  // stops the next (STYLE.md). Returns how many there were.
  std::size_t scan_lines(std::uint32_t input, std::size_t begin, std::size_t end) {
    const MappedInput& mapped = read_.inputs[input];
    std::size_t released = begin;
    const std::string_view text = mapped.text().substr(begin, end - begin);
    return fhir::for_each_ndjson_line(text, [&](std::size_t number, std::string_view line, std::size_t offset) {
      resource(input, line, begin + offset, static_cast<std::uint32_t>(number), 0);
      if (begin + offset - released > kReleaseEvery) {
        mapped.release(released, begin + offset);
        released = begin + offset;
      }
    });
  }

 private:
  // NDJSON: in pieces on threads of their own when it is large (ScanThreads), the first on this one.
  void scan_ndjson(std::uint32_t input) {
    const std::size_t size = read_.inputs[input].text().size();
    const std::vector<std::size_t> starts = piece_starts(read_.inputs[input].text(), threads_);
    if (starts.empty()) {
      scan_lines(input, 0, size);
      return;
    }
    // Each piece, this one's included, holds its share of the budget while they are scanned.
    const std::size_t budget = budget_;
    const std::size_t piece_budget = budget / (starts.size() + 1);
    budget_ = piece_budget;
    std::vector<ScannedPiece> pieces(starts.size());
    std::vector<std::thread> threads;
    threads.reserve(starts.size());
    for (std::size_t k = 0; k < starts.size(); ++k) {
      const std::size_t end = k + 1 < starts.size() ? starts[k + 1] : size;
      threads.emplace_back([&, k, end, piece_budget] {
        ScannedPiece& piece = pieces[k];
        try {
          const ScanCallbacks callbacks = piece.callbacks();
          Scanner scanner(piece.index, read_, decode_options_, scan_options_, callbacks, piece_budget);
          piece.lines = scanner.scan_lines(input, starts[k], end);
        } catch (...) {
          piece.failure = std::current_exception();
        }
      });
    }
    std::size_t lines = 0;
    std::exception_ptr failure;
    try {
      lines = scan_lines(input, 0, starts.front());
    } catch (...) {
      failure = std::current_exception();
    }
    for (auto& thread : threads) thread.join();
    budget_ = budget;
    if (failure) std::rethrow_exception(failure);
    for (auto& piece : pieces) {
      if (piece.failure) std::rethrow_exception(piece.failure);
      const std::size_t piece_lines = piece.lines;
      join(std::move(piece), lines);
      lines += piece_lines;
    }
  }

  // Adds a piece scanned on another thread after what this scanner holds, as if it had scanned it: its lines
  // follow the `lines_before` of the pieces before it, its patients take this index's numbers, its runs follow
  // this index's (what this one holds in memory is spilled first), and its reports are told now, in their order.
  void join(ScannedPiece&& piece, std::size_t lines_before) {
    InputIndex& joined = piece.index;
    const auto line_offset = static_cast<std::uint32_t>(lines_before);
    const std::uint64_t owned_offset = index_.owned.size();
    for (auto& [type, count] : piece.skipped) callbacks_.on_skipped(type, count);
    for (auto& [where, issues] : piece.errors) {
      if (where.line != 0) where.line += lines_before;
      callbacks_.on_error(where, issues);
    }
    std::move(joined.owned.begin(), joined.owned.end(), std::back_inserter(index_.owned));
    std::move(joined.medications.begin(), joined.medications.end(), std::back_inserter(index_.medications));
    index_.medication_resources += joined.medication_resources;
    if (!joined.spilled.empty()) {
      if (!index_.resources.empty()) spill();
      index_.spilled.append(std::move(joined.spilled), line_offset, owned_offset);
    }
    // The piece's patient numbers to this index's, looked up once each (afresh after a spill, which renumbers).
    constexpr std::uint32_t kUnknown = UINT32_MAX;
    std::vector<std::uint32_t> numbers(joined.patients.size(), kUnknown);
    for (IndexedResource resource : joined.resources) {
      shift(resource, line_offset, owned_offset);
      std::uint32_t& number = numbers[resource.patient];
      if (number == kUnknown) number = numbers_.number(joined.patients[resource.patient]);
      resource.patient = number;
      if (add(resource)) std::fill(numbers.begin(), numbers.end(), kUnknown);
    }
  }

  // One JSON document: a Bundle (its entries), or a single resource.
  void scan_document(std::uint32_t input) {
    const std::string_view text = read_.inputs[input].text();
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
    const std::string& source = read_.sources[input];
    auto result = fhir::decode_document(read_.inputs[input].text(), decode_options_);
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
      callbacks_.on_skipped("Medication", 1);
      index_.medications.push_back(std::move(*medication));
      return;
    } else {
      callbacks_.on_skipped(fhir::resource_type(resource), 1);
      return;
    }
    indexed.offset = index_.owned.size();
    index_.owned.push_back(std::move(resource));
    add(indexed);
  }

  // Whether the index was spilled (and its patients numbered afresh).
  bool add(const IndexedResource& indexed) {
    index_.resources.push_back(indexed);
    if (index_.resources.size() * sizeof(IndexedResource) + numbers_.bytes() <= budget_) return false;
    spill();
    return true;
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
        callbacks_.on_skipped(type, 1);
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
      callbacks_.on_skipped(type, 1);
      return;
    }
    add(indexed);
  }

  // Decodes a resource during the scan: reported when it does not decode, else kept decoded.
  void decode_now(const IndexedResource& indexed, std::string_view json) {
    auto result = fhir::decode_resource(json, decode_options_);
    if (!result.issues.empty() && !result.ok()) {
      callbacks_.on_error(location_of(read_, indexed), result.issues);
      return;
    }
    keep_decoded(indexed.input, std::move(*result.value));
  }

  InputIndex& index_;
  const InputIndex& read_;  // sources and inputs
  const fhir::DecodeOptions& decode_options_;
  const fhir::ScanOptions& scan_options_;
  const ScanCallbacks& callbacks_;
  PatientNumbers numbers_;
  std::size_t budget_;
  ScanThreads threads_;
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
                       std::size_t index_budget, ScanThreads threads) {
  InputIndex index;
  index.sources = sources;
  index.inputs.reserve(sources.size());
  for (const auto& source : sources) index.inputs.emplace_back(source);
  Scanner scanner(index, index, decode_options, scan_options, callbacks, index_budget, threads);
  for (std::uint32_t input = 0; input < sources.size(); ++input) scanner.scan(input);
  scanner.finish();
  return index;
}

InputLocation location_of(const InputIndex& index, const IndexedResource& resource) {
  return {index.sources[resource.input], resource.line};
}

bool decode_indexed_in_place(const InputIndex& index, const IndexedResource& resource,
                             const fhir::DecodeOptions& options, fhir::Observation& observation,
                             fhir::DecodeResult<fhir::Resource>& result) {
  if (resource.owned) {
    result = fhir::DecodeResult<fhir::Resource>{index.owned[resource.offset], {}};
    return false;
  }
  const std::string_view json = index.inputs[resource.input].text().substr(resource.offset, resource.length);
  const bool in_place = fhir::decode_observation_where_it_lies(json, options, observation, result);
  if (resource.entry != 0) place_in_bundle(result.issues, resource.entry);
  return in_place;
}

// The general form of decode_indexed_in_place: an Observation decoded in place is handed over as the result.
fhir::DecodeResult<fhir::Resource> decode_indexed(const InputIndex& index, const IndexedResource& resource,
                                                  const fhir::DecodeOptions& options) {
  fhir::DecodeResult<fhir::Resource> result;
  fhir::Observation observation;
  if (decode_indexed_in_place(index, resource, options, observation, result)) {
    result.value.emplace(std::move(observation));
  }
  return result;
}

}  // namespace gg::gateway
