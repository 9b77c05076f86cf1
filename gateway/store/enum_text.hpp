// Enum <-> text from one table per enum, so the spelling of each value is written once and to_string and the
// parser cannot drift apart (issue 9, item 6: "table-driven enum<->text").
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gg::gateway {

template <typename Enum>
struct EnumText {
  Enum value;
  std::string_view text;
};

// The text of value; the table must list every enumerator (callers' tests check that it does).
template <typename Enum, std::size_t N>
constexpr std::string_view text_of(const std::array<EnumText<Enum>, N>& table, Enum value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.text;
  }
  return {};
}

// The enumerator spelt text, or nothing.
template <typename Enum, std::size_t N>
constexpr std::optional<Enum> value_of(const std::array<EnumText<Enum>, N>& table, std::string_view text) {
  for (const auto& entry : table) {
    if (entry.text == text) return entry.value;
  }
  return std::nullopt;
}

// "a | b | c", for "expected ..." messages.
template <typename Enum, std::size_t N>
std::string alternatives(const std::array<EnumText<Enum>, N>& table) {
  std::string out;
  for (const auto& entry : table) {
    if (!out.empty()) out += " | ";
    out += entry.text;
  }
  return out;
}

}  // namespace gg::gateway
