// The index of analyze beyond its memory budget (--index-budget): the scan writes what it has indexed so far to an
// unlinked temporary file as one sorted run (resources grouped by patient, patients in the order of their
// references) and starts afresh; at the end the runs are merged, patient by patient, in that order. Memory then
// holds one budget of index and one patient per run, however many patients the inputs have and whatever their
// order. Within a patient, resources keep their input order: a run holds an earlier stretch of the inputs than the
// next, and the merge takes a patient's resources run by run.
//
// However large the inputs, few files are open: whenever the newest `fan_in` runs are of one level, they are
// merged into one run of the next level (level 0 is a spill), in their place. Runs stay in input order, so the
// order within a patient is kept, and at most about fan_in x log_fan_in(spills) runs exist at once: 45 for the
// 4,000 spills of a terabyte of hormone results at the default budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

// A resource recorded by a piece of an input scanned on another thread, moved to where it stands in the whole
// index: its NDJSON line after the `line_offset` lines of the pieces before it, an owned resource's place after
// the `owned_offset` decoded before it.
inline void shift(IndexedResource& resource, std::uint32_t line_offset, std::uint64_t owned_offset) {
  if (resource.line != 0) resource.line += line_offset;
  if (resource.owned) resource.offset += owned_offset;
}

// One patient's share of the index: everything the analysis wants of that patient, in input order.
struct PatientResources {
  std::string subject;                     // "Patient/7"
  std::vector<IndexedResource> resources;  // IndexedResource::patient is not used
};

// Resources grouped by patient (input order kept within each), patients in the order of their references: a
// permutation of the resources (4 bytes each), not a copy of them.
struct PatientGroups {
  std::vector<std::uint32_t> order;     // indexes into the resources, grouped by patient
  std::vector<std::uint32_t> patients;  // patient numbers, in the order of their references
  std::vector<std::size_t> begin;       // per patient number: its first place in `order`; [n] = end
};
// `patients` are the references that IndexedResource::patient numbers.
PatientGroups group_by_patient(const std::vector<IndexedResource>& resources,
                               const std::vector<std::string>& patients);

class SpilledRuns {
 public:
  static constexpr std::size_t kDefaultFanIn = 16;
  explicit SpilledRuns(std::size_t fan_in = kDefaultFanIn) : fan_in_(fan_in < 2 ? 2 : fan_in) {}

  // Writes `resources` (input order; IndexedResource::patient indexes `patients`) as one more run. Throws
  // std::runtime_error when the temporary file cannot be created or written (a full disk, say): analyze cannot
  // go on without its index.
  void spill(const std::vector<IndexedResource>& resources, const std::vector<std::string>& patients);

  // Takes `later`'s runs after these, as if they had been spilled here: they hold a later stretch of the inputs,
  // scanned on another thread, whose NDJSON lines it numbered from 1 where they are `line_offset` + 1 on, and
  // whose decoded resources are `owned_offset` on in InputIndex::owned. They are merged as they come, as spills
  // are, so few files stay open however many pieces were joined. Call before the merge began.
  void append(SpilledRuns&& later, std::uint32_t line_offset, std::uint64_t owned_offset);

  bool empty() const { return runs_.empty(); }
  // Runs (files) there are now: fewer than the spills once runs have been merged.
  std::size_t run_count() const { return runs_.size(); }

  // Merges the runs: each call yields the next patient in the order of references, with its resources from every
  // run in input order; nothing after the last. Call only after the last spill. Throws std::runtime_error on a
  // read error.
  std::optional<PatientResources> next();

 private:
  // A run's file (closed with the run) and the patient group read last from it.
  struct Run {
    Run() = default;
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;
    ~Run();
    std::FILE* file = nullptr;
    PatientResources head;
    unsigned level = 0;  // 0: a spill; n + 1: fan_in runs of level n merged
    // Added to each resource read (append): its line, and for an owned resource its offset.
    std::uint32_t line_offset = 0;
    std::uint64_t owned_offset = 0;
  };
  static std::unique_ptr<Run> new_run();
  static void write_group(Run& run, const std::string& subject, const IndexedResource* resources,
                          std::size_t count);
  bool read_head(Run& run);
  // Merging runs_[first, end): start_merge reads their first groups, merge_next yields the patients in order.
  void start_merge(std::size_t first);
  std::optional<PatientResources> merge_next();
  // Merges the newest fan_in runs into one while they are of one level.
  void collapse();

  std::size_t fan_in_;
  std::vector<std::unique_ptr<Run>> runs_;
  std::vector<std::size_t> heap_;  // runs with a head, a min-heap by (head subject, run number)
  bool merging_ = false;
};

}  // namespace gg::gateway
