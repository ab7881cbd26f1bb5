#include "runtime/host_profiles.h"

#include <algorithm>
#include <set>

#include "config/config_error.h"
#include "config/loader.h"
#include "pki/cert_info.h"

namespace certgate::runtime {
namespace {

using config::MtlsMode;
using RouteList = std::vector<const proxy::RouteRuntime*>;

std::string hex_digest(const pki::TrustBundle& bundle) {
  return pki::hex_lower(reinterpret_cast<const unsigned char*>(bundle.digest().data()),
                        bundle.digest().size());
}

std::string line_of(const proxy::RouteRuntime* route) {
  return route->config->mark.line > 0 ? " (line " + std::to_string(route->config->mark.line) + ")" : "";
}

// The handshake can refuse a client only when the host's routes agree on how: every route in
// reject_connection, one trust bundle (same certificates), one max_verify_depth.
void check_reject_connection(const std::string& host, const RouteList& routes) {
  const proxy::RouteRuntime* reject = nullptr;
  for (const auto* route : routes) {
    if (route->config->mtls.mode == MtlsMode::reject_connection) reject = route;
  }
  if (!reject) return;
  for (const auto* route : routes) {
    const auto& mtls = route->config->mtls;
    if (mtls.mode != MtlsMode::reject_connection) {
      throw config::ConfigError(
          route->config->mark,
          "route " + route->config->from + " uses mtls.mode " + config::to_string(mtls.mode) +
              ", but route " + reject->config->from + line_of(reject) + " of the same host " + host +
              " uses reject_connection; the handshake cannot both refuse and admit a client: use "
              "reject_connection for every route of " +
              host + " or for none");
    }
    if (route->trust->digest() != reject->trust->digest() ||
        mtls.max_verify_depth != reject->config->mtls.max_verify_depth ||
        mtls.allowed_signature_algorithms != reject->config->mtls.allowed_signature_algorithms) {
      throw config::ConfigError(route->config->mark,
                                "route " + route->config->from +
                                    " uses reject_connection with another trust bundle, max_verify_depth or "
                                    "allowed_signature_algorithms "
                                    "than route " +
                                    reject->config->from + line_of(reject) + " of the same host " + host +
                                    "; the handshake verifies against one bundle: give every route of " +
                                    host + " the same ones");
    }
  }
}

tls::HostProfile profile_for(const RouteList& routes, std::string_view label) {
  tls::HostProfile profile;
  std::set<std::string> digests;
  std::vector<const pki::TrustBundle*> named;
  bool all_reject = !routes.empty();
  for (const auto* route : routes) {
    const auto& mtls = route->config->mtls;
    if (mtls.mode != MtlsMode::reject_connection) all_reject = false;
    if (mtls.mode == MtlsMode::off || !route->trust) continue;
    profile.request_client_cert = true;
    digests.insert(hex_digest(*route->trust));
    if (mtls.send_ca_names && std::find(named.begin(), named.end(), route->trust.get()) == named.end())
      named.push_back(route->trust.get());
  }
  // Only consistent hosts get here with all_reject (check_reject_connection); for the merged no-SNI
  // profile of an HTTPS listener, disagreeing routes fall back to per-request checks.
  const auto* first = routes.empty() ? nullptr : routes.front();
  if (all_reject && digests.size() == 1 &&
      std::all_of(routes.begin(), routes.end(), [&](const proxy::RouteRuntime* r) {
        return r->config->mtls.max_verify_depth == first->config->mtls.max_verify_depth &&
               r->config->mtls.allowed_signature_algorithms ==
                   first->config->mtls.allowed_signature_algorithms;
      })) {
    profile.handshake_trust = first->trust;
    profile.max_verify_depth = first->config->mtls.max_verify_depth;
    profile.allowed_signature_algorithms = first->config->mtls.allowed_signature_algorithms;
  }
  if (!named.empty()) profile.ca_names = tls::ca_names_of(named);
  profile.session_context = std::string(label) + (profile.request_client_cert ? "|mtls" : "|plain");
  if (profile.handshake_trust) {
    profile.session_context += "|reject:" + std::to_string(profile.max_verify_depth);
    for (int nid : profile.allowed_signature_algorithms)
      profile.session_context += "," + std::to_string(nid);
  }
  for (const auto& d : digests)
    profile.session_context += "|" + d;
  return profile;
}

}  // namespace

ListenerProfiles build_host_profiles(const config::Listener& listener, const proxy::Router& router,
                                     const RouteList& served) {
  ListenerProfiles out;
  const auto hosts = router.hosts();
  for (const auto& host : hosts) {
    const auto& routes = *router.routes_for(host);
    check_reject_connection(host, routes);
    out.profiles.add(host, profile_for(routes, host));
  }
  const bool tls_listener = listener.protocol == config::ListenerProtocol::tls;
  if (!listener.default_host.empty()) {
    const auto* routes = router.routes_for(listener.default_host);
    if (!routes) {
      throw config::ConfigError(listener.mark, "default_host '" + listener.default_host +
                                                   "' is not the host of any route" +
                                                   (tls_listener ? " to a tcp:// upstream" : ""));
    }
    out.no_sni_host = listener.default_host;
    out.profiles.set_no_sni(profile_for(*routes, listener.default_host));
  } else if (tls_listener) {
    // Bytes cannot be routed without a name, unless there is only one place to send them.
    if (hosts.size() == 1 && hosts.front().find('*') == std::string::npos) {
      out.no_sni_host = hosts.front();
      out.profiles.set_no_sni(profile_for(*router.routes_for(hosts.front()), hosts.front()));
    } else {
      tls::HostProfile unroutable;
      unroutable.routable = false;
      out.profiles.set_no_sni(std::move(unroutable));
    }
  } else {
    // Without SNI (clients that connect by IP address) a certificate is requested when any route of the
    // listener may need one; each request is still checked against its own route's bundle.
    out.profiles.set_no_sni(profile_for(served, "(no sni)"));
  }
  return out;
}

}  // namespace certgate::runtime
