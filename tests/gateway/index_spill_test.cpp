// analyze's index beyond its memory budget (gateway/commands/index_spill.hpp): runs written sorted by patient and
// merged back give every patient once, in the order of references, with its resources in input order, whichever
// runs they were spread over; the scan spills as it goes and leaves nothing in memory afterwards.
#include "gateway/commands/index_spill.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "gateway/commands/input_index.hpp"

namespace gg::gateway {
namespace {

IndexedResource at_line(std::uint32_t line, std::uint32_t patient) {
  IndexedResource resource;
  resource.offset = std::uint64_t{line} * 100;
  resource.length = 50;
  resource.line = line;
  resource.patient = patient;
  return resource;
}

std::vector<std::uint32_t> lines(const PatientResources& patient) {
  std::vector<std::uint32_t> out;
  for (const auto& resource : patient.resources) out.push_back(resource.line);
  return out;
}

TEST(SpilledRuns, MergesRunsByPatientReferenceKeepingInputOrder) {
  SpilledRuns runs;
  // Lines 1-3, then 4-6: patient numbers are per run, as the scan numbers them afresh after each spill.
  runs.spill({at_line(1, 0), at_line(2, 1), at_line(3, 0)}, {"Patient/b", "Patient/a"});
  runs.spill({at_line(4, 0), at_line(5, 1), at_line(6, 2)}, {"Patient/a", "Patient/c", "Patient/b"});
  EXPECT_EQ(runs.run_count(), 2u);

  auto a = runs.next();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->subject, "Patient/a");
  EXPECT_EQ(lines(*a), (std::vector<std::uint32_t>{2, 4}));
  EXPECT_EQ(a->resources[0].offset, 200u);
  EXPECT_EQ(a->resources[0].length, 50u);
  auto b = runs.next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->subject, "Patient/b");
  EXPECT_EQ(lines(*b), (std::vector<std::uint32_t>{1, 3, 6}));
  auto c = runs.next();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->subject, "Patient/c");
  EXPECT_EQ(lines(*c), (std::vector<std::uint32_t>{5}));
  EXPECT_FALSE(runs.next());
  EXPECT_FALSE(runs.next());
}

// With a fan-in of 2, runs merge like a binary counter: after each spill at most about log2(spills) + 1 files are
// open, and 9 spills leave 2 (one run of 8 merged spills, one spill). Each patient still gets its resources from
// every spill, in input order.
TEST(SpilledRuns, RunsAreMergedAsTheyComeSoFewFilesAreOpenAndTheOrderHolds) {
  SpilledRuns runs(/*fan_in=*/2);
  std::map<std::string, std::vector<std::uint32_t>> expected;
  for (std::uint32_t k = 0; k < 9; ++k) {
    const std::vector<std::string> patients =
        k % 2 == 0 ? std::vector<std::string>{"Patient/c", "Patient/a", "Patient/b"}
                   : std::vector<std::string>{"Patient/b", "Patient/c", "Patient/a"};
    std::vector<IndexedResource> resources;
    for (std::uint32_t j = 0; j < 3; ++j) {
      resources.push_back(at_line(3 * k + 1 + j, j));
      expected[patients[j]].push_back(3 * k + 1 + j);
    }
    runs.spill(resources, patients);
    EXPECT_LE(runs.run_count(), 4u) << "after spill " << k;
  }
  EXPECT_EQ(runs.run_count(), 2u);
  for (const auto& [subject, want] : expected) {
    auto patient = runs.next();
    ASSERT_TRUE(patient);
    EXPECT_EQ(patient->subject, subject);
    EXPECT_EQ(lines(*patient), want) << subject;
    EXPECT_EQ(patient->resources.front().offset, std::uint64_t{want.front()} * 100);
  }
  EXPECT_FALSE(runs.next());
}

// A piece of the input scanned on another thread spills runs of its own, numbering its lines from 1; appended,
// they follow the runs before them with their lines offset, and are merged as they come, so joining many pieces
// keeps few files open.
TEST(SpilledRuns, AppendedRunsFollowWithTheirLinesOffsetAndAreMergedAsTheyCome) {
  SpilledRuns first(/*fan_in=*/2);
  first.spill({at_line(1, 0), at_line(2, 1)}, {"Patient/b", "Patient/a"});
  std::map<std::string, std::vector<std::uint32_t>> expected{{"Patient/a", {2}}, {"Patient/b", {1}}};
  for (std::uint32_t piece = 0; piece < 4; ++piece) {
    SpilledRuns later(/*fan_in=*/2);
    const std::uint32_t lines_before = 2 + 6 * piece;
    for (std::uint32_t k = 0; k < 3; ++k) {
      later.spill({at_line(2 * k + 1, 0), at_line(2 * k + 2, 1)}, {"Patient/a", "Patient/c"});
      expected["Patient/a"].push_back(lines_before + 2 * k + 1);
      expected["Patient/c"].push_back(lines_before + 2 * k + 2);
    }
    first.append(std::move(later), lines_before, 0);
    EXPECT_LE(first.run_count(), 4u) << "after piece " << piece;
  }
  for (const auto& [subject, want] : expected) {
    auto patient = first.next();
    ASSERT_TRUE(patient);
    EXPECT_EQ(patient->subject, subject);
    EXPECT_EQ(lines(*patient), want) << subject;
  }
  EXPECT_FALSE(first.next());
}

TEST(SpilledRuns, PatientsWithoutResourcesInARunAreNotWritten) {
  SpilledRuns runs;
  runs.spill({at_line(1, 1)}, {"Patient/x", "Patient/y"});
  auto y = runs.next();
  ASSERT_TRUE(y);
  EXPECT_EQ(y->subject, "Patient/y");
  EXPECT_FALSE(runs.next());
}

// The scan spills whenever its index passes the budget and, at the end, spills the rest: nothing stays in memory
// and every wanted resource comes back from the merge, patients sorted, their resources in file order.
TEST(SpilledRuns, TheScanSpillsOverItsBudgetAndTheMergeGivesEverything) {
  const auto file =
      std::filesystem::temp_directory_path() / ("gg-spill-" + std::to_string(::getpid()) + ".ndjson");
  {
    std::ofstream out(file);
    for (int i = 0; i < 30; ++i) {
      const std::string id = "p" + std::to_string(130 - i);  // references in descending order
      out << R"({"resourceType":"Patient","id":")" << id << "\"}\n";
      out << R"({"resourceType":"MedicationStatement","id":"m)" << i
          << R"(","status":"active","subject":{"reference":"Patient/)" << id << "\"}}\n";
    }
  }
  InputIndex index = scan_inputs({file.string()}, {}, {}, {}, /*index_budget=*/256);
  std::filesystem::remove(file);
  EXPECT_TRUE(index.resources.empty());
  EXPECT_TRUE(index.patients.empty());
  EXPECT_GT(index.spilled.run_count(), 5u);

  std::vector<std::string> subjects;
  while (auto patient = index.spilled.next()) {
    ASSERT_EQ(patient->resources.size(), 2u) << patient->subject;
    EXPECT_EQ(patient->resources[0].kind, IndexedKind::patient);
    EXPECT_EQ(patient->resources[1].kind, IndexedKind::medication_use);
    EXPECT_EQ(patient->resources[1].line, patient->resources[0].line + 1);
    subjects.push_back(patient->subject);
  }
  ASSERT_EQ(subjects.size(), 30u);
  EXPECT_EQ(subjects.front(), "Patient/p101");
  EXPECT_EQ(subjects.back(), "Patient/p130");
  EXPECT_TRUE(std::is_sorted(subjects.begin(), subjects.end()));
}

// A TMPDIR that is not a directory stops the spill with an error naming it; the index is never written to /tmp
// instead, behind the back of whoever pointed TMPDIR at a larger disk.
TEST(SpilledRuns, ATmpdirThatIsNotADirectoryIsAnErrorNamingIt) {
  const auto input =
      std::filesystem::temp_directory_path() / ("gg-spill-tmpdir-" + std::to_string(::getpid()) + ".ndjson");
  {
    std::ofstream out(input);
    for (int i = 0; i < 30; ++i) out << R"({"resourceType":"Patient","id":"p)" << i << "\"}\n";
  }
  // The test runs alone in its process (gtest_discover_tests), with no other thread: changing the environment is
  // safe.
  const char* before = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe)
  const std::string saved = before != nullptr ? before : "";
  ::setenv("TMPDIR", input.c_str(), 1);  // NOLINT(concurrency-mt-unsafe): a regular file
  std::string message;
  try {
    scan_inputs({input.string()}, {}, {}, {}, /*index_budget=*/256);
  } catch (const std::runtime_error& error) {
    message = error.what();
  }
  if (before != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  } else {
    ::unsetenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe)
  }
  std::filesystem::remove(input);
  EXPECT_NE(message.find("TMPDIR=" + input.string() + " is not a directory"), std::string::npos) << message;
}

}  // namespace
}  // namespace gg::gateway
