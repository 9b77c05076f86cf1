#include "gateway/commands/index_spill.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <numeric>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "gateway/commands/mapped_input.hpp"

namespace gg::gateway {

// A run file is a sequence of patient groups, in the order of their subjects:
//   u32 subject length, u32 resource count, the subject's bytes, count x IndexedResource (as in memory).
// The file lives only as long as this process and is read only by it, so the records are its own memory layout.
static_assert(std::is_trivially_copyable_v<IndexedResource>);

SpilledRuns::Run::~Run() {
  if (file != nullptr) std::fclose(file);
}

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::system_category().message(errno));
}

void write(std::FILE* file, const void* data, std::size_t size) {
  if (size > 0 && std::fwrite(data, 1, size, file) != size) fail("cannot write the spilled index");
}

// False at the end of the file; throws on a read error or a truncated record.
bool read(std::FILE* file, void* data, std::size_t size, bool at_record_start) {
  if (size == 0) return true;
  const std::size_t got = std::fread(data, 1, size, file);
  if (got == size) return true;
  if (std::ferror(file) != 0) fail("cannot read the spilled index");
  if (got == 0 && at_record_start) return false;
  errno = EIO;
  fail("the spilled index ends inside a record");
}

}  // namespace

PatientGroups group_by_patient(const std::vector<IndexedResource>& resources,
                               const std::vector<std::string>& patients) {
  PatientGroups groups;
  groups.begin.assign(patients.size() + 1, 0);
  for (const auto& resource : resources) ++groups.begin[resource.patient + 1];
  std::partial_sum(groups.begin.begin(), groups.begin.end(), groups.begin.begin());
  groups.order.resize(resources.size());
  std::vector<std::size_t> next(groups.begin.begin(), groups.begin.end() - 1);
  for (std::uint32_t i = 0; i < resources.size(); ++i) groups.order[next[resources[i].patient]++] = i;
  groups.patients.resize(patients.size());
  std::iota(groups.patients.begin(), groups.patients.end(), 0);
  std::sort(groups.patients.begin(), groups.patients.end(),
            [&](std::uint32_t a, std::uint32_t b) { return patients[a] < patients[b]; });
  return groups;
}

std::unique_ptr<SpilledRuns::Run> SpilledRuns::new_run() {
  std::string error;
  const int fd = unlinked_temporary_file("index", error);
  if (fd < 0) throw std::runtime_error(error);
  auto run = std::make_unique<Run>();
  run->file = ::fdopen(fd, "w+b");
  if (run->file == nullptr) {
    ::close(fd);
    fail("cannot open the spilled index");
  }
  return run;
}

void SpilledRuns::write_group(Run& run, const std::string& subject, const IndexedResource* resources,
                              std::size_t count) {
  const std::uint32_t header[2] = {static_cast<std::uint32_t>(subject.size()), static_cast<std::uint32_t>(count)};
  write(run.file, header, sizeof header);
  write(run.file, subject.data(), subject.size());
  write(run.file, resources, count * sizeof(IndexedResource));
}

void SpilledRuns::spill(const std::vector<IndexedResource>& resources, const std::vector<std::string>& patients) {
  if (merging_) throw std::logic_error("SpilledRuns::spill after the merge began");
  const PatientGroups groups = group_by_patient(resources, patients);
  auto run = new_run();
  std::vector<IndexedResource> group;
  for (const std::uint32_t patient : groups.patients) {
    group.clear();
    for (std::size_t i = groups.begin[patient]; i < groups.begin[patient + 1]; ++i) {
      group.push_back(resources[groups.order[i]]);
    }
    if (!group.empty()) write_group(*run, patients[patient], group.data(), group.size());
  }
  if (std::fflush(run->file) != 0) fail("cannot write the spilled index");
  runs_.push_back(std::move(run));
  collapse();
}

void SpilledRuns::collapse() {
  while (runs_.size() >= fan_in_) {
    const std::size_t first = runs_.size() - fan_in_;
    const unsigned level = runs_.back()->level;
    if (!std::all_of(runs_.begin() + static_cast<std::ptrdiff_t>(first), runs_.end(),
                     [&](const auto& run) { return run->level == level; })) {
      return;
    }
    auto merged = new_run();
    merged->level = level + 1;
    start_merge(first);
    while (auto patient = merge_next()) {
      write_group(*merged, patient->subject, patient->resources.data(), patient->resources.size());
    }
    if (std::fflush(merged->file) != 0) fail("cannot write the spilled index");
    runs_.resize(first);  // closes the merged runs' files
    runs_.push_back(std::move(merged));
  }
}

bool SpilledRuns::read_head(Run& run) {
  std::uint32_t header[2] = {0, 0};
  if (!read(run.file, header, sizeof header, /*at_record_start=*/true)) return false;
  run.head.subject.resize(header[0]);
  read(run.file, run.head.subject.data(), header[0], false);
  run.head.resources.resize(header[1]);
  read(run.file, run.head.resources.data(), header[1] * sizeof(IndexedResource), false);
  if (run.line_offset != 0 || run.owned_offset != 0) {
    for (auto& resource : run.head.resources) shift(resource, run.line_offset, run.owned_offset);
  }
  return true;
}

void SpilledRuns::append(SpilledRuns&& later, std::uint32_t line_offset, std::uint64_t owned_offset) {
  if (merging_ || later.merging_) throw std::logic_error("SpilledRuns::append after the merge began");
  // One at a time, each taken as a fresh spill (level 0, whatever it merged in its own index) and merged as spills
  // are: a piece's runs are of mixed levels, which the merging of equal levels alone would leave standing, run by
  // run, piece by piece. A run merged again costs one more pass over it; few files stay open.
  for (auto& run : later.runs_) {
    run->line_offset += line_offset;
    run->owned_offset += owned_offset;
    run->level = 0;
    runs_.push_back(std::move(run));
    collapse();
  }
  later.runs_.clear();
}

namespace {

// std::push_heap and pop_heap keep the greatest first: "greater" puts the smallest (subject, run) on top, and
// among runs with the same subject the earlier run, so a patient's resources come in input order.
template <typename Runs>
auto heap_order(const Runs& runs) {
  return [&runs](std::size_t a, std::size_t b) {
    const int order = runs[a]->head.subject.compare(runs[b]->head.subject);
    return order != 0 ? order > 0 : a > b;
  };
}

}  // namespace

void SpilledRuns::start_merge(std::size_t first) {
  heap_.clear();
  for (std::size_t i = first; i < runs_.size(); ++i) {
    if (std::fseek(runs_[i]->file, 0, SEEK_SET) != 0) fail("cannot read the spilled index");
    if (read_head(*runs_[i])) heap_.push_back(i);
  }
  std::make_heap(heap_.begin(), heap_.end(), heap_order(runs_));
}

std::optional<PatientResources> SpilledRuns::merge_next() {
  if (heap_.empty()) return std::nullopt;
  const auto greater = heap_order(runs_);
  PatientResources out;
  out.subject = runs_[heap_.front()]->head.subject;
  // Every run holding this subject, in run order (the heap's tie-break): the inputs' order within the patient.
  while (!heap_.empty() && runs_[heap_.front()]->head.subject == out.subject) {
    std::pop_heap(heap_.begin(), heap_.end(), greater);
    const std::size_t i = heap_.back();
    heap_.pop_back();
    Run& run = *runs_[i];
    out.resources.insert(out.resources.end(), run.head.resources.begin(), run.head.resources.end());
    if (read_head(run)) {
      heap_.push_back(i);
      std::push_heap(heap_.begin(), heap_.end(), greater);
    }
  }
  return out;
}

std::optional<PatientResources> SpilledRuns::next() {
  if (!merging_) {
    merging_ = true;
    start_merge(0);
  }
  return merge_next();
}

}  // namespace gg::gateway
