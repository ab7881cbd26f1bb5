#include "config/yaml_reader.h"

#include <unistd.h>

#include <filesystem>

#include "config/units.h"

namespace certgate::config {

SourceMark YamlReader::mark(const YAML::Node& node) const {
  SourceMark m{file_, 0};
  if (node.IsDefined() && !node.Mark().is_null()) m.line = node.Mark().line + 1;
  return m;
}

void YamlReader::fail(const YAML::Node& node, const std::string& reason) const {
  throw ConfigError(mark(node), reason);
}

void YamlReader::expect_map(const YAML::Node& node, std::string_view what,
                            std::initializer_list<std::string_view> allowed) const {
  if (!node.IsMap()) fail(node, std::string(what) + " must be a map");
  for (const auto& item : node) {
    // YAML allows a list or a map as a key ("? [a, b]"); as<std::string>() would throw outside ConfigError
    // and end `certgate serve`, or a running gateway on reload (found by fuzz/config_loader.cpp).
    if (!item.first.IsScalar())
      fail(item.first, "a key in " + std::string(what) + " must be a name, not a list or a map");
    const auto key = item.first.Scalar();
    bool known = false;
    for (auto a : allowed)
      known = known || a == key;
    if (!known) {
      std::string list;
      for (auto a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
      fail(item.first, "unknown key '" + key + "' in " + std::string(what) + " (known: " + list + ")");
    }
  }
}

void YamlReader::expect_sequence(const YAML::Node& node, std::string_view what) const {
  if (!node.IsSequence()) fail(node, std::string(what) + " must be a list");
}

std::string YamlReader::scalar(const YAML::Node& node, std::string_view what) const {
  if (!node.IsScalar()) fail(node, std::string(what) + " must be a single value");
  return node.Scalar();
}

bool YamlReader::boolean(const YAML::Node& node, std::string_view what) const {
  const auto text = scalar(node, what);
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  fail(node, std::string(what) + " must be true or false (got '" + text + "')");
}

int YamlReader::integer(const YAML::Node& node, std::string_view what, int min, int max) const {
  const auto text = scalar(node, what);
  try {
    std::size_t used = 0;
    const long value = std::stol(text, &used);
    if (used == text.size() && value >= min && value <= max) return static_cast<int>(value);
  } catch (const std::exception&) {
  }
  fail(node, std::string(what) + " must be a whole number from " + std::to_string(min) + " to " +
                 std::to_string(max) + " (got '" + text + "')");
}

Duration YamlReader::duration(const YAML::Node& node, std::string_view what) const {
  const auto text = scalar(node, what);
  auto d = parse_duration(text);
  if (!d) fail(node, std::string(what) + " must be a duration like 500ms, 5s, 2m, 1h (got '" + text + "')");
  return *d;
}

std::size_t YamlReader::size(const YAML::Node& node, std::string_view what, bool zero_allowed) const {
  const auto text = scalar(node, what);
  auto s = parse_size(text);
  if (!s || (*s == 0 && !zero_allowed))
    fail(node, std::string(what) + " must be a size like 65536 or 64KiB (got '" + text + "')");
  return *s;
}

std::string YamlReader::readable_file(const YAML::Node& node, std::string_view what) const {
  const auto text = scalar(node, what);
  if (text.empty()) fail(node, std::string(what) + " must not be empty");
  std::filesystem::path path(text);
  if (path.is_relative()) path = std::filesystem::path(file_).parent_path() / path;
  path = path.lexically_normal();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    fail(node, std::string(what) + " '" + path.string() + "' does not exist or is not a file");
  }
  if (::access(path.c_str(), R_OK) != 0)
    fail(node, std::string(what) + " '" + path.string() + "' is not readable");
  return path.string();
}

}  // namespace certgate::config
