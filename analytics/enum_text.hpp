// Enum <-> text from one table per enum, so the spelling of each value is written once: to_string, the parser and
// the "expected ..." message of a loader all read the same table and cannot drift apart (issue 9, item 6:
// "table-driven enum<->text"). It lives in analytics/, the lowest layer with enums of its own, so that analytics/
// and gateway/ share it (gateway/ may include analytics/, never the other way).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gg::analytics {

template <typename Enum>
struct EnumText {
  Enum value;
  std::string_view text;
};

// The functions below take a table of EnumText, or of any entry type whose members `value` and `text` mean the
// same, so that a table may carry more columns beside the text (kLoincPropertyText, analytics/catalogue.hpp).
template <typename Entry>
using EnumOf = decltype(Entry::value);

// The text of value; the table must list every enumerator (each enum's round-trip test checks that it does).
template <typename Entry, std::size_t N>
constexpr std::string_view text_of(const std::array<Entry, N>& table, EnumOf<Entry> value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.text;
  }
  return {};
}

// The enumerator spelt text, or nothing.
template <typename Entry, std::size_t N>
constexpr std::optional<EnumOf<Entry>> value_of(const std::array<Entry, N>& table, std::string_view text) {
  for (const auto& entry : table) {
    if (entry.text == text) return entry.value;
  }
  return std::nullopt;
}

// "a | b | c", in table order.
template <typename Entry, std::size_t N>
std::string alternatives(const std::array<Entry, N>& table) {
  std::string out;
  for (const auto& entry : table) {
    if (!out.empty()) out += " | ";
    out += entry.text;
  }
  return out;
}

// "a, b or c", in table order: the loaders' "expected a, b or c" messages.
template <typename Entry, std::size_t N>
std::string choices(const std::array<Entry, N>& table) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += table[i].text;
  }
  return out;
}

}  // namespace gg::analytics
