#include "gateway/commands/check_config_command.hpp"

#include <ostream>

#include "gateway/config/knowledge_loader.hpp"

namespace gg::gateway {
namespace {

constexpr int kValid = 0;
constexpr int kConfigurationError = 2;

}  // namespace

std::vector<ConfigProblem> check_config(const std::string& path, const Environment& environment) {
  auto loaded = load_config(path, environment);
  if (!loaded) return loaded.error();
  auto knowledge = load_knowledge(loaded->analysis.terminology_dir, loaded->analysis.rules_dir);
  return knowledge.error();
}

int run_check_config(const std::string& path, const Environment& environment, std::ostream& out,
                     std::ostream& err) {
  const auto problems = check_config(path, environment);
  if (!problems.empty()) {
    print_problems(problems, err);
    err << problems.size() << " problem(s) in " << path << '\n';
    return kConfigurationError;
  }
  out << path << ": valid\n";
  return kValid;
}

void print_problems(const std::vector<ConfigProblem>& problems, std::ostream& err) {
  for (const auto& problem : problems) err << problem.location << ": " << problem.message << '\n';
}

}  // namespace gg::gateway
