// A route as the data path sees it: its config plus the live objects it needs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/asio.h"
#include "pki/trust_bundle.h"
#include "revocation/crl_file.h"
#include "tls/upstream_tls.h"

namespace certgate::auth {
class ConsumerDirectory;
}

namespace certgate::proxy {

struct RouteRuntime {
  const config::Route* config = nullptr;
  std::shared_ptr<const pki::TrustBundle> trust;        // null when mTLS is off
  std::shared_ptr<const revocation::CrlFile> crl_file;  // the route's mtls.crl_file, or null
  const auth::ConsumerDirectory* consumers = nullptr;   // the generation's consumers (owned by the Runtime)
  std::vector<net::tcp::endpoint> upstream_endpoints;
  std::string upstream_authority;  // Host header for the upstream: "host" or "host:port"
  std::string pool_key;            // routes to the same upstream share idle connections
  std::shared_ptr<const tls::UpstreamTls> upstream_tls;  // https:// upstreams
};

}  // namespace certgate::proxy
