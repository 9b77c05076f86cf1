// The decoding context (issues, paths, primitives) and the FHIR data types (R4 section 2.24) read from simdjson
// On-Demand values. Elements that are not modelled, extensions and "_name" primitive siblings are skipped unread.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fhir/json_reader_detail.hpp"

namespace gg::fhir::json_detail {

namespace {

std::string_view describe(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "a JSON array";
    case od::json_type::object:
      return "a JSON object";
    case od::json_type::number:
      return "a JSON number";
    case od::json_type::string:
      return "a JSON string";
    case od::json_type::boolean:
      return "a JSON boolean";
    case od::json_type::null:
      return "null";
  }
  return "an unknown JSON value";
}

}  // namespace

// ---- Repeated elements (json_reader_repeats.hpp) ---------------------------------------------------------------

std::size_t bracketed_length(std::string_view text) {
  if (text.empty() || (text.front() != '{' && text.front() != '[')) return 0;
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, a quote or a backslash included
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return 0;
}

// ---- Reader ----------------------------------------------------------------------------------------------------

std::string Reader::path() const {
  std::vector<const Segment*> segments;  // innermost first
  for (const Segment* segment = top_; segment != nullptr; segment = segment->parent_) segments.push_back(segment);
  std::reverse(segments.begin(), segments.end());
  std::string text;
  for (const Segment* segment : segments) {
    if (segment->is_index_) {
      text += '[';
      text += std::to_string(segment->index_);
      text += ']';
    } else {
      if (!text.empty()) text += '.';
      text += segment->name_;
    }
  }
  return text;
}

void Reader::report(DecodeIssue::Severity severity, std::string_view code, std::string message) {
  if (severity != DecodeIssue::Severity::warning) ++error_count_;
  issues_.push_back(DecodeIssue{severity, std::string(code), path(), std::move(message)});
}

void Reader::fail(simdjson::error_code code) {
  if (failed_) return;
  failed_ = true;
  std::string message = "malformed JSON: ";
  message += simdjson::error_message(code);
  // The position of the token where On-Demand stopped. A document that ends early is only found out once the
  // iterator is dead, and then simdjson answers with the root position, which would point at the wrong place.
  const char* location = nullptr;
  if (code != simdjson::INCOMPLETE_ARRAY_OR_OBJECT && document_ != nullptr && input_begin_ != nullptr &&
      document_->current_location().get(location) == simdjson::SUCCESS) {
    message += " (at byte ";
    message += std::to_string(location - input_begin_);
    message += ')';
  }
  report(DecodeIssue::Severity::fatal, "structure", std::move(message));
}

void Reader::discard_issues_since(std::size_t first_issue) {
  std::size_t kept = first_issue;
  for (std::size_t i = first_issue; i < issues_.size(); ++i) {
    if (issues_[i].severity == DecodeIssue::Severity::fatal) {
      if (kept != i) issues_[kept] = std::move(issues_[i]);
      ++kept;
    } else if (issues_[i].severity == DecodeIssue::Severity::error) {
      --error_count_;
    }
  }
  issues_.resize(kept);
}

bool Reader::expect(od::value& value, od::json_type wanted) {
  od::json_type found;
  if (auto code = value.type().get(found)) {
    fail(code);
    return false;
  }
  if (found == wanted) return true;
  std::string message = "wrong JSON type: expected ";
  message += describe(wanted);
  message += ", found ";
  message += describe(found);
  error("structure", std::move(message));
  return false;
}

void Reader::read(od::value& value, std::string& out) {
  if (!expect(value, od::json_type::string)) return;
  std::string_view text;
  if (auto code = value.get_string().get(text)) return fail(code);
  if (keeping_) out.assign(text);
}

void Reader::read(od::value& value, std::optional<double>& out) {
  if (!expect(value, od::json_type::number)) return;
  // simdjson parses a decimal to the nearest double (correctly rounded), so "12.5" or "0.1" come back exactly as a
  // C++ literal of the same text would (R4 2.24.0.1 decimal).
  double number = 0;
  const auto code = value.get_double().get(number);
  if (code == simdjson::NUMBER_ERROR || code == simdjson::NUMBER_OUT_OF_RANGE ||
      code == simdjson::INCORRECT_TYPE) {
    // The token is left unconsumed and skipped by the enclosing object.
    return error("value", "not a decimal number representable as a double");
  }
  if (code) return fail(code);
  out = number;
}

void Reader::read(od::value& value, std::optional<int>& out) {
  if (!expect(value, od::json_type::number)) return;
  std::int64_t number = 0;
  const auto code = value.get_int64().get(number);
  if (code == simdjson::NUMBER_ERROR || code == simdjson::NUMBER_OUT_OF_RANGE ||
      code == simdjson::INCORRECT_TYPE) {
    return error("value", "not an integer");
  }
  if (code) return fail(code);
  // unsignedInt: 0 .. 2^31-1 (R4 2.24.0.1).
  if (number < 0 || number > INT_MAX) return error("value", "integer out of the range of unsignedInt");
  out = static_cast<int>(number);
}

void Reader::read(od::value& value, bool& out) {
  if (!expect(value, od::json_type::boolean)) return;
  if (auto code = value.get_bool().get(out)) return fail(code);
}

void Reader::read(od::value& value, std::vector<std::string>& out) {
  for_each_element(value, [&](od::value& element) {
    od::json_type type;
    if (auto code = element.type().get(type)) return fail(code);
    if (type == od::json_type::null) return;
    if (!keeping_) {
      std::string scratch;
      return read(element, scratch);
    }
    read(element, out.emplace_back());
  });
}

// ---- Data types ------------------------------------------------------------------------------------------------

void read_value(Reader& r, od::value& value, std::string& out) {
  r.read(value, out);
}

void read_value(Reader& r, od::value& value, std::vector<std::string>& out) {
  r.read(value, out);
}

void read_value(Reader& r, od::value& value, Coding& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "system") {
      r.read(element, out.system);
    } else if (key == "version") {
      r.read(element, out.version);
    } else if (key == "code") {
      r.read(element, out.code);
    } else if (key == "display") {
      if (r.keeping_display()) return r.read(element, out.display);
      const Reader::NotKept not_kept(r);
      r.read(element, out.display);
    }
  });
}

void read_value(Reader& r, od::value& value, CodeableConcept& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "coding") {
      read_value(r, element, out.coding);
    } else if (key == "text") {
      r.read(element, out.text);
    }
  });
}

void read_value(Reader& r, od::value& value, Quantity& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "value") {
      r.read(element, out.value);
    } else if (key == "comparator") {
      r.read(element, out.comparator);
    } else if (key == "unit") {
      r.read(element, out.unit);
    } else if (key == "system") {
      r.read(element, out.system);
    } else if (key == "code") {
      r.read(element, out.code);
    }
  });
}

void read_value(Reader& r, od::value& value, Identifier& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "system") {
      r.read(element, out.system);
    } else if (key == "value") {
      r.read(element, out.value);
    }
  });
}

void read_value(Reader& r, od::value& value, Reference& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "reference") {
      r.read(element, out.reference);
    } else if (key == "display") {
      r.read(element, out.display);
    }
  });
}

void read_value(Reader& r, od::value& value, Period& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "start") {
      r.read(element, out.start);
    } else if (key == "end") {
      r.read(element, out.end);
    }
  });
}

void read_value(Reader& r, od::value& value, Annotation& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "text") r.read(element, out.text);
  });
}

void read_value(Reader& r, od::value& value, Meta& out) {
  r.for_each_field(value, [&](std::string_view key, od::value& element) {
    if (key == "versionId") {
      r.read(element, out.version_id);
    } else if (key == "lastUpdated") {
      read_unanalysed(r, element, out.last_updated);
    } else if (key == "profile") {
      read_unanalysed(r, element, out.profile);
    } else if (key == "tag") {
      read_unanalysed(r, element, out.tag);
    }
  });
}

}  // namespace gg::fhir::json_detail
