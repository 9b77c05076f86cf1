// Inputs of analyze mapped into memory with padding after them (gateway/commands/mapped_input.hpp).
#include "gateway/commands/mapped_input.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "fhir/json_scan.hpp"

namespace gg::gateway {
namespace {

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("gg-mapped-" + std::to_string(::getpid()) + "-" + name);
}

// A file that ends exactly on a page boundary is where a plain file mapping has no byte after it: the padding
// still reads as zeros.
TEST(MappedInput, AFileEndingOnAPageBoundaryIsFollowedByReadableZeroPadding) {
  const auto path = temp_path("page");
  const std::string content(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) * 2, '{');
  std::ofstream(path, std::ios::binary) << content;
  {
    MappedInput input(path.string());
    ASSERT_TRUE(input.ok()) << input.error();
    EXPECT_EQ(input.text(), content);
    const char* after = input.text().data() + input.text().size();
    for (std::size_t i = 0; i < fhir::kJsonPadding; ++i) EXPECT_EQ(after[i], '\0') << i;
    input.release_all();
    EXPECT_EQ(input.text(), content);  // released pages are read again from the file
  }
  std::filesystem::remove(path);
}

TEST(MappedInput, AStreamThatCannotBeMappedIsCopiedFirst) {
  const auto path = temp_path("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const std::string content = "{\"resourceType\":\"Patient\",\"id\":\"7\"}\n";
  std::thread writer([&] { std::ofstream(path, std::ios::binary) << content; });
  MappedInput input(path.string());
  writer.join();
  std::filesystem::remove(path);
  ASSERT_TRUE(input.ok()) << input.error();
  EXPECT_EQ(input.text(), content);
}

TEST(MappedInput, AMissingFileSaysSo) {
  MappedInput input("/nonexistent/gg-input.ndjson");
  EXPECT_FALSE(input.ok());
  EXPECT_EQ(input.error(), "cannot read input /nonexistent/gg-input.ndjson");
  EXPECT_TRUE(input.text().empty());
}

}  // namespace
}  // namespace gg::gateway
