// Checks on the whole YAML tree before anything is read from it. yaml-cpp keeps every copy of a repeated
// map key and node[key] returns the first, so `mtls: {mode: off}` followed by `mtls: {mode: required}`
// would silently serve the first: a duplicate key anywhere is an error. So is a NUL character, which no
// file name, header name or host can contain and which C APIs would silently cut the value at.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "config/yaml_reader.h"

namespace certgate::config {

// Throws ConfigError at the line of a raw NUL byte in the file (yaml-cpp would read it unpredictably).
void check_yaml_text(const std::string& text, const std::string& file);

// Throws ConfigError at the second copy of a duplicate key ("file:line: duplicate key 'x'"), at a key or
// value with a NUL character, or at a node nested too deeply (a recursive alias).
void check_yaml_tree(const YamlReader& r, const YAML::Node& root);

}  // namespace certgate::config
