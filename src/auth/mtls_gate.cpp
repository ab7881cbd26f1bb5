#include "auth/mtls_gate.h"

namespace certgate::auth {

GateDecision check_client_certificate(const config::EffectiveMtls& mtls, const pki::TrustBundle* bundle,
                                      PeerCertificate& peer) {
  GateDecision d;
  if (mtls.mode == config::MtlsMode::off || !bundle) return d;
  const bool required = mtls.mode != config::MtlsMode::optional;
  if (!peer.present()) {
    d.verify = "NONE";
    if (required) {
      d.allow = false;
      d.status = 401;
      d.message = kNoCertificateMessage;
      d.reason = Reason::no_certificate;
    }
    return d;
  }
  d.outcome = &peer.verify(*bundle, mtls.max_verify_depth);
  if (d.outcome->ok) {
    d.verify = "SUCCESS";
    return d;
  }
  d.verify = "FAILED:" + std::string(to_string(d.outcome->reason));
  if (required) {
    d.allow = false;
    d.status = 401;
    d.message = kFailedVerificationMessage;
    d.reason = d.outcome->reason;
  }
  return d;
}

}  // namespace certgate::auth
