// Shared by the knowledge loading tests: the shipped configuration's path, a scratch directory per test, and the
// loader's problems as one text for failure messages and substring checks.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "gateway/config/knowledge_loader.hpp"

namespace gg::gateway::testing {

inline const std::string kConfig = std::string(GG_SOURCE_DIR) + "/config";

// "location: message" lines, one per problem.
inline std::string problems_text(const KnowledgeLoad& loaded) {
  std::string text;
  for (const auto& problem : loaded.error()) text += problem.location + ": " + problem.message + "\n";
  return text;
}

// An empty directory named after the running test ("gg-<prefix>-<test>"), removed again afterwards.
class ScratchDirectory {
 public:
  explicit ScratchDirectory(const std::string& prefix)
      : path_(std::filesystem::temp_directory_path() /
              ("gg-" + prefix + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDirectory() { std::filesystem::remove_all(path_); }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace gg::gateway::testing
