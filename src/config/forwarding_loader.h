// The forwarding part of the config (docs/forwarding.md): a route's `headers` block, and the top-level
// `jwt`, `trusted_proxies` and `client_certificate_header`. Called by loader.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace certgate::config {

// Reads the top-level keys jwt, trusted_proxies and client_certificate_header into `cfg` (before the
// routes are read).
void load_forwarding_settings(const YamlReader& r, const YAML::Node& root, Config& cfg);

// A route's `headers` block; `cfg` supplies the global defaults (jwt.ttl).
RouteHeaders load_route_headers(const YamlReader& r, const YAML::Node& node, const Config& cfg);

}  // namespace certgate::config
