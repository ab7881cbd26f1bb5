// A route's `policy`: allow / deny rules in the Pomerium Policy Language shape (docs/identity-and-policy.md).
// Unknown criteria and matchers, regular expressions RE2 cannot compile, malformed fingerprints and
// references to consumers that do not exist are ConfigErrors at their line. Regexes are compiled here, once.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace certgate::config {

// Needs the route's effective mTLS settings and its identity block (read first).
std::vector<PolicyRule> read_policy(const YamlReader& r, const YAML::Node& node, const Route& route,
                                    const std::vector<Consumer>& consumers);

std::string_view to_string(PolicyField field);

}  // namespace certgate::config
