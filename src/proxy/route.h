// A route as the data path sees it: what authorization needs (auth::RouteAccess) plus the upstream.
#pragma once

#include <string>
#include <vector>

#include "auth/route_access.h"
#include "net/asio.h"
#include "tls/upstream_tls.h"

namespace certgate::proxy {

struct RouteRuntime : auth::RouteAccess {
  std::vector<net::tcp::endpoint> upstream_endpoints;
  std::string upstream_authority;  // Host header for the upstream: "host" or "host:port"
  std::string pool_key;            // routes to the same upstream share idle connections
  std::shared_ptr<const tls::UpstreamTls> upstream_tls;  // https:// upstreams
  // The route's label slot in the workers' metrics (Runtime::route_labels); stable across reloads.
  std::size_t metrics_slot = 0;
};

}  // namespace certgate::proxy
