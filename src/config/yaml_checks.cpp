#include "config/yaml_checks.h"

#include <algorithm>
#include <set>
#include <string>

namespace certgate::config {
namespace {

// Far deeper than any config; reached only by an alias that contains itself (`a: &x {b: *x}`).
constexpr int kMaxDepth = 64;

void check_scalar(const YamlReader& r, const YAML::Node& node, const char* what) {
  if (node.Scalar().find('\0') != std::string::npos)
    r.fail(node, std::string("a NUL character in a ") + what);
}

void check_node(const YamlReader& r, const YAML::Node& node, int depth) {
  if (depth > kMaxDepth) r.fail(node, "nested more than " + std::to_string(kMaxDepth) + " levels deep");
  if (node.IsScalar()) {
    check_scalar(r, node, "value");
  } else if (node.IsSequence()) {
    for (const auto& item : node)
      check_node(r, item, depth + 1);
  } else if (node.IsMap()) {
    std::set<std::string> keys;
    for (const auto& item : node) {
      if (item.first.IsScalar()) {
        check_scalar(r, item.first, "key");
        if (!keys.insert(item.first.Scalar()).second)
          r.fail(item.first, "duplicate key '" + item.first.Scalar() + "'");
      }
      if (!item.first.IsScalar()) check_node(r, item.first, depth + 1);
      check_node(r, item.second, depth + 1);
    }
  }
}

}  // namespace

void check_yaml_text(const std::string& text, const std::string& file) {
  const auto nul = text.find('\0');
  if (nul == std::string::npos) return;
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n');
  throw ConfigError({file, static_cast<int>(line)}, "a NUL character in the file");
}

void check_yaml_tree(const YamlReader& r, const YAML::Node& root) {
  check_node(r, root, 0);
}

}  // namespace certgate::config
