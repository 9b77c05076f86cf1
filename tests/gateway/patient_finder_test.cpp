// What backfill reads before it analyses anything (backfill_run.hpp PatientFinder): the patients of the hormone
// results in its files, each once. A Bulk Data output file that `backfill --export` downloads is scanned like the
// files of `backfill FILE...`: an Observation with another code is counted and skipped without being decoded, a
// broken line is reported as "export file 1/2:3" (not the temporary download's path) and the next line is read.
#include "gateway/commands/backfill_run.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gg::gateway {
namespace {

const std::string kConfig = std::string(GG_SOURCE_DIR) + "/config";

std::string observation(const std::string& id, const std::string& loinc, const std::string& patient) {
  return R"({"resourceType":"Observation","id":")" + id +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" + loinc +
         R"("}]},"subject":{"reference":"Patient/)" + patient +
         R"("},"effectiveDateTime":"2026-01-05T08:00:00Z","valueQuantity":{"value":12,"unit":"ug/dL"}})";
}

TEST(PatientFinder, AnExportFileIsScannedAndItsProblemsAreNamedAfterIt) {
  auto knowledge = load_knowledge(kConfig + "/terminology", kConfig + "/rules");
  ASSERT_TRUE(knowledge.has_value());
  const auto path =
      std::filesystem::temp_directory_path() / ("gg-finder-" + std::to_string(::getpid()) + ".ndjson.part");
  {
    std::ofstream out(path);
    out << observation("o1", "2191-5", "a") << '\n'          // DHEA-S: a hormone result
        << observation("o2", "8867-4", "z") << '\n'          // heart rate: not one
        << R"({"resourceType":"Observation","id":)" << '\n'  // broken
        << '\n'
        << observation("o3", "2191-5", "b") << "\r\n"
        << observation("o4", "2191-5", "a") << '\n';
  }
  std::ostringstream err;
  PatientFinder finder(*knowledge, err);
  finder.read({path.string()}, "export file 1/2");
  std::filesystem::remove(path);

  EXPECT_EQ(finder.take_new(), (std::vector<std::string>{"Patient/a", "Patient/b"}));
  EXPECT_TRUE(finder.take_new().empty());
  EXPECT_EQ(finder.totals().resources, 4u);
  EXPECT_EQ(finder.totals().hormone_results, 3u);
  EXPECT_EQ(finder.totals().skipped, 1u);
  EXPECT_EQ(finder.totals().rejected, 1u);
  EXPECT_NE(err.str().find("\"diagnostics\":\"export file 1/2:3: "), std::string::npos) << err.str();
  EXPECT_EQ(err.str().find(path.string()), std::string::npos) << err.str();
}

}  // namespace
}  // namespace gg::gateway
