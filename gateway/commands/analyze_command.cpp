#include "gateway/commands/analyze_command.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <thread>

#include "analytics/analysis.hpp"
#include "gateway/commands/input_index.hpp"
#include "gateway/pipeline/patient_analysis.hpp"
#include "gateway/pipeline/rejections.hpp"
#include "gateway/pipeline/write_back.hpp"
#include "gateway/ui/page.hpp"
#include "gateway/ui/patient_page.hpp"

namespace gg::gateway {
namespace {

std::string location_text(const InputLocation& where) {
  return where.line == 0 ? where.source : where.source + ":" + std::to_string(where.line);
}

// One OperationOutcome line on standard error for an unusable input.
void report(std::ostream& err, fhir::OperationOutcome outcome) {
  err << fhir::to_json(fhir::Resource{std::move(outcome)}) << '\n';
}

std::string outcome_line(const InputLocation& where, const std::vector<fhir::DecodeIssue>& issues) {
  auto outcome = fhir::to_operation_outcome(issues);
  for (auto& issue : outcome.issue) issue.diagnostics = location_text(where) + ": " + issue.diagnostics;
  return fhir::to_json(fhir::Resource{std::move(outcome)}) + '\n';
}

void add(AnalyzeSummary& into, const AnalyzeSummary& part) {
  into.resources += part.resources;
  into.hormone_results += part.hormone_results;
  into.skipped += part.skipped;
  for (const auto& [type, count] : part.skipped_by_type) into.skipped_by_type[type] += count;
  into.rejected += part.rejected;
  into.patients += part.patients;
  into.written += part.written;
}

// What one patient's analysis gives besides its printed write-back: the write-back as entries (analyze_inputs),
// the lines for standard error and the counts, merged in patient order so that every run prints the same.
struct PatientOutput {
  std::string subject;
  std::vector<fhir::BundleEntry> entries;  // when kept as values
  std::string errors;
  AnalyzeSummary counts;
  std::string page;  // --html: the patient's view (ui/patient_page.hpp), JSON
};

// A batch of patients, in order: each one's output, and the printed write-back of them all in one text (a Bundle's
// entries joined by ",", or NDJSON lines).
struct BatchOutput {
  std::vector<PatientOutput> patients;
  std::string json;
};

enum class OutputForm { values, bundle_entries, ndjson };

class PatientAnalyzer {
 public:
  PatientAnalyzer(const LoadedKnowledge& knowledge, const AnalyzeOptions& options, const InputIndex& index)
      : knowledge_(knowledge), options_(options), index_(index), decode_options_(knowledge.decode_options()) {
    decode_options_.keep_unanalysed_elements = false;  // the results are analysed, never written back
    decode_options_.reuse_repeated_elements = true;    // thousands of results of a few labs and analytes
    decode_options_.max_depth = 0;                     // the operator's own lines; see DecodeOptions
  }

  // `json`: where the printed write-back is appended (forms bundle_entries and ndjson); a Bundle's entries are
  // separated from what is there already by ",".
  PatientOutput analyze(PatientResources&& patient, OutputForm form, std::string& json) const {
    PatientOutput output;
    output.subject = std::move(patient.subject);
    AnalyzeSummary& counts = output.counts;
    PatientContext context;
    // The places this thread decoded its last patient's Observations into, taken over and given back however
    // this patient ends: emptied for each decode (fhir::empty_keeping_memory), their strings keep their memory.
    thread_local std::vector<fhir::Observation> kept_places;
    context.observations.swap(kept_places);
    const struct GiveBack {
      std::vector<fhir::Observation>& places;
      std::vector<fhir::Observation>& kept;
      ~GiveBack() { kept.swap(places); }
    } give_back{context.observations, kept_places};
    std::optional<fhir::Patient> patient_resource;
    std::size_t decoded_bytes = 0;
    std::size_t used = 0;  // places holding this patient's Observations, from the first
    context.observations.reserve(patient.resources.size());
    for (const IndexedResource& indexed : patient.resources) {
      decoded_bytes += indexed.length;
      // Decoded where the analysis reads it; a place that took no usable Observation is emptied for the next.
      if (used == context.observations.size()) {
        context.observations.emplace_back();
      } else {
        fhir::empty_keeping_memory(context.observations[used]);
      }
      fhir::DecodeResult<fhir::Resource> result;
      if (decode_indexed_in_place(index_, indexed, decode_options_, context.observations[used], result)) {
        ++used;
        ++counts.resources;
        continue;
      }
      if (!result.issues.empty() && !result.ok()) {
        ++counts.rejected;
        output.errors += outcome_line(location_of(index_, indexed), result.issues);
        continue;
      }
      ++counts.resources;
      fhir::Resource& resource = *result.value;
      if (auto* observation = std::get_if<fhir::Observation>(&resource)) {
        context.observations[used++] = std::move(*observation);  // one the scan kept decoded: the next place
      } else if (auto* found = std::get_if<fhir::Patient>(&resource)) {
        ++counts.skipped;
        ++counts.skipped_by_type["Patient"];
        patient_resource = std::move(*found);
      } else if (auto* medication = std::get_if<fhir::MedicationUse>(&resource)) {
        // Context for dose timing, like the Patient: counted with the resources that are not hormone results.
        ++counts.skipped;
        ++counts.skipped_by_type[medication->resource_type];
        context.medications.push_back(std::move(*medication));
      } else {
        ++counts.skipped;
        ++counts.skipped_by_type[std::string(fhir::resource_type(resource))];
      }
    }
    release_read_pages(decoded_bytes);
    context.observations.resize(used);
    if (context.observations.empty()) return output;
    fhir::resolve_medication_references(context.medications, index_.medications);
    if (patient_resource) context.facts = analytics::patient_facts(*patient_resource);
    context.facts.reference = output.subject;
    analytics::Analysis analysis;
    if (form == OutputForm::values) {
      auto analyzed = analyze_patient(context, knowledge_, options_.as_of);
      analysis = std::move(analyzed.analysis);
      counts.written += analyzed.entries.size();
      output.entries = std::move(analyzed.entries);
    } else {
      const auto json_form = form == OutputForm::ndjson ? WriteBackForm::ndjson : WriteBackForm::bundle_entries;
      const std::size_t before = json.size();
      if (json_form == WriteBackForm::bundle_entries && before > 0) json += ',';
      auto analyzed = analyze_patient_json(context, knowledge_, options_.as_of, json_form, json);
      if (analyzed.written == 0) json.resize(before);
      analysis = std::move(analyzed.analysis);
      counts.written += analyzed.written;
    }
    if (!options_.html.empty() && !analysis.measurements.empty()) {
      // Offline: no derived Observations from a server; the series hold the values computed now.
      output.page = patient_page_json({context, analysis, {}, knowledge_, options_.as_of});
    }
    counts.hormone_results += analysis.measurements.size();
    counts.skipped += analysis.skipped;
    if (analysis.skipped > 0) counts.skipped_by_type["Observation (not a hormone)"] += analysis.skipped;
    if (!analysis.measurements.empty() || !analysis.rejections.empty()) ++counts.patients;
    for (const auto& rejected : analysis.rejections) {
      ++counts.rejected;
      output.errors += fhir::to_json(fhir::Resource{rejection_outcome(rejected)}) + '\n';
    }
    // This thread's next patient normalises into them, as it decodes into the Observations' places.
    analytics::recycle_measurements(std::move(analysis.measurements));
    return output;
  }

 private:
  // Pages of the mapped inputs stay resident once decoded from: every so many bytes decoded, all are handed back
  // (mapped_input.hpp), so memory holds what is being analysed, not the inputs. A page another thread is reading
  // is simply read again from the page cache.
  void release_read_pages(std::size_t bytes) const {
    constexpr std::size_t kReleaseEvery = std::size_t{8} << 20;
    const std::size_t before = decoded_bytes_.fetch_add(bytes);
    if (before / kReleaseEvery == (before + bytes) / kReleaseEvery) return;
    for (const auto& input : index_.inputs) input.release_all();
  }

  const LoadedKnowledge& knowledge_;
  const AnalyzeOptions& options_;
  const InputIndex& index_;
  fhir::DecodeOptions decode_options_;
  mutable std::atomic<std::size_t> decoded_bytes_{0};
};

// The patients of the index one after another, in the order of their references, each with its resources: from
// the index in memory, or merged from its spilled runs. Not thread-safe: analyze_in_order calls it under its lock.
class PatientSource {
 public:
  explicit PatientSource(InputIndex& index) : index_(index) {
    if (index.spilled.empty()) groups_ = group_by_patient(index.resources, index.patients);
  }

  std::optional<PatientResources> next() {
    if (!index_.spilled.empty()) return index_.spilled.next();
    if (rank_ >= groups_.patients.size()) return std::nullopt;
    const std::uint32_t patient = groups_.patients[rank_++];
    PatientResources out;
    out.subject = index_.patients[patient];
    out.resources.reserve(groups_.begin[patient + 1] - groups_.begin[patient]);
    for (std::size_t i = groups_.begin[patient]; i < groups_.begin[patient + 1]; ++i) {
      out.resources.push_back(index_.resources[groups_.order[i]]);
    }
    return out;
  }

 private:
  InputIndex& index_;
  PatientGroups groups_;
  std::size_t rank_ = 0;
};

// Texts of batches already written, kept for the next batches (BatchOutput::json): a worker takes one instead of
// allocating its own, so the megabytes written are not freed and faulted in again batch after batch.
class SpareTexts {
 public:
  std::string take() {
    std::lock_guard lock(mutex_);
    if (spare_.empty()) return {};
    std::string text = std::move(spare_.back());
    spare_.pop_back();
    return text;
  }
  void give(std::string&& text) {
    constexpr std::size_t kLargest = std::size_t{4} << 20;  // a batch's text above this is freed, not kept
    if (text.capacity() > kLargest) return;
    text.clear();
    std::lock_guard lock(mutex_);
    spare_.push_back(std::move(text));
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> spare_;
};

// Replaces `batch` with the next patients of `source`, at most 48; false when the source has run out (the batch
// may still hold its last patients).
bool take_batch(PatientSource& source, std::vector<PatientResources>& batch) {
  constexpr std::size_t kBatch = 48;
  batch.clear();
  while (batch.size() < kBatch) {
    auto patient = source.next();
    if (!patient) return false;
    batch.push_back(std::move(*patient));
  }
  return true;
}

// Analyses `batch` in order into one BatchOutput whose text is `text` (emptied).
BatchOutput analyze_batch(const PatientAnalyzer& analyzer, std::vector<PatientResources>& batch, OutputForm form,
                          std::string&& text) {
  BatchOutput output;
  output.patients.reserve(batch.size());
  output.json = std::move(text);
  output.json.clear();
  for (PatientResources& patient : batch) {
    output.patients.push_back(analyzer.analyze(std::move(patient), form, output.json));
  }
  return output;
}

// Runs the analyzer over every patient of `source` on `jobs` threads and hands the outputs to `emit` a batch at a
// time, in the source's order. Workers take patients in batches and the emitter takes every batch ready in order
// at once, so threads meet (and wake each other) once per batch, not once per patient. At most a window of batches
// ahead of the one being emitted is analysed, so memory holds a few outputs, not all.
void analyze_in_order(const PatientAnalyzer& analyzer, PatientSource& source, OutputForm form, std::size_t jobs,
                      const std::function<void(BatchOutput&)>& emit) {
  SpareTexts spare;
  if (jobs <= 1) {
    std::vector<PatientResources> batch;
    for (bool more = true; more;) {
      more = take_batch(source, batch);
      if (batch.empty()) break;
      BatchOutput output = analyze_batch(analyzer, batch, form, spare.take());
      emit(output);
      spare.give(std::move(output.json));
    }
    return;
  }
  const std::size_t window = jobs * 3;
  std::mutex mutex;               // guards source, next, exhausted, emitted and slots
  std::condition_variable room;   // workers wait for a batch to fit in the window
  std::condition_variable ready;  // the emitter waits for the next batch in order
  std::size_t next = 0;           // rank of the next batch taken from the source
  bool exhausted = false;
  std::size_t emitted = 0;
  std::deque<std::optional<BatchOutput>> slots;  // slots[i] is batch emitted + i
  std::vector<std::thread> workers;
  for (std::size_t j = 0; j < jobs; ++j) {
    workers.emplace_back([&] {
      std::vector<PatientResources> batch;
      for (;;) {
        std::size_t rank = 0;
        {
          std::unique_lock lock(mutex);
          room.wait(lock, [&] { return exhausted || next < emitted + window; });
          if (exhausted) return;
          exhausted = !take_batch(source, batch);
          if (exhausted) room.notify_all();  // the other workers: nothing is left to take
          if (batch.empty()) {
            ready.notify_one();  // the emitter may be waiting for the end
            return;
          }
          rank = next++;
        }
        BatchOutput output = analyze_batch(analyzer, batch, form, spare.take());
        bool first_in_line = false;
        {
          std::lock_guard lock(mutex);
          const std::size_t at = rank - emitted;
          if (slots.size() <= at) slots.resize(at + 1);
          slots[at] = std::move(output);
          first_in_line = at == 0;
        }
        if (first_in_line) ready.notify_one();
      }
    });
  }
  std::vector<BatchOutput> taken;
  for (;;) {
    taken.clear();
    {
      std::unique_lock lock(mutex);
      ready.wait(lock,
                 [&] { return (!slots.empty() && slots.front().has_value()) || (exhausted && emitted == next); });
      while (!slots.empty() && slots.front().has_value()) {
        taken.push_back(std::move(*slots.front()));
        slots.pop_front();
        ++emitted;
      }
      if (taken.empty()) break;  // exhausted, and everything taken was emitted
    }
    room.notify_all();
    for (BatchOutput& output : taken) {
      emit(output);
      spare.give(std::move(output.json));
    }
  }
  for (auto& worker : workers) worker.join();
}

std::size_t job_count(const AnalyzeOptions& options) {
  if (options.jobs > 0) return options.jobs;
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

// Scans the inputs, counting and reporting what the scan decides.
InputIndex scan(const LoadedKnowledge& knowledge, const AnalyzeOptions& options, std::ostream& err,
                AnalyzeSummary& summary) {
  ScanCallbacks callbacks;
  callbacks.on_error = [&](const InputLocation& where, const std::vector<fhir::DecodeIssue>& issues) {
    ++summary.rejected;
    err << outcome_line(where, issues);
  };
  callbacks.on_skipped = [&](std::string_view type, std::size_t count) {
    summary.resources += count;
    summary.skipped += count;
    summary.skipped_by_type[std::string(type)] += count;
  };
  return scan_inputs(options.inputs, knowledge.decode_options(), knowledge.scan_options(), callbacks,
                     options.index_budget, ScanThreads{job_count(options), options.scan_piece});
}

}  // namespace

std::vector<PatientWriteBack> analyze_inputs(const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                                             std::ostream& err, AnalyzeSummary& summary) {
  InputIndex index = scan(knowledge, options, err, summary);
  PatientSource source(index);
  const PatientAnalyzer analyzer(knowledge, options, index);
  std::vector<PatientWriteBack> written_back;
  analyze_in_order(analyzer, source, OutputForm::values, job_count(options), [&](BatchOutput& batch) {
    for (PatientOutput& output : batch.patients) {
      err << output.errors;
      add(summary, output.counts);
      if (!output.entries.empty()) written_back.push_back({output.subject, std::move(output.entries)});
    }
  });
  return written_back;
}

std::string summary_text(const AnalyzeSummary& summary) {
  std::string text = "analyze: read " + std::to_string(summary.resources) + ", hormone results " +
                     std::to_string(summary.hormone_results) + ", skipped " + std::to_string(summary.skipped);
  if (!summary.skipped_by_type.empty()) {
    text += " (";
    bool first = true;
    for (const auto& [type, count] : summary.skipped_by_type) {
      text += (first ? "" : ", ") + type + " " + std::to_string(count);
      first = false;
    }
    text += ")";
  }
  text += ", rejected " + std::to_string(summary.rejected) + ", patients " + std::to_string(summary.patients) +
          ", written " + std::to_string(summary.written);
  return text;
}

int run_analyze(const LoadedKnowledge& knowledge, const AnalyzeOptions& options, std::ostream& out,
                std::ostream& err, AnalyzeSummary* summary_out) {
  AnalyzeSummary summary;
  InputIndex index = scan(knowledge, options, err, summary);
  PatientSource source(index);
  const PatientAnalyzer analyzer(knowledge, options, index);

  // The transaction Bundle is written as its entries come: the same bytes as fhir::to_json of the whole Bundle
  // (type, then entry; no entry array when there is no entry).
  constexpr std::string_view kBundleStart = R"({"resourceType":"Bundle","type":"transaction")";
  // A batch's text is written as it comes, in one piece (BatchOutput).
  const auto write = [&](std::string_view text) {
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  };
  // The offline report, written as the patients come: the page, its data array, then the page's end.
  std::ofstream report_file;
  PageParts report_page;
  bool any_page = false;
  if (!options.html.empty()) {
    report_file.open(options.html, std::ios::binary | std::ios::trunc);
    if (!report_file) {
      err << "analyze: cannot write the report " << options.html << "\n";
      return 2;
    }
    report_page = page_parts(PageKind::report, "Gradient Gateway: patient report", "");
    report_file << report_page.before_data << '[';
  }
  bool any_entry = false;
  if (!options.ndjson) write(kBundleStart);
  const OutputForm form = options.ndjson ? OutputForm::ndjson : OutputForm::bundle_entries;
  analyze_in_order(analyzer, source, form, job_count(options), [&](BatchOutput& batch) {
    for (const PatientOutput& output : batch.patients) {
      err << output.errors;
      add(summary, output.counts);
      if (report_file.is_open() && !output.page.empty()) {
        if (any_page) report_file << ',';
        report_file << script_data(output.page);
        any_page = true;
      }
    }
    if (batch.json.empty()) return;
    if (!options.ndjson) write(any_entry ? "," : R"(,"entry":[)");
    any_entry = true;
    write(batch.json);
  });
  if (!options.ndjson) write(any_entry ? "]}\n" : "}\n");
  out.flush();
  if (report_file.is_open()) {
    report_file << ']' << report_page.after_data;
    report_file.close();
    if (!report_file) {
      err << "analyze: writing the report " << options.html << " failed\n";
      return 2;
    }
  }

  fhir::OperationOutcome outcome;
  outcome.issue.push_back({"information", "informational", summary_text(summary), {}, std::nullopt});
  report(err, std::move(outcome));
  if (summary_out != nullptr) *summary_out = summary;
  return summary.rejected == 0 ? 0 : 1;
}

}  // namespace gg::gateway
