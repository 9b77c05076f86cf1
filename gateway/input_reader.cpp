#include "gateway/input_reader.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace gg::gateway {
namespace {

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// More than one line that starts a JSON object: NDJSON (a pretty-printed document has only one at column 0).
// NDJSON: the first line is a whole object by itself ("{...}") and another object line follows. A single JSON
// document written one element per line (a Bundle with an entry per line) starts with a line that does not close.
bool looks_like_ndjson(const std::string& text) {
  std::size_t objects = 0;
  std::size_t start = 0;
  while (start < text.size() && objects < 2) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    start = end + 1;
    if (line.empty()) continue;
    if (line.front() != '{') return false;
    if (objects == 0 && line.back() != '}') return false;
    ++objects;
  }
  return objects >= 2;
}

}  // namespace

void read_input(const std::string& source, const fhir::DecodeOptions& options, const InputHandlers& handlers) {
  std::string text;
  if (source == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(source, std::ios::binary);
    if (!in) {
      handlers.on_error({source, 0}, {fhir::DecodeIssue{fhir::DecodeIssue::Severity::fatal, "not-found", "",
                                                        "cannot read input " + source}});
      return;
    }
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  if (ends_with(source, ".ndjson") || ends_with(source, ".jsonl") || looks_like_ndjson(text)) {
    fhir::decode_ndjson(text, options, [&](std::size_t line, fhir::DecodeResult<fhir::Resource>&& result) {
      if (!result.issues.empty() && !result.ok()) {
        handlers.on_error({source, line}, result.issues);
        return;
      }
      handlers.on_resource({source, line}, std::move(*result.value));
    });
    return;
  }

  auto result = fhir::decode_document(text, options);
  if (!result.ok()) {
    handlers.on_error({source, 0}, result.issues);
    return;
  }
  if (auto* bundle = std::get_if<fhir::Bundle>(&result.value->content)) {
    // Broken entries were reported as issues with their paths; the good ones still count.
    std::vector<fhir::DecodeIssue> errors;
    for (const auto& issue : result.issues) {
      if (issue.severity != fhir::DecodeIssue::Severity::warning) errors.push_back(issue);
    }
    if (!errors.empty()) handlers.on_error({source, 0}, errors);
    for (auto& entry : bundle->entry) {
      if (entry.resource) handlers.on_resource({source, 0}, std::move(*entry.resource));
    }
    return;
  }
  handlers.on_resource({source, 0}, std::move(std::get<fhir::Resource>(result.value->content)));
}

}  // namespace gg::gateway
