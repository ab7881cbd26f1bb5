// The TLS behaviour each host of a listener asks for, derived from its routes (docs/tls.md):
//   - a certificate is requested where any route of the host uses mTLS;
//   - it is verified in the handshake (reject_connection) where every route of the host uses
//     reject_connection with one trust bundle and one max_verify_depth;
//   - CertificateRequest names the CAs of the host's routes that set send_ca_names;
//   - tickets are bound to the host and its trust set.
// Clients without SNI get the listener's default_host profile; without one, an HTTPS listener merges all
// its routes, and a TLS listener uses its only host (or refuses the handshake when it has several).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "proxy/route.h"
#include "proxy/router.h"
#include "tls/host_profile.h"

namespace certgate::runtime {

struct ListenerProfiles {
  tls::HostProfiles profiles;
  std::string no_sni_host;  // the host serving clients without SNI; "" when none
};

// Throws config::ConfigError (at the route's line) when a host mixes reject_connection with other modes,
// trust bundles or depths, and when default_host names no route of the listener.
ListenerProfiles build_host_profiles(const config::Listener& listener, const proxy::Router& router,
                                     const std::vector<const proxy::RouteRuntime*>& served);

}  // namespace certgate::runtime
