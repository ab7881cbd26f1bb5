#include "auth/authorizer.h"

#include "auth/mtls_gate.h"
#include "auth/revocation_stage.h"

namespace certgate::auth {

net::awaitable<Decision> authorize(AuthRequest request) {
  const auto& route = request.route;
  Decision decision = check_client_certificate(route.config->mtls, route.trust.get(), request.peer);
  if (revocation_needs_evaluation(route, request.peer, decision))
    co_await check_revocation(route, request.peer, decision);
  co_return decision;
}

}  // namespace certgate::auth
