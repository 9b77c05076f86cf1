// Private to the JSON reader (fhir/json_reader*.cpp): elements that recur byte for byte across the resources one
// thread decodes, such as a lab's category, an analyte's code and its reference range, are read once and then
// taken as they were read (DecodeOptions::reuse_repeated_elements).
//
// Why taking them is the same as reading them: what a reader gives for an element, and the issues it reports,
// depend only on the element's bytes and the reader's switches. An element is remembered only after it was read
// with no issue, as a complete object or array. Where another document has the same bytes at an element's start,
// stage 1 saw the same structure in them (they begin outside any string), so the element is exactly those bytes:
// a complete value ends at its closing bracket. Left unread, On-Demand skips it to the same place.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace gg::fhir::json_detail {

// The length of the JSON object or array at the start of `text` through its closing bracket, or 0 when `text`
// does not start with one that closes within it. Strings are stepped over with their escapes; nothing else is
// checked (a caller measures only a value On-Demand has just read without an issue).
std::size_t bracketed_length(std::string_view text);

// The elements one call site of one thread has read, by their bytes. Each remembered element keys on its first
// KeyBytes (shorter ones cost less to read than to look up and are not remembered), so a lookup hashes a fixed
// length and compares whole elements only where that matched: enough bytes to tell most elements of the site
// apart (an analyte's code follows 40 bytes of its system). Bounded: at most kCapacity elements; and a site
// whose elements are mostly distinct (a note of free text) stops looking after kTrial lookups.
template <typename T, std::size_t KeyBytes = 64>
class RepeatedElements {
 public:
  static constexpr std::size_t kKeyBytes = KeyBytes;
  static constexpr std::size_t kCapacity = 256;
  static constexpr std::size_t kTrial = 1024;
  static_assert(kKeyBytes % 8 == 0, "the key is hashed a 64-bit word at a time");

  struct Lookup {
    const T* found = nullptr;
    std::uint64_t key = 0;
    bool rememberable = false;  // no element of these bytes yet, and room for one
  };

  // `rest`: the input from the element's first byte to the end of its document. `variant`: the reader's switches
  // and the site's own choices that change what a read gives.
  Lookup find(std::string_view rest, unsigned variant) {
    Lookup lookup;
    if (off_ || rest.size() < kKeyBytes) return lookup;
    ++lookups_;
    lookup.key = key_of(rest.data()) ^ variant;
    for (std::size_t slot = lookup.key & (kSlots - 1); slots_[slot] != kEmpty; slot = (slot + 1) & (kSlots - 1)) {
      const Entry& entry = entries_[slots_[slot]];
      if (entry.key == lookup.key && entry.variant == variant && entry.bytes.size() <= rest.size() &&
          std::memcmp(entry.bytes.data(), rest.data(), entry.bytes.size()) == 0) {
        ++found_;
        lookup.found = &entry.value;
        return lookup;
      }
    }
    if (lookups_ >= kTrial && found_ * 2 < lookups_) off_ = true;  // reading costs less than looking, here
    lookup.rememberable = entries_.size() < kCapacity;
    return lookup;
  }

  // After a read of the element at the start of `rest` that reported no issue and gave `value`; `next`: where the
  // read left On-Demand (its next token; nullptr at the end of the document).
  void remember(const Lookup& lookup, std::string_view rest, unsigned variant, const T& value, const char* next) {
    if (!lookup.rememberable || entries_.size() >= kCapacity) return;
    const std::size_t length = bracketed_length(rest);
    if (length < kKeyBytes || !ends_at(rest, length, next)) return;
    std::size_t slot = lookup.key & (kSlots - 1);
    while (slots_[slot] != kEmpty) slot = (slot + 1) & (kSlots - 1);
    slots_[slot] = static_cast<std::uint16_t>(entries_.size());
    entries_.push_back(Entry{lookup.key, variant, std::string(rest.substr(0, length)), value});
  }

 private:
  static constexpr std::size_t kSlots = 2 * kCapacity;  // a power of two, at most half full
  static constexpr std::uint16_t kEmpty = 0xffff;
  struct Entry {
    std::uint64_t key;
    unsigned variant;
    std::string bytes;
    T value;
  };
  std::vector<Entry> entries_;
  std::array<std::uint16_t, kSlots> slots_ = filled(kEmpty);
  std::size_t lookups_ = 0;
  std::size_t found_ = 0;
  bool off_ = false;

  // A hash of the first kKeyBytes, a word at a time (a fixed length, so a few multiplications; std::hash's
  // general loop took twice the instructions of the rest of a lookup).
  static std::uint64_t key_of(const char* bytes) {
    std::uint64_t key = 0x9E3779B97F4A7C15U;
    for (std::size_t at = 0; at < kKeyBytes; at += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, bytes + at, 8);
      key = (key ^ word) * 0xFF51AFD7ED558CCDU;
      key ^= key >> 29U;
    }
    return key;
  }

  // Whether the read stopped where skipping the element stops: after its closing bracket, at the next token.
  // On-Demand checks what it reads, not all of what it passes: in malformed JSON a read can end elsewhere without
  // an issue (the error comes later), and such an element, skipped, would leave the rest read differently.
  static bool ends_at(std::string_view rest, std::size_t length, const char* next) {
    std::size_t at = length;
    while (at < rest.size() && (rest[at] == ' ' || rest[at] == '\t' || rest[at] == '\n' || rest[at] == '\r')) ++at;
    return next == rest.data() + at || (next == nullptr && at == rest.size());
  }

  static constexpr std::array<std::uint16_t, kSlots> filled(std::uint16_t value) {
    std::array<std::uint16_t, kSlots> slots{};
    slots.fill(value);
    return slots;
  }
};

}  // namespace gg::fhir::json_detail
