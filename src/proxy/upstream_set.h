// A route's upstreams as one config generation compiled them: each entry of `to` with its Host header,
// its TLS context (https://) and the addresses its name had when the generation was built. Immutable; the
// per-worker Balancer copies what it needs, because it outlives generations.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/asio.h"
#include "tls/upstream_tls.h"

namespace certgate::proxy {

struct UpstreamTarget {
  std::string text;  // as written in `to`, for logs
  std::string host;  // a name or an address literal
  uint16_t port = 0;
  std::string authority;  // the Host header: "host" or "host:port"
  std::string pool_key;   // idle connections to this target (scheme, host, port, TLS settings)
  std::shared_ptr<const tls::UpstreamTls> tls;  // https:// only
  std::vector<net::tcp::endpoint> addresses;    // resolved at load
  bool is_name = false;                         // re-resolved every dns_refresh
};

struct UpstreamSet {
  config::UpstreamBalancing settings;  // policy, passive and active health, dns_refresh
  std::vector<UpstreamTarget> targets;
  // Names the set across generations (targets, settings, TLS contexts): a worker keeps one Balancer per
  // key, so a reload that leaves a route's upstreams alone keeps their health marks and counters.
  std::string key;
};

}  // namespace certgate::proxy
