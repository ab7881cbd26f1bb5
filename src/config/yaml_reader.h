// Strict, typed access to yaml-cpp nodes. Every failure is a ConfigError carrying file:line, and maps
// reject keys they do not know, so a typo never silently turns into a default.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/config_error.h"

namespace certgate::config {

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  SourceMark mark(const YAML::Node& node) const;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& reason) const;

  // Throws unless `node` is a map whose keys are all in `allowed`.
  void expect_map(const YAML::Node& node, std::string_view what,
                  std::initializer_list<std::string_view> allowed) const;
  void expect_sequence(const YAML::Node& node, std::string_view what) const;

  std::string scalar(const YAML::Node& node, std::string_view what) const;
  bool boolean(const YAML::Node& node, std::string_view what) const;
  int integer(const YAML::Node& node, std::string_view what, int min, int max) const;
  Duration duration(const YAML::Node& node, std::string_view what) const;
  // A byte size; 0 only when `zero_allowed` (where 0 means "no limit").
  std::size_t size(const YAML::Node& node, std::string_view what, bool zero_allowed = false) const;

  // Resolves a path relative to the config file's directory and checks that it can be read.
  std::string readable_file(const YAML::Node& node, std::string_view what) const;

 private:
  std::string file_;
};

}  // namespace certgate::config
