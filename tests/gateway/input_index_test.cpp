// analyze and backfill read what integration engineers have at hand: a resource, a Bundle (however it is laid
// out), or bulk-data NDJSON; a broken line is reported and the next one still read. The scan records what is
// wanted and where it lies (gateway/commands/input_index.hpp); decoding it there gives the resource.
#include "gateway/commands/input_index.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
  callbacks.on_skipped = [&](std::string_view type) { read.skipped.emplace_back(type); };
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

}  // namespace
}  // namespace gg::gateway
