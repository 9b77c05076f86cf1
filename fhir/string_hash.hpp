// Unordered containers keyed by std::string that are looked up with a std::string_view (a key read from the input,
// a part of a reference) without building a string first: C++20 heterogeneous lookup needs a hash and an equality
// that are both transparent. One definition for every layer (fhir/ is the one they all see).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace gg::fhir {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;
using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

}  // namespace gg::fhir
