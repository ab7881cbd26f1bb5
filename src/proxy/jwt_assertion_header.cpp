#include "proxy/jwt_assertion_header.h"

#include <spdlog/spdlog.h>

namespace certgate::proxy {

std::string jwt_issuer(std::string_view configured, std::string_view host, uint16_t listener_port) {
  if (!configured.empty()) return std::string(configured);
  std::string out = "https://";
  out.append(host);
  if (listener_port != 443) out += ":" + std::to_string(listener_port);
  return out;
}

void add_jwt_assertion(boost::beast::http::fields& fields, const config::Route& route,
                       const auth::Decision& decision, auth::PeerCertificate& peer,
                       ForwardingContext& context, std::chrono::system_clock::time_point now) {
  if (!route.headers.jwt_assertion || !context.jwt_keys || !decision.certificate_valid() || !peer.leaf())
    return;
  const std::string_view host = context.request_host.empty() ? route.host : context.request_host;
  const auto issuer = jwt_issuer(context.jwt_issuer, host, context.listener_port);
  jwt::AssertionClaims claims;
  claims.issuer = issuer;
  claims.audience = host;
  // `sub` names the consumer when identity mapping found one, else the certificate's subject; `groups`
  // are the consumer's (or, with skip_consumer_lookup, the certificate's CN or DN).
  const auto& identity = decision.identity;
  const auto* consumer = identity.anonymous ? nullptr : identity.consumer;
  claims.subject = consumer ? std::string_view(consumer->id) : std::string_view(peer.facts().subject_dn);
  claims.groups = identity.groups;
  claims.email = peer.forms().email;
  if (claims.email.empty() && consumer) claims.email = consumer->email;
  claims.certificate_thumbprint = peer.forms().sha256_base64url;
  claims.ttl = std::max(std::chrono::seconds(1),
                        std::chrono::duration_cast<std::chrono::seconds>(route.headers.jwt_ttl));
  try {
    fields.set(kJwtAssertionHeader, context.jwt_cache().get(*context.jwt_keys, claims, now));
  } catch (const std::exception& e) {
    spdlog::error("route {}: cannot sign the JWT assertion: {}", route.from, e.what());
  }
}

}  // namespace certgate::proxy
