// The headers the gateway adds for the upstream once a request is allowed (docs/configuration.md, "What the
// upstream receives"). Client-sent copies of all of them were already removed (http/header_rules).
#pragma once

#include <boost/beast/http/fields.hpp>

#include "auth/decision.h"
#include "auth/peer_certificate.h"
#include "config/config.h"
#include "proxy/forwarding_context.h"

namespace certgate::proxy {

void add_upstream_headers(boost::beast::http::fields& fields, const config::Route& route,
                          const auth::Decision& decision, auth::PeerCertificate& peer,
                          ForwardingContext& forwarding);

}  // namespace certgate::proxy
