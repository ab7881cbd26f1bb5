// The `admin` block: the admin listener's address and how its clients prove who they are
// (docs/operations.md).
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace certgate::config {

AdminSettings load_admin_settings(const YamlReader& reader, const YAML::Node& node);

}  // namespace certgate::config
