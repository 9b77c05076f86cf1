// Inputs of analyze mapped into memory with padding after them (gateway/commands/mapped_input.hpp).
#include "gateway/commands/mapped_input.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
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

// Kilobytes of the mapping holding `address` in this process's resident set (/proc/self/smaps), or -1.
long resident_kb(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t begin = 0;
    std::uintptr_t end = 0;
    char dash = 0;
    std::istringstream header(line);
    if (header >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= at && at < end;
    } else if (inside && line.rfind("Rss:", 0) == 0) {
      return std::strtol(line.c_str() + 4, nullptr, 10);
    }
  }
  return -1;
}

// Read as the scan reads (gateway/commands/input_index.cpp): front to back, handing back what is behind every so
// often. What stays resident is what is being read, however long the input: the pages the kernel maps around the
// one touched (fault-around) must go too. Releasing from the last release point's own page left up to 15 of them
// behind each time: 64 MB read this way kept about 8 MB.
TEST(MappedInput, PagesReadAndReleasedDoNotStayResident) {
  const auto path = temp_path("release");
  constexpr std::size_t kSize = std::size_t{64} << 20;
  {
    std::ofstream out(path, std::ios::binary);
    const std::string line(999, 'x');
    for (std::size_t written = 0; written < kSize; written += line.size() + 1) out << line << '\n';
  }
  {
    MappedInput input(path.string());
    ASSERT_TRUE(input.ok()) << input.error();
    const std::string_view text = input.text();
    constexpr std::size_t kReleaseEvery = std::size_t{256} << 10;
    std::size_t released = 0;
    unsigned sum = 0;
    for (std::size_t at = 0; at < text.size(); at += 1000) {  // line starts, never aligned to a page for long
      sum += static_cast<unsigned char>(text[at]);
      if (at - released > kReleaseEvery) {
        input.release(released, at);
        released = at;
      }
    }
    EXPECT_GT(sum, 0u);
    const long resident = resident_kb(text.data());
    ASSERT_GE(resident, 0) << "no mapping of the input in /proc/self/smaps";
    // At most the 2 MiB block of the last release point, what was read since and the kernel's read-around.
    EXPECT_LE(resident, 4096) << "KB of a 64 MB input resident after reading it front to back";
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
