#include "auth/mtls_gate.h"

#include "pki/signature_algorithms.h"

namespace certgate::auth {
namespace {

// mtls.allowed_signature_algorithms. Also asked when OpenSSL refused the path for a weak signature
// (SHA-1): when the list leaves that algorithm out, the list is the more useful reason to log.
void check_signature_algorithms(const config::EffectiveMtls& mtls, bool required, Decision& d) {
  const auto& outcome = *d.certificate;
  if (!outcome.ok && outcome.reason != Reason::weak_key) return;
  auto why = pki::unlisted_signature_algorithm(outcome.chain, mtls.allowed_signature_algorithms);
  if (!why) return;
  d.refused_after_verification = true;
  d.verify = "FAILED:" + std::string(to_string(Reason::bad_signature_algorithm));
  d.detail = std::move(*why);
  if (required) d.deny(401, kFailedVerificationMessage, Reason::bad_signature_algorithm);
}

}  // namespace

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
  check_signature_algorithms(mtls, required, d);
  if (d.refused_after_verification) return d;
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
