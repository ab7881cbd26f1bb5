// The `responses:` block (top level and per route): the HTTP status of each refusal kind.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace certgate::config {

// `base`: what the block overrides (the built-in statuses at the top level, the global block in a route).
// Throws ConfigError (file:line) for an unknown kind or key, or a status outside 400-599.
Responses read_responses(const YamlReader& reader, const YAML::Node& node, Responses base);

}  // namespace certgate::config
