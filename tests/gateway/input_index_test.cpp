// analyze and backfill read what integration engineers have at hand: a resource, a Bundle (however it is laid
// out), or bulk-data NDJSON; a broken line is reported and the next one still read. The scan records what is
// wanted and where it lies (gateway/commands/input_index.hpp); decoding it there gives the resource.
#include "gateway/commands/input_index.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace gg::gateway {
namespace {

struct Read {
  std::vector<std::pair<std::size_t, std::string>> resources;  // (line, "Type/id") of what was indexed
  std::vector<std::size_t> error_lines;
  std::vector<std::string> skipped;
  std::vector<std::string> patients;  // the patient of each indexed resource
  std::vector<fhir::Resource> decoded;
};

Read scan(const std::vector<std::string>& files, const fhir::ScanOptions& options = {}) {
  Read read;
  ScanCallbacks callbacks;
  callbacks.on_error = [&](const InputLocation& where, const std::vector<fhir::DecodeIssue>&) {
    read.error_lines.push_back(where.line);
  };
  callbacks.on_skipped = [&](std::string_view type, std::size_t count) {
    read.skipped.insert(read.skipped.end(), count, std::string(type));
  };
  const InputIndex index = scan_inputs(files, {}, options, callbacks);
  for (const auto& indexed : index.resources) {
    auto decoded = decode_indexed(index, indexed, {});
    EXPECT_TRUE(decoded.ok());
    if (!decoded.ok()) continue;
    read.resources.emplace_back(indexed.line, std::string(fhir::resource_type(*decoded.value)) + "/" +
                                                  std::string(fhir::resource_id(*decoded.value)));
    read.patients.push_back(index.patients[indexed.patient]);
    read.decoded.push_back(std::move(*decoded.value));
  }
  return read;
}

Read scan_text(const std::string& name, const std::string& text, const fhir::ScanOptions& options = {}) {
  const auto path = std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-" + name);
  std::ofstream(path) << text;
  Read read = scan({path.string()}, options);
  std::filesystem::remove(path);
  return read;
}

TEST(InputIndex, ReadsNdjsonByContentAndKeepsGoingAfterABrokenLine) {
  const auto read = scan_text("gg-input.json",
                              "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n"
                              "{\"resourceType\":\"Patient\",\"id\":\n"
                              "\n"
                              "{\"resourceType\":\"Patient\",\"id\":\"c\"}\r\n");
  EXPECT_EQ(read.resources,
            (std::vector<std::pair<std::size_t, std::string>>{{1, "Patient/a"}, {4, "Patient/c"}}));
  EXPECT_EQ(read.patients, (std::vector<std::string>{"Patient/a", "Patient/c"}));
  EXPECT_EQ(read.error_lines, std::vector<std::size_t>{2});
}

TEST(InputIndex, ReadsABundleWrittenOneEntryPerLineAsOneDocument) {
  const auto read = scan_text("gg-bundle-lines.json",
                              "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[\n"
                              "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"a\"}},\n"
                              "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"b\"}}\n"
                              "]}\n");
  EXPECT_TRUE(read.error_lines.empty());
  EXPECT_EQ(read.resources,
            (std::vector<std::pair<std::size_t, std::string>>{{0, "Patient/a"}, {0, "Patient/b"}}));
}

TEST(InputIndex, ReadsAnIndentedResource) {
  const auto read = scan_text("gg-pretty.json", "{\n  \"resourceType\": \"Patient\",\n  \"id\": \"p\"\n}\n");
  EXPECT_TRUE(read.error_lines.empty());
  EXPECT_EQ(read.resources, (std::vector<std::pair<std::size_t, std::string>>{{0, "Patient/p"}}));
}

TEST(InputIndex, MissingFileIsOneError) {
  const auto read = scan({"/nonexistent/gg-input.json"});
  EXPECT_TRUE(read.resources.empty());
  EXPECT_EQ(read.error_lines.size(), 1u);
}

// What the analysis does not want is counted by type and never indexed.
TEST(InputIndex, OnlyWantedObservationsAndPatientContextAreIndexed) {
  fhir::ScanOptions options;
  options.coding_wanted = [](std::string_view system, std::string_view code) {
    return system == "http://loinc.org" && code == "2143-6";
  };
  const auto read = scan_text(
      "gg-wanted.ndjson",
      R"({"resourceType":"Observation","id":"hr","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/a"}})"
      "\n"
      R"({"resourceType":"Observation","id":"c","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2143-6"}]},"subject":{"reference":"Patient/a"}})"
      "\n"
      R"({"resourceType":"Encounter","id":"e","subject":{"reference":"Patient/a"}})"
      "\n"
      R"({"resourceType":"MedicationStatement","id":"m","status":"active","medicationCodeableConcept":{"text":"levothyroxine"},"subject":{"reference":"Patient/a"}})"
      "\n",
      options);
  EXPECT_EQ(read.resources, (std::vector<std::pair<std::size_t, std::string>>{{2, "Observation/c"},
                                                                              {4, "MedicationStatement/m"}}));
  EXPECT_EQ(read.patients, (std::vector<std::string>{"Patient/a", "Patient/a"}));
  EXPECT_EQ(read.skipped, (std::vector<std::string>{"Observation", "Encounter"}));
}

// A transaction's placeholders resolve as the server would resolve them (R4 3.1.0.11.2), the UUID as the id: the
// results can be cited and grouped under their Patient offline too.
TEST(InputIndex, ResolvesTransactionPlaceholdersToIdsAndSubjects) {
  const auto read = scan_text("gg-transaction.json", R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:7e1f3a52-0000-4000-8000-000000000001","resource":{"resourceType":"Patient"},
     "request":{"method":"POST","url":"Patient"}},
    {"fullUrl":"urn:uuid:7e1f3a52-0000-4000-9000-000000000002","resource":{"resourceType":"Observation",
     "status":"final","code":{"text":"x"},
     "subject":{"reference":"urn:uuid:7e1f3a52-0000-4000-8000-000000000001"}},
     "request":{"method":"POST","url":"Observation"}},
    {"resource":{"resourceType":"Observation","id":"kept","status":"final","code":{"text":"y"},
     "subject":{"reference":"Patient/elsewhere"}},"request":{"method":"POST","url":"Observation"}}]})");
  EXPECT_TRUE(read.error_lines.empty());
  ASSERT_EQ(read.decoded.size(), 3u);
  EXPECT_EQ(fhir::resource_id(read.decoded[0]), "7e1f3a52-0000-4000-8000-000000000001");
  const auto& placeholder = std::get<fhir::Observation>(read.decoded[1]);
  EXPECT_EQ(placeholder.id, "7e1f3a52-0000-4000-9000-000000000002");
  EXPECT_EQ(placeholder.subject.reference, "Patient/7e1f3a52-0000-4000-8000-000000000001");
  const auto& plain = std::get<fhir::Observation>(read.decoded[2]);
  EXPECT_EQ(plain.id, "kept");
  EXPECT_EQ(plain.subject.reference, "Patient/elsewhere");
  EXPECT_EQ(read.patients,
            (std::vector<std::string>{"Patient/7e1f3a52-0000-4000-8000-000000000001",
                                      "Patient/7e1f3a52-0000-4000-8000-000000000001", "Patient/elsewhere"}));
}

// Issue 12: a large NDJSON input is scanned in pieces on threads of their own and the pieces are joined. What the
// scan gives must be what one thread gives, piece boundaries anywhere (pieces of a few lines here): the same
// resources under the same patients in input order, the same line numbers in reports, the same counts, and within
// every budget, in memory or spilled to runs.
struct Scanned {
  std::vector<std::string> resources;  // "Patient/p3 line 7 Observation" per resource, by patient, in input order
  std::vector<std::pair<std::size_t, std::string>> errors;  // (line, diagnostics)
  std::map<std::string, std::size_t> skipped;
  std::size_t medications = 0;
};

Scanned scan_whole(const std::string& file, std::size_t budget, ScanThreads threads) {
  Scanned scanned;
  ScanCallbacks callbacks;
  callbacks.on_error = [&](const InputLocation& where, const std::vector<fhir::DecodeIssue>& issues) {
    scanned.errors.emplace_back(where.line, issues.empty() ? "" : issues.front().message);
  };
  callbacks.on_skipped = [&](std::string_view type, std::size_t count) {
    scanned.skipped[std::string(type)] += count;
  };
  InputIndex index = scan_inputs({file}, {}, {}, callbacks, budget, threads);
  scanned.medications = index.medications.size();
  EXPECT_EQ(index.medication_resources, index.medications.size());
  auto add = [&](const std::string& subject, const IndexedResource& resource) {
    auto decoded = decode_indexed(index, resource, {});
    ASSERT_TRUE(decoded.ok()) << subject << " line " << resource.line;
    scanned.resources.push_back(subject + " line " + std::to_string(resource.line) + " " +
                                std::string(fhir::resource_type(*decoded.value)) + "/" +
                                std::string(fhir::resource_id(*decoded.value)));
  };
  if (index.spilled.empty()) {
    const PatientGroups groups = group_by_patient(index.resources, index.patients);
    for (const std::uint32_t patient : groups.patients) {
      for (std::size_t i = groups.begin[patient]; i < groups.begin[patient + 1]; ++i) {
        add(index.patients[patient], index.resources[groups.order[i]]);
      }
    }
  } else {
    EXPECT_TRUE(index.resources.empty());
    while (auto patient = index.spilled.next()) {
      for (const auto& resource : patient->resources) add(patient->subject, resource);
    }
  }
  return scanned;
}

TEST(InputIndex, AnInputScannedInPiecesOnThreadsIsIndexedAsOnOne) {
  std::string text;
  for (int i = 0; i < 60; ++i) {
    // Patients in an order that is not their references', each met again later in the file.
    const std::string id = "p" + std::to_string((i * 37) % 60);
    const std::string subject = R"("subject":{"reference":"Patient/)" + id + R"("})";
    text += R"({"resourceType":"Patient","id":")" + id + "\"}\n";
    text += R"({"resourceType":"Observation","id":"o)" + std::to_string(i) +
            R"(","status":"final","code":{"text":"x"},)" + subject + "}\r\n";
    if (i % 7 == 0) text += "{\"resourceType\":\"Observation\",\"id\":\n";  // broken
    if (i % 5 == 0) text += "\n  \n";
    if (i % 9 == 0) {
      text += R"({"resourceType":"Medication","id":"m)" + std::to_string(i) + "\"}\n";
      text += R"({"resourceType":"MedicationStatement","id":"s)" + std::to_string(i) +
              R"(","status":"active","medicationCodeableConcept":{"text":"hydrocortisone"},)" + subject + "}\n";
    }
    if (i % 4 == 0) text += R"({"resourceType":"Encounter","id":"e)" + std::to_string(i) + "\"," + subject + "}\n";
    const std::string earlier = "p" + std::to_string((i * 37 + 11) % 60);
    text += R"({"resourceType":"Observation","id":"q)" + std::to_string(i) +
            R"(","status":"final","code":{"text":"y"},"subject":{"reference":"Patient/)" + earlier + "\"}}\n";
  }
  const auto path = std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-gg-pieces.ndjson");
  std::ofstream(path) << text;
  for (const std::size_t budget : {SIZE_MAX, std::size_t{1}, std::size_t{700}, std::size_t{4096}}) {
    const Scanned one = scan_whole(path.string(), budget, {});
    EXPECT_EQ(one.resources.size(), 60u * 3 + 7);
    EXPECT_EQ(one.errors.size(), 9u);
    EXPECT_EQ(one.skipped.at("Encounter"), 15u);
    EXPECT_EQ(one.medications, 7u);
    for (const std::size_t threads : {2, 3, 7}) {
      for (const std::size_t min_piece : {std::size_t{1}, std::size_t{900}, text.size() / 2}) {
        const Scanned pieces = scan_whole(path.string(), budget, ScanThreads{threads, min_piece});
        const std::string what = "budget " + std::to_string(budget) + ", " + std::to_string(threads) +
                                 " threads, " + std::to_string(min_piece);
        EXPECT_EQ(pieces.resources, one.resources) << what;
        EXPECT_EQ(pieces.errors, one.errors) << what;
        EXPECT_EQ(pieces.skipped, one.skipped) << what;
        EXPECT_EQ(pieces.medications, one.medications) << what;
      }
    }
  }
  // Spilled or not, the same: the budget never changes what is indexed.
  EXPECT_EQ(scan_whole(path.string(), 1, {}).resources, scan_whole(path.string(), SIZE_MAX, {}).resources);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace gg::gateway
