// Compact JSON (RFC 8259) appended to a string, for the FHIR JSON the gateway writes (R4 2.6.2): the encoder of
// fhir/ resources (json_codec.hpp) and the write-back, which writes its resources without building them as values
// first. A value needs no escape most of the time and is then copied at once.
//
// What is written gathers in a small buffer of the writer's own and goes to the string in pieces of that size: a
// string append is a call that costs about as much as the few bytes of a key or a value. The string holds all that
// was written whenever the writer is outside every object and array (after each document), after buffer() and
// after the writer's end; in a document, the rest may still be in the writer.
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
  ~JsonOut() { flush(); }
  JsonOut(const JsonOut&) = delete;
  JsonOut& operator=(const JsonOut&) = delete;

  // ---- Structure ----
  void start_object() {
    separate();
    put('{');
    ++depth_;
  }
  void end_object() {
    put('}');
    if (--depth_ == 0) flush();
  }
  void start_array() {
    separate();
    put('[');
    ++depth_;
  }
  void end_array() {
    put(']');
    if (--depth_ == 0) flush();
  }
  // An element name: every name the gateway writes is a specification element name (letters only), so it is
  // written as it is, never escaped.
  void key(std::string_view name) {
    separate();
    if (name.size() + 3 > kStaged - staged_) {
      put('"');
      put(name);
      put("\":");
      return;
    }
    char* at = stage_ + staged_;
    at[0] = '"';
    std::memcpy(at + 1, name.data(), name.size());
    at[name.size() + 1] = '"';
    at[name.size() + 2] = ':';
    staged_ += name.size() + 3;
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
    put(json);
    if (depth_ == 0) flush();
  }

  // The string, holding all that was written: for appending to it directly between documents.
  std::string& buffer() {
    flush();
    return out_;
  }

 private:
  static constexpr std::size_t kStaged = 512;

  void put(char c) {
    if (staged_ == kStaged) flush();
    stage_[staged_++] = c;
  }
  void put(std::string_view bytes) {
    if (bytes.size() > kStaged - staged_) {
      put_long(bytes);
      return;
    }
    std::memcpy(stage_ + staged_, bytes.data(), bytes.size());
    staged_ += bytes.size();
  }
  // Bytes that do not fit in what is left of the buffer: after it, straight to the string when they would fill it.
  void put_long(std::string_view bytes);
  void flush() {
    if (staged_ == 0) return;
    out_.append(stage_, staged_);
    staged_ = 0;
  }
  // The escaped form of a text that needs it (text()).
  void put_escaped(std::string_view value);

  // A comma before a key or a value that follows another one in the same container.
  void separate() {
    if (depth_ == 0) return;
    char last = 0;
    if (staged_ > 0) {
      last = stage_[staged_ - 1];
    } else if (!out_.empty()) {
      last = out_.back();
    } else {
      return;
    }
    if (last != '{' && last != '[' && last != ':') put(',');
  }

  std::string& out_;
  int depth_ = 0;
  std::size_t staged_ = 0;
  char stage_[kStaged];
};

}  // namespace gg::fhir
