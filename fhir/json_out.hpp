// Compact JSON (RFC 8259) appended straight to a string, for the FHIR JSON the gateway writes (R4 2.6.2): the
// encoder of fhir/ resources (json_codec.hpp) and the write-back, which writes its resources without building them
// as values first. A value needs no escape most of the time and is then copied at once.
//
// Commas are decided from what was written last: in a container, a key or a value that follows another value gets
// one. Whatever `out` held before is left as it is, so one string can carry several documents (NDJSON lines, the
// entries of a Bundle written one by one).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gg::fhir {

class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}

  // ---- Structure ----
  void start_object() {
    separate();
    out_ += '{';
    ++depth_;
  }
  void end_object() {
    out_ += '}';
    --depth_;
  }
  void start_array() {
    separate();
    out_ += '[';
    ++depth_;
  }
  void end_array() {
    out_ += ']';
    --depth_;
  }
  // An element name: every name the gateway writes is a specification element name (letters only), so it is
  // written as it is, never escaped.
  void key(std::string_view name) {
    separate();
    // One append of '"name":' assembled on the stack: a string append costs about as much as the bytes it copies
    // at these lengths, and a key was three.
    constexpr std::size_t kLongest = 61;
    if (name.size() > kLongest) {
      out_ += '"';
      out_.append(name);
      out_.append("\":", 2);
      return;
    }
    char quoted[kLongest + 3];
    quoted[0] = '"';
    std::memcpy(quoted + 1, name.data(), name.size());
    quoted[name.size() + 1] = '"';
    quoted[name.size() + 2] = ':';
    out_.append(quoted, name.size() + 3);
  }
  void start_object(std::string_view name) {
    key(name);
    start_object();
  }
  void start_array(std::string_view name) {
    key(name);
    start_array();
  }

  // ---- Values ----
  // A JSON string: '"', '\\' and the control characters escaped as RFC 8259 section 7 says (\b \t \n \f \r, the
  // others \u00XX); every other byte, UTF-8 included, as it is.
  void text(std::string_view value);
  // A FHIR decimal (R4 2.24.0.1) as a JSON number that parses back to the same double: a whole number without a
  // fraction ("3", not "3.0"), another in the shortest form Grisu2 finds. Not finite: nothing (no JSON form).
  void number(double value);
  void integer(std::int64_t value);
  void boolean(bool value);

  // ---- Elements: a name and its value, left out when there is no value (R4 2.6.2: no empty strings) ----
  void string(std::string_view name, std::string_view value) {
    if (value.empty()) return;
    key(name);
    text(value);
  }
  void decimal(std::string_view name, const std::optional<double>& value);
  void integer(std::string_view name, const std::optional<int>& value) {
    if (!value) return;
    key(name);
    integer(*value);
  }
  void boolean(std::string_view name, bool value) {
    key(name);
    boolean(value);
  }
  void strings(std::string_view name, const std::vector<std::string>& values) {
    if (values.empty()) return;
    start_array(name);
    for (const std::string& value : values) text(value);
    end_array();
  }

  // JSON made by another JsonOut, as it is: members of an object (without its braces) or one item of an array.
  void raw(std::string_view json) {
    separate();
    out_.append(json);
  }

  std::string& buffer() { return out_; }

 private:
  // A comma before a key or a value that follows another one in the same container.
  void separate() {
    if (depth_ == 0 || out_.empty()) return;
    const char last = out_.back();
    if (last != '{' && last != '[' && last != ':') out_ += ',';
  }

  std::string& out_;
  int depth_ = 0;
};

}  // namespace gg::fhir
