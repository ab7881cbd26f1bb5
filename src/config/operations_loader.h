// The top-level `inventory` and `alerts` blocks (docs/operations.md: "Client inventory", "Expiry
// alerts"). Called by loader.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace certgate::config {

// Reads the top-level keys `inventory` and `alerts` into `cfg`.
void load_operations_settings(const YamlReader& r, const YAML::Node& root, Config& cfg);

}  // namespace certgate::config
