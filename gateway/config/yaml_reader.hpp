// Strict reading of the YAML configuration files: every access names the keys it allows, and each problem carries
// file:line:column and the element path. Shared by the YAML knowledge loaders (gateway/config/*_loader.cpp).
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/enum_text.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

// Reads one YAML file strictly: every access names the keys it allows, and each problem carries file:line:column.
class YamlReader {
 public:
  YamlReader(std::string file, std::vector<ConfigProblem>& problems)
      : file_(std::move(file)), problems_(problems) {}

  const std::string& file() const { return file_; }

  void problem(const YAML::Node& node, const std::string& path, const std::string& message) {
    std::string location = std::filesystem::path(file_).filename().string();
    const auto mark = node.Mark();
    if (!mark.is_null()) location += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    problems_.push_back({location + " (" + path + ")", message});
  }

  // Reports keys of a mapping that are not allowed.
  bool expect_map(const YAML::Node& node, const std::string& path,
                  std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap()) {
      problem(node, path, "expected a mapping");
      return false;
    }
    for (const auto& entry : node) {
      const auto key = entry.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string at = path;
        if (!at.empty()) at += '.';
        at += key;
        problem(entry.first, at, "unknown key '" + key + "'");
      }
    }
    return true;
  }

  std::optional<std::string> text(const YAML::Node& map, const std::string& key, const std::string& path,
                                  bool required) {
    const YAML::Node node = map[key];
    if (!node) {
      if (required) problem(map, path + "." + key, "required key '" + key + "' is missing");
      return std::nullopt;
    }
    if (!node.IsScalar()) {
      problem(node, path + "." + key, "expected a single value");
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<double> number(const YAML::Node& map, const std::string& key, const std::string& path,
                               bool required) {
    auto value = text(map, key, path, required);
    if (!value) return std::nullopt;
    try {
      std::size_t used = 0;
      double number = std::stod(*value, &used);
      if (used == value->size()) return number;
    } catch (const std::exception&) {
    }
    problem(map[key], path + "." + key, "expected a number");
    return std::nullopt;
  }

  // The enumerator that the single value under `key` spells in `table` (analytics/enum_text.hpp), or nothing: the
  // key is absent (a problem when required), or its value is reported as "expected a, b or c" from the table.
  template <typename Entry, std::size_t N>
  std::optional<analytics::EnumOf<Entry>> choice(const YAML::Node& map, const std::string& key,
                                                 const std::string& path, bool required,
                                                 const std::array<Entry, N>& table) {
    const auto value = text(map, key, path, required);
    if (!value) return std::nullopt;
    if (const auto parsed = analytics::value_of(table, *value)) return parsed;
    problem(map[key], path + "." + key, "expected " + analytics::choices(table));
    return std::nullopt;
  }

 private:
  std::string file_;
  std::vector<ConfigProblem>& problems_;
};

// The parsed file, or a problem (unreadable, YAML syntax with its position).
std::optional<YAML::Node> load_yaml(const std::string& file, std::vector<ConfigProblem>& problems);

// A list of single values (absent: empty); other shapes are problems at `path`.
std::vector<std::string> string_list(YamlReader& reader, const YAML::Node& node, const std::string& path);

// `version: 1`, required.
void check_version(YamlReader& reader, const YAML::Node& root);

// A versioned file: the root mapping, with only the `allowed` top-level keys and `version: 1` (a wrong version is
// reported and the root still returned); nullopt after reporting why when it is unreadable or no such mapping.
std::optional<YAML::Node> load_versioned_map(const std::string& file, std::vector<ConfigProblem>& problems,
                                             std::initializer_list<std::string_view> allowed);

// Calls `entry(node, entry_path)` for each item of the list `list` at `path` ("ratios", "analytes[0].loinc") that
// is a mapping with only the `allowed` keys, entry_path being "ratios[0]"; any other item is reported (expect_map)
// and skipped. An absent list has no items; a node that is not a list is reported as "expected a list".
void for_each_map(YamlReader& reader, const YAML::Node& list, const std::string& path,
                  std::initializer_list<std::string_view> allowed,
                  const std::function<void(const YAML::Node& node, const std::string& entry_path)>& entry);

// Appends read(reader, node, entry_path) to `out` for each item of the list that for_each_map() passes on.
template <typename T, typename Read>
void read_each_map(YamlReader& reader, const YAML::Node& list, const std::string& path,
                   std::initializer_list<std::string_view> allowed, Read read, std::vector<T>& out) {
  for_each_map(reader, list, path, allowed, [&](const YAML::Node& node, const std::string& entry_path) {
    out.push_back(read(reader, node, entry_path));
  });
}

// The required list under `key` of a mapping at `path` ("" for the root); an undefined node after reporting a
// problem when it is missing or no list.
YAML::Node required_list(YamlReader& reader, const YAML::Node& map, const std::string& path,
                         const std::string& key);

}  // namespace gg::gateway
