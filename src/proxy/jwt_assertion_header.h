// headers.jwt_assertion: X-Certgate-Jwt-Assertion, an ES256 JWT about the client, bound to its
// certificate (docs/forwarding.md). Sent only for a certificate that verified on the route.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <chrono>
#include <string>

#include "auth/decision.h"
#include "auth/peer_certificate.h"
#include "config/config.h"
#include "proxy/forwarding_context.h"

namespace certgate::proxy {

inline constexpr std::string_view kJwtAssertionHeader = "X-Certgate-Jwt-Assertion";

// jwt.issuer, or "https://<request host>" with ":<port>" unless the listener port is 443.
std::string jwt_issuer(std::string_view configured, std::string_view host, uint16_t listener_port);

void add_jwt_assertion(boost::beast::http::fields& fields, const config::Route& route,
                       const auth::Decision& decision, auth::PeerCertificate& peer,
                       ForwardingContext& context,
                       std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace certgate::proxy
