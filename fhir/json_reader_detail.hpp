// Private to the JSON reader (fhir/json_reader*.cpp): the decoding context that walks a simdjson On-Demand
// document once, in document order, and records every problem with its element path (after google/fhir's error
// reporter). Not part of the fhir/ interface: only the reader's own translation units include it.
//
// Every API used here exists in simdjson 3.0.1 (Debian bookworm): ondemand::object::reset, field::unescaped_key(),
// field::key() compared with a string_view and its raw(), value::type(), document::current_location().
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/decode_result.hpp"
#include "fhir/json_codec.hpp"
#include "fhir/json_reader_repeats.hpp"
#include "fhir/resources.hpp"

namespace gg::fhir::json_detail {

namespace od = simdjson::ondemand;

// The state of one decode: options, collected issues and the element path of the value being read. The path is
// kept as segments and only turned into text when an issue is reported, so a clean document builds no strings.
// Reader::Segment stores the address of a segment on the caller's stack in the reader and its destructor takes
// it back out; GCC's -Wdangling-pointer sees the first and not the second.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
class Reader {
 public:
  Reader(const DecodeOptions& options, std::vector<DecodeIssue>& issues) : options_(options), issues_(issues) {}
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Where byte positions of malformed JSON are measured from, and where the document ends.
  void attach(od::document& document, std::string_view input) {
    document_ = &document;
    input_begin_ = input.data();
    input_end_ = input.data() + input.size();
  }
  // The input from a value's first byte to the end of its document (without consuming the value).
  std::string_view rest_of_input(od::value& value) const {
    const char* at = value.raw_json_token().data();
    return {at, static_cast<std::size_t>(input_end_ - at)};
  }

  const DecodeOptions& options() const { return options_; }

  // Where the iteration stands in the (padded copy of the) input, or nullptr at its end.
  const char* position() const {
    const char* at = nullptr;
    if (document_ == nullptr || document_->current_location().get(at) != simdjson::SUCCESS) return nullptr;
    return at;
  }
  // When set, a decoded Bundle appends each entry's resource as it appeared in the input ("" when the entry has
  // no usable resource), one string per entry (decode_bundle_keeping_entry_json).
  void keep_entry_json(std::vector<std::string>* sink) { entry_json_ = sink; }
  std::vector<std::string>* entry_json() const { return entry_json_; }
  // Where the top-level Observation is decoded, when the caller gives a place (decode_observation_in_place);
  // make_resource_decoder takes it, once.
  void decode_observation_into(Observation* target) { observation_target_ = target; }
  Observation* take_observation_target() { return std::exchange(observation_target_, nullptr); }
  std::vector<DecodeIssue>& issues() { return issues_; }
  // True after malformed JSON: the On-Demand iterator cannot go on, so every loop stops.
  bool failed() const { return failed_; }
  // Errors and fatal issues so far (warnings excluded).
  std::size_t error_count() const { return error_count_; }

  // A path segment for as long as it lives. Names must outlive the segment (literals or parser-owned keys).
  // The segments live on the stack of the functions reading, each naming the one before it: entering and leaving
  // an element stores and restores a pointer (a decode enters some 60 per Observation), and the path is put
  // together only when an issue is reported. Returned by value only as a prvalue (never copied or moved), so a
  // segment is built where it lives and the pointer to it stays good.
  class [[nodiscard]] Segment {
   public:
    Segment(Reader& reader, std::string_view name, std::size_t index, bool is_index)
        : reader_(reader), parent_(reader.top_), name_(name), index_(index), is_index_(is_index) {
      reader_.top_ = this;
    }
    ~Segment() { reader_.top_ = parent_; }
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;

   private:
    friend class Reader;
    Reader& reader_;
    const Segment* parent_;
    std::string_view name_;
    std::size_t index_;
    bool is_index_;
  };
  Segment element(std::string_view name) { return Segment(*this, name, 0, false); }

  // Turns one of the reader's switches off for as long as it lives.
  class [[nodiscard]] SwitchedOff {
   public:
    explicit SwitchedOff(bool& on) : on_(on), before_(on) { on_ = false; }
    ~SwitchedOff() { on_ = before_; }
    SwitchedOff(const SwitchedOff&) = delete;
    SwitchedOff& operator=(const SwitchedOff&) = delete;

   private:
    bool& on_;
    bool before_;
  };
  // While one lives, values are checked as always but not stored: strings stay empty and lists are read element by
  // element into one scratch value (read_value below), so nothing is allocated. The issues are the same.
  class [[nodiscard]] NotKept : SwitchedOff {
   public:
    explicit NotKept(Reader& reader) : SwitchedOff(reader.keeping_) {}
  };
  bool keeping() const { return keeping_; }
  // While one lives, a Coding's display is checked but not stored (Observation.code for a caller that only
  // analyses: DecodeOptions::keep_unanalysed_elements).
  class [[nodiscard]] DisplayNotKept : SwitchedOff {
   public:
    explicit DisplayNotKept(Reader& reader) : SwitchedOff(reader.keeping_display_) {}
  };
  bool keeping_display() const { return keeping_ && keeping_display_; }
  // The switches that change what a read gives, as bits (read_repeated).
  unsigned switches() const {
    return (keeping_ ? 1U : 0U) | (keeping_display_ ? 2U : 0U) | (options_.keep_unanalysed_elements ? 4U : 0U);
  }
  Segment index(std::size_t i) { return Segment(*this, {}, i, true); }

  // "Observation.category[1].coding[0].system"
  std::string path() const;

  // Issues at the current path. Messages name the element and what was expected, never the value found.
  void report(DecodeIssue::Severity severity, std::string_view code, std::string message);
  void error(std::string_view code, std::string message) {
    report(DecodeIssue::Severity::error, code, std::move(message));
  }
  // A text refused whole (a limit): one fatal issue, and decoding stops.
  void refuse(std::string_view code, std::string message) {
    failed_ = true;
    report(DecodeIssue::Severity::fatal, code, std::move(message));
  }
  // Malformed JSON (or a parser limit): reported once as fatal/structure with the byte position, stops decoding.
  void fail(simdjson::error_code code);
  // Drops the non-fatal issues recorded from `first_issue` on (an Observation the caller does not want).
  void discard_issues_since(std::size_t first_issue);

  // Checks the JSON type of a value without consuming it; a mismatch is an error at the current path and the value
  // is left for the enclosing iteration to skip.
  bool expect(od::value& value, od::json_type wanted);

  // Leaf readers for FHIR primitives (R4 2.6.2.1: strings, decimals as JSON numbers, booleans).
  void read(od::value& value, std::string& out);
  void read(od::value& value, std::optional<double>& out);  // decimal, kept as the nearest double
  void read(od::value& value, std::optional<int>& out);     // unsignedInt
  void read(od::value& value, bool& out);
  // An array of primitives; null entries (R4 2.6.2.3, aligned with a "_name" array) are skipped.
  void read(od::value& value, std::vector<std::string>& out);

  // Calls on_field(key, value) for every property of an object, in document order, with the key pushed on the
  // path.
  template <typename OnField>
  void for_each_field(od::object& object, OnField&& on_field);
  template <typename OnField>
  void for_each_field(od::value& value, OnField&& on_field);
  // Calls on_element(value) for every array element with its index pushed on the path.
  template <typename OnElement>
  void for_each_element(od::value& value, OnElement&& on_element);

 private:
  const DecodeOptions& options_;
  std::vector<DecodeIssue>& issues_;
  const Segment* top_ = nullptr;  // the innermost element being read
  od::document* document_ = nullptr;
  const char* input_begin_ = nullptr;
  const char* input_end_ = nullptr;
  std::vector<std::string>* entry_json_ = nullptr;
  Observation* observation_target_ = nullptr;
  std::size_t error_count_ = 0;
  bool failed_ = false;
  bool keeping_ = true;
  bool keeping_display_ = true;
};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// A property's name. Without an escape (nearly always) it is its bytes where they lie in the input: unescaping
// copies them into simdjson's string buffer through a call into its library, for every property of every result.
// With one, unescaped. The name is closed in the input (simdjson's first stage checks that every string is), so
// the walk to its closing quote ends there or at an earlier backslash.
inline simdjson::error_code name_of(od::field& field, std::string_view& name) {
  const char* start = field.key().raw();
  const char* end = start;
  while (*end != '"' && *end != '\\') ++end;
  if (*end == '"') {
    name = std::string_view(start, static_cast<std::size_t>(end - start));
    return simdjson::SUCCESS;
  }
  return field.unescaped_key().get(name);
}

template <typename OnField>
void Reader::for_each_field(od::object& object, OnField&& on_field) {
  for (auto field_result : object) {
    // Used where simdjson made it, not copied out (read_remaining_fields in json_reader.cpp says why).
    if (auto code = field_result.error()) return fail(code);
    od::field&& field = std::move(field_result).value_unsafe();
    std::string_view key;
    if (auto code = name_of(field, key)) return fail(code);
    Segment segment = element(key);
    on_field(key, field.value());
    if (failed_) return;
  }
}

template <typename OnField>
void Reader::for_each_field(od::value& value, OnField&& on_field) {
  if (!expect(value, od::json_type::object)) return;
  od::object object;
  if (auto code = value.get_object().get(object)) return fail(code);
  for_each_field(object, on_field);
}

template <typename OnElement>
void Reader::for_each_element(od::value& value, OnElement&& on_element) {
  if (!expect(value, od::json_type::array)) return;
  od::array array;
  if (auto code = value.get_array().get(array)) return fail(code);
  std::size_t i = 0;
  for (auto element_result : array) {
    od::value element_value;
    // simdjson_result::get() is &&-qualified: the move selects it, it moves nothing.
    // NOLINTNEXTLINE(performance-move-const-arg)
    if (auto code = std::move(element_result).get(element_value)) return fail(code);
    Segment segment = index(i++);
    on_element(element_value);
    if (failed_) return;
  }
}

// ---- Data types (json_reader_datatypes.cpp), R4 section 2.24 ---------------------------------------------------
// ---------------------------------------------------- Overloaded on the target so the list and optional templates
// below and the resource readers read alike.

void read_value(Reader& r, od::value& value, std::string& out);
void read_value(Reader& r, od::value& value, std::vector<std::string>& out);  // nulls skipped, see Reader::read
void read_value(Reader& r, od::value& value, Coding& out);
void read_value(Reader& r, od::value& value, CodeableConcept& out);
void read_value(Reader& r, od::value& value, Quantity& out);
void read_value(Reader& r, od::value& value, Identifier& out);
void read_value(Reader& r, od::value& value, Reference& out);
void read_value(Reader& r, od::value& value, Period& out);
void read_value(Reader& r, od::value& value, Annotation& out);
void read_value(Reader& r, od::value& value, Meta& out);

// An element with cardinality 0..1 whose type is a complex type.
template <typename T>
void read_value(Reader& r, od::value& value, std::optional<T>& out) {
  read_value(r, value, out.emplace());
}

// An element with cardinality 0..*: FHIR JSON always uses an array, even for one item (R4 2.6.2).
template <typename T>
void read_value(Reader& r, od::value& value, std::vector<T>& out) {
  if (!r.keeping()) {
    T scratch;  // stays empty: nothing is stored while not keeping
    r.for_each_element(value, [&](od::value& element) { read_value(r, element, scratch); });
    return;
  }
  r.for_each_element(value, [&](od::value& element) { read_value(r, element, out.emplace_back()); });
}

// Whether a property's key is `name`, a literal: a length check and a comparison of known size, which the compiler
// reduces to a few integer compares. `key == "name"` left a call to string_view::compare for every candidate of
// the largest dispatcher (ObservationDecoder::field, some 19 a result).
template <std::size_t N>
inline bool is(std::string_view key, const char (&name)[N]) {
  return key.size() == N - 1 && std::memcmp(key.data(), name, N - 1) == 0;
}

// An element no analysis reads: checked as always, and stored only when the caller keeps such elements
// (DecodeOptions::keep_unanalysed_elements).
template <typename T>
void read_unanalysed(Reader& r, od::value& value, T& out) {
  if (r.options().keep_unanalysed_elements) return read_value(r, value, out);
  const Reader::NotKept not_kept(r);
  read_value(r, value, out);
}

// Reads an element with `read()` into `out`, or, under DecodeOptions::reuse_repeated_elements, takes what the same
// bytes gave before at this call site on this thread (`repeats`, json_reader_repeats.hpp). `site_variant`: the
// site's own choices that change what the read gives. Only an element read into an empty `out` is taken or
// remembered: a key given twice adds to what its first read gave.
template <typename T, std::size_t KeyBytes, typename Read>
void read_repeated(Reader& r, od::value& value, RepeatedElements<T, KeyBytes>& repeats, unsigned site_variant,
                   T& out, Read&& read) {
  if (!r.options().reuse_repeated_elements || !(out == T{})) return read();
  const std::string_view rest = r.rest_of_input(value);
  const unsigned variant = site_variant << 3U | r.switches();
  const auto lookup = repeats.find(rest, variant);
  if (lookup.found != nullptr) {
    out = *lookup.found;  // the value is left unread: the enclosing loop skips it
    return;
  }
  const std::size_t issues_before = r.issues().size();
  read();
  if (!r.failed() && r.issues().size() == issues_before)
    repeats.remember(lookup, rest, variant, out, r.position());
}

// read_unanalysed through read_repeated: a lab's category, interpretation and notes recur in most of its results.
template <typename T, std::size_t KeyBytes>
void read_unanalysed_repeated(Reader& r, od::value& value, RepeatedElements<T, KeyBytes>& repeats, T& out) {
  read_repeated(r, value, repeats, 0, out, [&] { read_unanalysed(r, value, out); });
}

// ---- Resources (json_reader_resources.cpp) ---------------------------------------------------------------------

// Receives the elements of one resource after its resourceType is known, then yields the resource.
class ResourceDecoder {
 public:
  virtual ~ResourceDecoder() = default;
  // One property of the resource object; the key is already on the reader's path. Unknown keys are ignored.
  virtual void field(Reader& r, std::string_view key, od::value& value) = 0;
  // After the last property: required-element checks; puts the resource as decoded in `out`.
  virtual void finish(Reader& r, std::optional<Resource>& out) = 0;
};

// The decoder for a resourceType; types that are not modelled (a nested Bundle included) keep id and meta only.
// `out` receives the resource (some decoders build it there from the start); the caller empties it when the
// resource has errors.
std::unique_ptr<ResourceDecoder> make_resource_decoder(Reader& r, std::string_view resource_type,
                                                       std::optional<Resource>& out);

}  // namespace gg::fhir::json_detail
