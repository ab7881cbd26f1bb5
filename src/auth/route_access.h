// What authorization needs to know about a route: its config and the live objects the certificate,
// revocation and identity stages use. auth's own input type, so that auth does not depend on the data
// path (proxy::RouteRuntime derives from it and adds the upstream side).
#pragma once

#include <memory>

#include "config/config.h"
#include "pki/trust_bundle.h"
#include "revocation/crl_file.h"

namespace certgate::auth {

class ConsumerDirectory;

struct RouteAccess {
  const config::Route* config = nullptr;
  std::shared_ptr<const pki::TrustBundle> trust;        // null when mTLS is off
  std::shared_ptr<const revocation::CrlFile> crl_file;  // the route's mtls.crl_file, or null
  const ConsumerDirectory* consumers = nullptr;         // the generation's consumers (owned by the Runtime)
};

}  // namespace certgate::auth
