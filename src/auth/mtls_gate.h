// The client-certificate stage of authorization (docs/configuration.md, "mTLS" and "Responses certgate
// produces itself"):
//   off       -> pass, no certificate headers;
//   optional  -> pass; X-Client-Cert-Verify is SUCCESS, NONE or FAILED:<reason>;
//   required  -> 401 "No required TLS certificate was sent" / 401 "TLS certificate failed verification".
#pragma once

#include "auth/decision.h"
#include "auth/peer_certificate.h"
#include "config/config.h"

namespace certgate::auth {

Decision check_client_certificate(const config::EffectiveMtls& mtls, const pki::TrustBundle* bundle,
                                  PeerCertificate& peer);

}  // namespace certgate::auth
