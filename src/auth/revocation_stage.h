// The revocation stage of authorization (docs/revocation.md). It runs after the
// certificate stage, only for a certificate whose path verified, on every request: a new connection
// (full or resumed handshake) is always checked against the current revocation state, and a keep-alive
// connection re-uses its last verdict only while it is still valid (cache lifetimes, CRL file
// unchanged), so a CRL update also reaches long-lived connections.
#pragma once

#include "auth/decision.h"
#include "auth/peer_certificate.h"
#include "auth/route_access.h"
#include "auth/worker_state.h"
#include "net/asio.h"

namespace certgate::auth {

// Revoked -> the certificate counts as invalid: 401 "TLS certificate failed verification" (reason
// revoked) where a certificate is required, X-Client-Cert-Verify: FAILED:revoked in optional mode.
// Unknown -> passes with a warning (ignore_ca_error) or is refused like revoked with the reason
// revocation_unknown (strict).
//
// Two steps, so that the common cases cost no coroutine frame: revocation_needs_evaluation() settles
// the stage at once when there is nothing to check (no valid certificate, no revocation configured) or
// when the connection's last verdict still holds; otherwise check_revocation() evaluates the path.
bool revocation_needs_evaluation(const RouteAccess& route, PeerCertificate& peer, WorkerState& worker,
                                 Decision& decision);
net::awaitable<void> check_revocation(const RouteAccess& route, PeerCertificate& peer, WorkerState& worker,
                                      Decision& decision);

}  // namespace certgate::auth
