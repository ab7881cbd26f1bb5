// mtls.mode reject_connection: the client certificate is verified during the handshake, by the verifier
// requests use (pki::verify_client_chain), and a failure aborts the handshake with a TLS alert:
//   no certificate                    116 certificate_required (TLS 1.3) / 40 handshake_failure (TLS 1.2),
//                                     sent by OpenSSL itself (SSL_VERIFY_FAIL_IF_NO_PEER_CERT)
//   untrusted issuer, depth exceeded  48 unknown_ca
//   expired                           45 certificate_expired
//   revoked                           44 certificate_revoked
//   anything else                     42 bad_certificate
// Elsewhere the handshake only records the certificate; each request verifies it against its route.
#pragma once

#include "common/reason.h"
#include "pki/openssl_ptr.h"
#include "tls/handshake_info.h"

namespace certgate::tls {

// The TLS alert the gateway sends for a certificate refused for `reason`.
int alert_for(Reason reason);
// The X509_V_ERR_* code that makes OpenSSL send alert_for(reason) (also the PROXY v2 verify value).
int x509_error_for(Reason reason);

// SSL_CTX_set_cert_verify_callback; expects the connection's HandshakeInfo as the SSL's app data.
int verify_client_certificate(X509_STORE_CTX* store, void* arg);

// A ticket about to resume a reject_connection host: re-verifies the session's certificate (it may have
// expired since). False: do not resume; the full handshake then checks (and refuses) the certificate.
bool verify_resumed_certificate(SSL_SESSION* session, STACK_OF(X509) * intermediates, HandshakeInfo& info);

}  // namespace certgate::tls
