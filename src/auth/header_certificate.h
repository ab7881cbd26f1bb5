// Trusted-header input: the client certificate as a TLS-terminating load balancer forwards it in a
// request header (docs/forwarding.md). The result is checked by auth::authorize exactly like a
// certificate from a TLS handshake; a header that cannot be read is an unreadable certificate.
#pragma once

#include <string_view>

#include "auth/peer_certificate.h"
#include "config/config.h"

namespace certgate::auth {

// `value`: the header's value (xfcc: all its lines joined with ","). An empty value means no certificate.
//   escaped_pem  URL-escaped PEM, leaf first, then intermediates (nginx $ssl_client_escaped_cert);
//   base64_der   base64 DER, several separated by ',', optionally URL-escaped or in RFC 9440 colons
//                (Cloudflare's Cf-Client-Cert-Der-Base64, Traefik's pem without delimiters, Client-Cert);
//   xfcc         the last element's Chain (leaf first) or Cert (Envoy X-Forwarded-Client-Cert).
PeerCertificate certificate_from_header(std::string_view value, config::CertificateHeaderFormat format);

}  // namespace certgate::auth
