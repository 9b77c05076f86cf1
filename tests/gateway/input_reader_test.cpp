// backfill --export reads the Bulk Data output files it downloads line by line; a broken line is reported and the
// next one still read (analyze and backfill FILE scan their inputs instead: input_index_test.cpp).
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

Read read_ndjson(const std::string& name, const std::string& text) {
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
  read_ndjson_file(path.string(), "export file 1/1", {}, handlers);
  std::filesystem::remove(path);
  return read;
}

// Bulk Data output files (backfill --export) are read line by line, with the same lines, numbers and errors.
TEST(InputReader, ReadsAnNdjsonFileLineByLineAndKeepsGoingAfterABrokenLine) {
  const auto read = read_ndjson("gg-export.ndjson.part",
                                "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n"
                                "{\"resourceType\":\"Patient\",\"id\":\n"
                                "\n"
                                "{\"resourceType\":\"Patient\",\"id\":\"c\"}\r\n"
                                "{\"resourceType\":\"Patient\",\"id\":\"d\"}");
  EXPECT_EQ(read.resources, (std::vector<std::pair<std::size_t, std::string>>{
                                {1, "Patient/a"}, {4, "Patient/c"}, {5, "Patient/d"}}));
  EXPECT_EQ(read.error_lines, std::vector<std::size_t>{2});
}

}  // namespace
}  // namespace gg::gateway
