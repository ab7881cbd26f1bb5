// The TLS-level parts of the config (docs/tls.md): the top-level `tls` block (session tickets), the options
// of routes to tcp:// upstreams, and the check that pairs tcp:// routes with `protocol: tls` listeners.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace certgate::config {

// The keys a route may carry for a tcp:// upstream, for YamlReader::expect_map.
inline constexpr std::string_view kTcpRouteKeys[] = {"proxy_protocol"};

TlsSettings load_tls_settings(const YamlReader& reader, const YAML::Node& node);

// Reads proxy_protocol / idle_timeout and checks that `route` (from/to already parsed) is consistent:
// a tcp:// route is chosen by SNI only (no path, no HTTP options); other routes take no tcp options.
void load_tcp_route_options(const YamlReader& reader, const YAML::Node& route_node, Route& route);

// A tcp:// route must be served by a `protocol: tls` listener, any other route by an `https` one.
void check_listener_protocols(const Config& config);

}  // namespace certgate::config
