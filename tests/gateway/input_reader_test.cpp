// analyze and backfill read what integration engineers have at hand: a resource, a Bundle (however it is laid
// out), or bulk-data NDJSON; a broken line is reported and the next one still read.
#include "gateway/commands/input_reader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gg::gateway {
namespace {

struct Read {
  std::vector<std::pair<std::size_t, std::string>> resources;  // (line, "Type/id")
  std::vector<std::size_t> error_lines;
};

Read read_text(const std::string& name, const std::string& text, bool line_by_line = false) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  Read read;
  InputHandlers handlers;
  handlers.on_resource = [&](const InputLocation& where, fhir::Resource&& resource) {
    read.resources.emplace_back(
        where.line, std::string(fhir::resource_type(resource)) + "/" + std::string(fhir::resource_id(resource)));
  };
  handlers.on_error = [&](const InputLocation& where, const std::vector<fhir::DecodeIssue>&) {
    read.error_lines.push_back(where.line);
  };
  if (line_by_line) {
    read_ndjson_file(path.string(), "export file 1/1", {}, handlers);
  } else {
    read_input(path.string(), {}, handlers);
  }
  std::filesystem::remove(path);
  return read;
}

TEST(InputReader, ReadsNdjsonByContentAndKeepsGoingAfterABrokenLine) {
  const auto read = read_text("gg-input.json",
                              "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n"
                              "{\"resourceType\":\"Patient\",\"id\":\n"
                              "\n"
                              "{\"resourceType\":\"Patient\",\"id\":\"c\"}\r\n");
  EXPECT_EQ(read.resources,
            (std::vector<std::pair<std::size_t, std::string>>{{1, "Patient/a"}, {4, "Patient/c"}}));
  EXPECT_EQ(read.error_lines, std::vector<std::size_t>{2});
}

// Bulk Data output files (backfill --export) are read line by line, with the same lines, numbers and errors.
TEST(InputReader, ReadsAnNdjsonFileLineByLineAndKeepsGoingAfterABrokenLine) {
  const auto read = read_text("gg-export.ndjson.part",
                              "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n"
                              "{\"resourceType\":\"Patient\",\"id\":\n"
                              "\n"
                              "{\"resourceType\":\"Patient\",\"id\":\"c\"}\r\n"
                              "{\"resourceType\":\"Patient\",\"id\":\"d\"}",
                              true);
  EXPECT_EQ(read.resources, (std::vector<std::pair<std::size_t, std::string>>{
                                {1, "Patient/a"}, {4, "Patient/c"}, {5, "Patient/d"}}));
  EXPECT_EQ(read.error_lines, std::vector<std::size_t>{2});
}

TEST(InputReader, ReadsABundleWrittenOneEntryPerLineAsOneDocument) {
  const auto read = read_text("gg-bundle-lines.json",
                              "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[\n"
                              "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"a\"}},\n"
                              "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"b\"}}\n"
                              "]}\n");
  EXPECT_TRUE(read.error_lines.empty());
  EXPECT_EQ(read.resources,
            (std::vector<std::pair<std::size_t, std::string>>{{0, "Patient/a"}, {0, "Patient/b"}}));
}

TEST(InputReader, ReadsAnIndentedResource) {
  const auto read = read_text("gg-pretty.json", "{\n  \"resourceType\": \"Patient\",\n  \"id\": \"p\"\n}\n");
  EXPECT_TRUE(read.error_lines.empty());
  EXPECT_EQ(read.resources, (std::vector<std::pair<std::size_t, std::string>>{{0, "Patient/p"}}));
}

TEST(InputReader, MissingFileIsOneError) {
  Read read;
  InputHandlers handlers;
  handlers.on_resource = [&](const InputLocation&, fhir::Resource&&) { read.resources.emplace_back(0, ""); };
  handlers.on_error = [&](const InputLocation& where, const std::vector<fhir::DecodeIssue>&) {
    read.error_lines.push_back(where.line);
  };
  read_input("/nonexistent/gg-input.json", {}, handlers);
  EXPECT_TRUE(read.resources.empty());
  EXPECT_EQ(read.error_lines.size(), 1u);
}

}  // namespace
}  // namespace gg::gateway

namespace gg::gateway {
namespace {

// A transaction's placeholders resolve as the server would resolve them (R4 3.1.0.11.2), the UUID as the id: the
// results can be cited and grouped under their Patient offline too.
TEST(InputReader, ResolvesTransactionPlaceholdersToIdsAndSubjects) {
  const auto path = std::filesystem::temp_directory_path() / "gg-transaction.json";
  std::ofstream(path) << R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:7e1f3a52-0000-4000-8000-000000000001","resource":{"resourceType":"Patient"},
     "request":{"method":"POST","url":"Patient"}},
    {"fullUrl":"urn:uuid:7e1f3a52-0000-4000-9000-000000000002","resource":{"resourceType":"Observation",
     "status":"final","code":{"text":"x"},
     "subject":{"reference":"urn:uuid:7e1f3a52-0000-4000-8000-000000000001"}},
     "request":{"method":"POST","url":"Observation"}},
    {"resource":{"resourceType":"Observation","id":"kept","status":"final","code":{"text":"y"},
     "subject":{"reference":"Patient/elsewhere"}},"request":{"method":"POST","url":"Observation"}}]})";
  std::vector<fhir::Resource> resources;
  InputHandlers handlers;
  handlers.on_resource = [&](const InputLocation&, fhir::Resource&& resource) {
    resources.push_back(std::move(resource));
  };
  handlers.on_error = [](const InputLocation&, const std::vector<fhir::DecodeIssue>&) { FAIL(); };
  read_input(path.string(), {}, handlers);
  std::filesystem::remove(path);
  ASSERT_EQ(resources.size(), 3u);
  EXPECT_EQ(fhir::resource_id(resources[0]), "7e1f3a52-0000-4000-8000-000000000001");
  const auto& placeholder = std::get<fhir::Observation>(resources[1]);
  EXPECT_EQ(placeholder.id, "7e1f3a52-0000-4000-9000-000000000002");
  EXPECT_EQ(placeholder.subject.reference, "Patient/7e1f3a52-0000-4000-8000-000000000001");
  const auto& plain = std::get<fhir::Observation>(resources[2]);
  EXPECT_EQ(plain.id, "kept");
  EXPECT_EQ(plain.subject.reference, "Patient/elsewhere");
}

}  // namespace
}  // namespace gg::gateway
