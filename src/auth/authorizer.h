// Authorization of one request on one route, in the order an operator of Envoy filters or Kong plugins
// would expect: client certificate -> revocation -> identity -> policy. The gateway and
// `certgate check` both call this, so a decision can always be explained by re-running it.
#pragma once

#include "auth/decision.h"
#include "auth/peer_certificate.h"
#include "auth/route_access.h"
#include "auth/worker_state.h"
#include "net/asio.h"

namespace certgate::auth {

struct AuthRequest {
  const RouteAccess& route;
  PeerCertificate& peer;
  WorkerState& worker;  // the calling worker's caches (server::WorkerContext::auth)
};

// Asynchronous because later stages may fetch revocation data; completes inline when nothing is fetched.
net::awaitable<Decision> authorize(AuthRequest request);

}  // namespace certgate::auth
