#include "gateway/config/yaml_reader.hpp"

namespace gg::gateway {

std::optional<YAML::Node> load_yaml(const std::string& file, std::vector<ConfigProblem>& problems) {
  try {
    return YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    problems.push_back({file, "cannot read the file"});
  } catch (const YAML::ParserException& error) {
    problems.push_back(
        {file + ":" + std::to_string(error.mark.line + 1) + ":" + std::to_string(error.mark.column + 1),
         "YAML syntax: " + error.msg});
  }
  return std::nullopt;
}

std::vector<std::string> string_list(YamlReader& reader, const YAML::Node& node, const std::string& path) {
  std::vector<std::string> values;
  if (!node) return values;
  if (!node.IsSequence()) {
    reader.problem(node, path, "expected a list");
    return values;
  }
  for (const auto& item : node) {
    if (item.IsScalar()) {
      values.push_back(item.Scalar());
    } else {
      reader.problem(item, path, "expected a single value");
    }
  }
  return values;
}

void check_version(YamlReader& reader, const YAML::Node& root) {
  auto version = reader.text(root, "version", "", true);
  if (version && *version != "1") reader.problem(root["version"], "version", "only schema version 1 is known");
}

std::optional<YAML::Node> load_versioned_map(const std::string& file, std::vector<ConfigProblem>& problems,
                                             std::initializer_list<std::string_view> allowed) {
  auto root = load_yaml(file, problems);
  if (!root) return std::nullopt;
  YamlReader reader(file, problems);
  if (!reader.expect_map(*root, "", allowed)) return std::nullopt;
  check_version(reader, *root);
  return root;
}

void for_each_map(YamlReader& reader, const YAML::Node& list, const std::string& path,
                  std::initializer_list<std::string_view> allowed,
                  const std::function<void(const YAML::Node& node, const std::string& entry_path)>& entry) {
  if (!list) return;
  if (!list.IsSequence()) {
    reader.problem(list, path, "expected a list");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node node = list[i];
    const std::string entry_path = path + "[" + std::to_string(i) + "]";
    if (reader.expect_map(node, entry_path, allowed)) entry(node, entry_path);
  }
}

YAML::Node required_list(YamlReader& reader, const YAML::Node& map, const std::string& path,
                         const std::string& key) {
  YAML::Node list = map[key];
  if (!list || !list.IsSequence()) {
    reader.problem(map, path.empty() ? key : path + "." + key, "required list '" + key + "' is missing");
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return list;
}

}  // namespace gg::gateway
