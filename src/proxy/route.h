// A route as the data path sees it: what authorization needs (auth::RouteAccess) plus the upstream.
#pragma once

#include <string>
#include <vector>

#include "auth/route_access.h"
#include "net/asio.h"
#include "proxy/upstream_set.h"
#include "tls/upstream_tls.h"

namespace certgate::proxy {

struct RouteRuntime : auth::RouteAccess {
  UpstreamSet upstreams;  // http:// and https:// routes: every upstream, balanced per worker
  std::vector<net::tcp::endpoint> upstream_endpoints;  // tcp:// routes
  std::string upstream_authority;  // Host header for the first upstream: "host" or "host:port"
  // The route's label slot in the workers' metrics (Runtime::route_labels); stable across reloads.
  std::size_t metrics_slot = 0;
};

}  // namespace certgate::proxy
