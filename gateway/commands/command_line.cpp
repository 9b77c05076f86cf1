#include "gateway/commands/command_line.hpp"

#include <string>

#include "analytics/date_time.hpp"

namespace gg::gateway {

Arguments parse_arguments(const std::vector<std::string>& words) {
  Arguments args;
  if (words.empty()) {
    args.error = "no command given";
    return args;
  }
  args.command = words[0];
  for (std::size_t i = 1; i < words.size() && args.error.empty(); ++i) {
    const std::string& word = words[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= words.size()) {
        args.error = word + " needs a value";
        return;
      }
      into = words[++i];
    };
    if (word == "--config") {
      value(args.config);
    } else if (word == "--as-of") {
      value(args.as_of);
    } else if (word == "--ndjson") {
      args.ndjson = true;
    } else if (word == "--jobs") {
      value(args.jobs);
    } else if (word == "--index-budget") {
      value(args.index_budget);
    } else if (word == "--html") {
      value(args.html);
    } else if (word == "--force") {
      args.force = true;
    } else if (word == "--since") {
      value(args.since);
    } else if (word == "--failed") {
      args.failed = true;
    } else if (word == "--export") {
      args.bulk_export = true;
    } else if (word == "--export-poll-max") {
      value(args.export_poll_max);
    } else if (word == "--search") {
      args.search = true;
    } else if (word == "--until") {
      value(args.until);
    } else if (word == "--search-count") {
      value(args.search_count);
    } else if (word == "--search-max-pages") {
      value(args.search_max_pages);
    } else if (word == "-" || word.rfind("--", 0) != 0) {
      args.files.push_back(word);
    } else {
      args.error = "unknown option " + word;
    }
  }
  return args;
}

std::optional<std::chrono::sys_seconds> parse_as_of(const std::string& text) {
  if (text.empty()) return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto parsed = analytics::parse_fhir_date_time(text);
  if (!parsed.instant) return std::nullopt;
  return parsed.instant->utc;
}

std::optional<long> parse_whole_number(const std::string& text, long minimum, long maximum) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return {};
  const long number = std::stol(text);
  if (number < minimum || number > maximum) return {};
  return number;
}

}  // namespace gg::gateway
