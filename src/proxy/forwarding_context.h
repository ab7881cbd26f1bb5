// What the certificate formats and the JWT assertion need beyond the route and the decision: the
// connection's server certificate (XFCC By=), the JWT keys and token cache, and, per request, the
// X-Forwarded-Client-Cert a trusted proxy sent. One per connection, owned by the session.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jwt/assertion.h"
#include "jwt/key_ring.h"
#include "pki/openssl_ptr.h"

namespace certgate::proxy {

class ForwardingContext {
 public:
  ForwardingContext() = default;
  ForwardingContext(const jwt::KeyRing* jwt_keys, std::string_view jwt_issuer, uint16_t listener_port)
      : jwt_keys(jwt_keys), jwt_issuer(jwt_issuer), listener_port(listener_port) {}

  // The server certificate this connection's handshake used (owned by the TLS context), for XFCC By=.
  void set_local_certificate(X509* cert) { local_certificate_ = cert; }
  // URI SANs of the server certificate, read on first use.
  const std::vector<std::string>& local_uri_sans();

  const jwt::KeyRing* jwt_keys = nullptr;  // null when no route signs assertions
  std::string_view jwt_issuer;             // jwt.issuer, or empty for https://<host>[:port]
  uint16_t listener_port = 443;
  // The connection's last JWT assertion; allocated for connections that get one.
  jwt::AssertionCache& jwt_cache() {
    if (!jwt_cache_) jwt_cache_ = std::make_unique<jwt::AssertionCache>();
    return *jwt_cache_;
  }
  // Per request: the host the request was routed by (a wildcard route's host names no single host).
  std::string_view request_host;
  // Per request: the client's X-Forwarded-Client-Cert (all lines joined with ","), kept only when the
  // peer is a trusted proxy and the route's XFCC mode forwards it.
  std::string incoming_xfcc;

 private:
  std::unique_ptr<jwt::AssertionCache> jwt_cache_;
  X509* local_certificate_ = nullptr;
  std::unique_ptr<std::vector<std::string>> local_uri_sans_;  // read on first use
};

}  // namespace certgate::proxy
