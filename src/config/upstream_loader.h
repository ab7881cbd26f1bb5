// A route's upstreams (docs/configuration.md, "Several upstreams"): `to` as one URL or a list of URLs of
// one scheme, and the balancing keys lb_policy, passive_health, health_check and dns_refresh.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace certgate::config {

// The route keys read here, for YamlReader::expect_map (besides `to`).
inline constexpr std::string_view kBalancingKeys[] = {"lb_policy", "passive_health", "health_check",
                                                      "dns_refresh"};

// Reads `to` into route.to (the first upstream) and route.upstreams, then the balancing keys. A list must
// hold at least one http:// or https:// upstream, all of one scheme and one base path; echo:// and tcp://
// take a single URL and no balancing keys.
void load_upstreams(const YamlReader& reader, const YAML::Node& route_node, Route& route);

}  // namespace certgate::config
