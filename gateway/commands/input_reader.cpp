#include "gateway/commands/input_reader.hpp"

#include <map>

namespace gg::gateway {
namespace {

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// More than one line that starts a JSON object: NDJSON (a pretty-printed document has only one at column 0).
// NDJSON: the first line is a whole object by itself ("{...}") and another object line follows. A single JSON
// document written one element per line (a Bundle with an entry per line) starts with a line that does not close.
bool looks_like_ndjson(std::string_view text) {
  std::size_t objects = 0;
  std::size_t start = 0;
  while (start < text.size() && objects < 2) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
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

bool is_ndjson(const std::string& source, std::string_view text) {
  return ends_with(source, ".ndjson") || ends_with(source, ".jsonl") || looks_like_ndjson(text);
}

// A transaction's resources refer to each other by their entries' "urn:uuid:" fullUrls until the server assigns
// ids (R4 3.1.0.11.2). Read offline they are resolved the same way, with the UUID as the id (a valid id), so the
// results can be cited and grouped by patient: ids of resources without one, and the subjects that name them.
void resolve_placeholders(fhir::Bundle& bundle) {
  constexpr std::string_view kUuid = "urn:uuid:";
  std::map<std::string, std::string> resolved;  // fullUrl -> "Type/id"
  for (auto& entry : bundle.entry) {
    if (!entry.resource || entry.full_url.rfind(kUuid, 0) != 0) continue;
    const std::string id = entry.full_url.substr(kUuid.size());
    std::visit(
        [&](auto& resource) {
          if (resource.id.empty()) resource.id = id;
        },
        *entry.resource);
    resolved[entry.full_url] =
        std::string(fhir::resource_type(*entry.resource)) + "/" + std::string(fhir::resource_id(*entry.resource));
  }
  if (resolved.empty()) return;
  const auto resolve = [&](fhir::Reference& reference) {
    if (auto it = resolved.find(reference.reference); it != resolved.end()) reference.reference = it->second;
  };
  for (auto& entry : bundle.entry) {
    if (!entry.resource) continue;
    if (auto* observation = std::get_if<fhir::Observation>(&*entry.resource)) resolve(observation->subject);
    if (auto* use = std::get_if<fhir::MedicationUse>(&*entry.resource)) {
      resolve(use->subject);
      if (use->medication_reference) resolve(*use->medication_reference);
    }
  }
}

}  // namespace gg::gateway
