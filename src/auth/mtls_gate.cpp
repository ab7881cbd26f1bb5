#include "auth/mtls_gate.h"

namespace certgate::auth {

Decision check_client_certificate(const config::EffectiveMtls& mtls, const pki::TrustBundle* bundle,
                                  PeerCertificate& peer) {
  Decision d;
  if (mtls.mode == config::MtlsMode::off || !bundle) return d;
  const bool required = mtls.mode != config::MtlsMode::optional;
  if (!peer.present()) {
    d.verify = "NONE";
    if (required) d.deny(401, kNoCertificateMessage, Reason::no_certificate);
    return d;
  }
  d.certificate = &peer.verify(*bundle, mtls.max_verify_depth);
  if (d.certificate->ok) {
    d.verify = "SUCCESS";
    return d;
  }
  d.verify = "FAILED:" + std::string(to_string(d.certificate->reason));
  d.detail = d.certificate->detail;
  if (required) d.deny(401, kFailedVerificationMessage, d.certificate->reason);
  return d;
}

}  // namespace certgate::auth
