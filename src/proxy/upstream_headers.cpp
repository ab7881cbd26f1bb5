#include "proxy/upstream_headers.h"

#include "proxy/cert_forwarding.h"
#include "proxy/jwt_assertion_header.h"

namespace certgate::proxy {
namespace {

// X-Client-Cert-*: the verification result, and the certificate's details when it verified.
void add_certificate_headers(boost::beast::http::fields& fields, const auth::Decision& decision,
                             auth::PeerCertificate& peer) {
  if (decision.verify.empty()) return;  // mTLS is off on this route
  fields.set("X-Client-Cert-Verify", decision.verify);
  if (!decision.certificate_valid()) return;
  const auto& f = peer.facts();
  fields.set("X-Client-Cert-Subject-DN", f.subject_dn);
  fields.set("X-Client-Cert-Issuer-DN", f.issuer_dn);
  fields.set("X-Client-Cert-Serial", f.serial);
  fields.set("X-Client-Cert-Fingerprint", f.fingerprint);
  if (!f.san.empty()) fields.set("X-Client-Cert-SAN", f.san);
  fields.set("X-Client-Cert-Not-After", f.not_after);
}

// X-Consumer-* and friends (Kong's names): who the client is, each header only when it has a value.
void add_identity_headers(boost::beast::http::fields& fields, const auth::Identity& identity) {
  if (const auto* consumer = identity.consumer) {
    fields.set("X-Consumer-ID", consumer->id);
    fields.set("X-Consumer-Username", consumer->username);
    if (!consumer->custom_id.empty()) fields.set("X-Consumer-Custom-ID", consumer->custom_id);
  }
  if (!identity.groups_header.empty()) fields.set("X-Consumer-Groups", identity.groups_header);
  if (!identity.credential.empty()) fields.set("X-Credential-Identifier", identity.credential);
  if (identity.anonymous) fields.set("X-Anonymous-Consumer", "true");
}

}  // namespace

void add_upstream_headers(boost::beast::http::fields& fields, const config::Route& route,
                          const auth::Decision& decision, auth::PeerCertificate& peer,
                          ForwardingContext& forwarding) {
  if (route.headers.identity) {
    add_certificate_headers(fields, decision, peer);
    add_identity_headers(fields, decision.identity);
  }
  add_client_cert_formats(fields, route.headers, decision, peer, forwarding);
  add_jwt_assertion(fields, route, decision, peer, forwarding);
}

}  // namespace certgate::proxy
