// headers.client_cert: the client certificate in the formats other gateways forward it in, so that
// upstreams written for nginx, Cloudflare or Envoy work behind certgate (docs/forwarding.md). Sent only
// for a certificate that verified on the route; client-sent copies were removed before.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <span>
#include <string>

#include "auth/decision.h"
#include "auth/peer_certificate.h"
#include "config/config.h"
#include "proxy/forwarding_context.h"

namespace certgate::proxy {

void add_client_cert_formats(boost::beast::http::fields& fields, const config::RouteHeaders& headers,
                             const auth::Decision& decision, auth::PeerCertificate& peer,
                             ForwardingContext& context);

// certgate's own X-Forwarded-Client-Cert element for `peer`: By (one per URI SAN of the server
// certificate), Hash, then Cert, Chain, Subject, URI, DNS as `settings` selects, in Envoy's order.
std::string xfcc_element(const config::XfccSettings& settings, auth::PeerCertificate& peer,
                         std::span<const std::string> by);

// Whether a route's XFCC mode passes on what a trusted proxy sent.
bool forwards_incoming_xfcc(const config::RouteHeaders& headers);

// Every X-Forwarded-Client-Cert line of `request`, joined with "," into `out` (read before the strip).
void collect_incoming_xfcc(const boost::beast::http::fields& request, std::string& out);

}  // namespace certgate::proxy
