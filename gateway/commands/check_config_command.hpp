// `gradient-gateway check-config`: loads a gateway.yaml and the knowledge it names (the analyte catalogue, the
// terminology and the rules) exactly as `serve` would, and prints every problem with its location.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"

namespace gg::gateway {

// Every problem of the configuration at path and of the knowledge it names: the configuration's own first; the
// knowledge's only when the configuration loaded (it names the knowledge's folders).
std::vector<ConfigProblem> check_config(const std::string& path, const Environment& environment);

// Prints "PATH: valid" on out and returns 0, or prints one "location: message" line per problem and a count on err
// and returns 2 (a configuration error, like every command's).
int run_check_config(const std::string& path, const Environment& environment, std::ostream& out,
                     std::ostream& err);

// One "location: message" line per problem.
void print_problems(const std::vector<ConfigProblem>& problems, std::ostream& err);

}  // namespace gg::gateway
