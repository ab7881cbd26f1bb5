// The revocation status of a verified path under a route's settings. For each certificate in scope
// (the leaf, or every certificate but the trust anchor with crl_scope: chain) the sources are asked in
// this order:
//   1. the route's crl_file (local, no I/O);
//   2. online, when enabled: OCSP first, and the CRL distribution point when OCSP gives no answer
//      (Kong's order).
// A "revoked" from any source decides; otherwise one positive "good" is enough; otherwise "unknown".
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "net/asio.h"
#include "pki/openssl_ptr.h"
#include "pki/trust_bundle.h"
#include "revocation/crl_file.h"
#include "revocation/verdict.h"

namespace certgate::revocation {

class WorkerClient;

struct PathCheck {
  const config::EffectiveMtls& mtls;
  const CrlFile* crl_file = nullptr;  // the route's, or null
  const std::shared_ptr<const pki::TrustBundle>& bundle;
  const std::vector<pki::X509Ptr>& chain;  // leaf first, trust anchor last (VerifyOutcome::chain)
  WorkerClient& client;                    // the worker's: online answers and counters
};

// False when the route checks nothing (mode skip, or no source configured).
bool checks_revocation(const config::EffectiveMtls& mtls, bool has_crl_file);

// The verdict for the path; completes without suspending unless an online source must be asked.
net::awaitable<Verdict> check_path(PathCheck check);

}  // namespace certgate::revocation
