#include "gateway/commands/check_config_command.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace gg::gateway {
namespace {

const std::string kShipped = std::string(GG_SOURCE_DIR) + "/config/gateway.yaml";
const Environment kSecret = {{"GRADIENT_GATEWAY_SUBSCRIPTION_SECRET", "s3cret"},
                             {"GRADIENT_GATEWAY_SERVER_PLAIN_HTTP", "true"}};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CheckConfigCommand, TheShippedConfigurationIsValid) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_check_config(kShipped, kSecret, out, err), 0) << err.str();
  EXPECT_EQ(out.str(), kShipped + ": valid\n");
  EXPECT_EQ(err.str(), "");
}

TEST(CheckConfigCommand, EveryProblemIsPrintedWithItsLocationAndCounted) {
  const auto dir = std::filesystem::temp_directory_path() / ("gg-check-config-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = (dir / "gateway.yaml").string();
  std::ofstream(path) << "server:\n  port: 99999\nfhir:\n  base_url: ftp://x\n";
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_check_config(path, kSecret, out, err), 2);
  EXPECT_EQ(out.str(), "");
  const std::string printed = err.str();
  EXPECT_NE(printed.find("gateway.yaml:2:9 (server.port): "), std::string::npos) << printed;
  // Checks of a value against the others are made after reading, so they name the key without a line.
  EXPECT_NE(printed.find("fhir.base_url: must start with http:// or https://\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("analysis.rules_dir: directory "), std::string::npos) << printed;
  EXPECT_NE(printed.find("4 problem(s) in " + path + "\n"), std::string::npos) << printed;
  std::filesystem::remove_all(dir);
}

TEST(CheckConfigCommand, TheKnowledgeTheConfigurationNamesIsCheckedToo) {
  const auto dir = std::filesystem::temp_directory_path() / ("gg-check-knowledge-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "terminology");
  std::filesystem::create_directories(dir / "rules");
  const auto path = (dir / "gateway.yaml").string();
  std::ofstream(path) << "analysis:\n  terminology_dir: terminology\n  rules_dir: rules\n";
  const auto problems = check_config(path, kSecret);
  ASSERT_FALSE(problems.empty());
  for (const auto& problem : problems) {
    EXPECT_EQ(problem.location.rfind(dir.string(), 0), 0u) << problem.location << ": " << problem.message;
  }
  std::filesystem::remove_all(dir);
}

// `--help` lists every key the loader accepts (describe_config_keys); the shipped gateway.yaml documents each one,
// set or commented out, in its section. A key added to the loader and not to the file fails here.
TEST(CheckConfigCommand, TheShippedFileDocumentsEveryKeyTheLoaderAccepts) {
  const std::string shipped = read_file(kShipped);
  std::istringstream keys(describe_config_keys());
  std::string line;
  std::string section;
  std::size_t checked = 0;
  while (std::getline(keys, line)) {
    if (!line.empty() && line[0] != ' ' && line.back() == ':') {
      section = line.substr(0, line.size() - 1);
      continue;
    }
    if (line.rfind("  ", 0) != 0 || line.rfind("    ", 0) == 0) continue;  // meanings are indented further
    const std::string key = line.substr(2, line.find(' ', 2) - 2);
    const auto section_at = shipped.find("\n" + section + ":\n");
    ASSERT_NE(section_at, std::string::npos) << section;
    const auto section_end = shipped.find("\n\n", section_at + 1);
    const std::string body = shipped.substr(section_at, section_end - section_at);
    const bool documented =
        body.find("\n  " + key + ":") != std::string::npos || body.find("\n  # " + key + ":") != std::string::npos;
    EXPECT_TRUE(documented) << section << "." << key << " is not in config/gateway.yaml";
    ++checked;
  }
  EXPECT_GT(checked, 20u);
}

}  // namespace
}  // namespace gg::gateway
