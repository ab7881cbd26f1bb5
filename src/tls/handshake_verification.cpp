#include "tls/handshake_verification.h"

#include "pki/cert_info.h"
#include "pki/signature_algorithms.h"

namespace certgate::tls {

int alert_for(Reason reason) {
  switch (reason) {
    case Reason::untrusted_issuer:
    case Reason::depth_exceeded:
      return SSL_AD_UNKNOWN_CA;
    case Reason::expired:
      return SSL_AD_CERTIFICATE_EXPIRED;
    case Reason::revoked:
      return SSL_AD_CERTIFICATE_REVOKED;
    default:
      return SSL_AD_BAD_CERTIFICATE;
  }
}

// OpenSSL turns the verify error into the alert (ssl_x509err2alert); these codes map one to one.
int x509_error_for(Reason reason) {
  switch (alert_for(reason)) {
    case SSL_AD_UNKNOWN_CA:
      return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
    case SSL_AD_CERTIFICATE_EXPIRED:
      return X509_V_ERR_CERT_HAS_EXPIRED;
    case SSL_AD_CERTIFICATE_REVOKED:
      return X509_V_ERR_CERT_REVOKED;
    default:
      return X509_V_ERR_CERT_REJECTED;
  }
}

namespace {

// mtls.allowed_signature_algorithms, as the request path applies it (auth/mtls_gate.cpp): on a verified
// path, and on a path refused for a weak signature when the list leaves that algorithm out.
void apply_signature_algorithms(const HostProfile& profile, pki::VerifyOutcome& outcome) {
  if (!outcome.ok && outcome.reason != Reason::weak_key) return;
  auto why = pki::unlisted_signature_algorithm(outcome.chain, profile.allowed_signature_algorithms);
  if (!why) return;
  outcome.ok = false;
  outcome.reason = Reason::bad_signature_algorithm;
  outcome.detail = std::move(*why);
}

}  // namespace

int verify_client_certificate(X509_STORE_CTX* store, void*) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* info = ssl ? static_cast<HandshakeInfo*>(SSL_get_app_data(ssl)) : nullptr;
  // Not reject_connection: record only; the TLS layer still checks CertificateVerify (key possession).
  if (!info || !info->profile || !info->profile->handshake_trust) return 1;
  pki::VerifyRequest request;
  request.leaf = X509_STORE_CTX_get0_cert(store);
  request.untrusted = X509_STORE_CTX_get0_untrusted(store);
  request.max_verify_depth = info->profile->max_verify_depth;
  auto outcome = pki::verify_client_chain(*info->profile->handshake_trust, request);
  apply_signature_algorithms(*info->profile, outcome);
  if (outcome.ok) {
    info->verified = std::make_unique<pki::VerifyOutcome>(std::move(outcome));
    return 1;
  }
  info->rejection = std::make_unique<HandshakeRejection>(HandshakeRejection{
      outcome.reason, request.leaf ? pki::subject_dn(request.leaf) : "", std::move(outcome.detail)});
  X509_STORE_CTX_set_error(store, x509_error_for(outcome.reason));
  return 0;
}

bool verify_resumed_certificate(SSL_SESSION* session, STACK_OF(X509) * intermediates, HandshakeInfo& info) {
  pki::VerifyRequest request;
  request.leaf = SSL_SESSION_get0_peer(session);
  if (!request.leaf) return false;
  request.untrusted = intermediates;
  request.max_verify_depth = info.profile->max_verify_depth;
  auto outcome = pki::verify_client_chain(*info.profile->handshake_trust, request);
  apply_signature_algorithms(*info.profile, outcome);
  if (!outcome.ok) return false;
  info.verified = std::make_unique<pki::VerifyOutcome>(std::move(outcome));
  return true;
}

}  // namespace certgate::tls
