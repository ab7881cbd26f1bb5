// Validates a client certificate chain against one trust bundle. OpenSSL builds and checks the path
// (RFC 5280 with X509_V_FLAG_X509_STRICT, purpose SSL client, auth level 2); certgate adds the rules
// OpenSSL leaves to the application: a CA certificate is never a client leaf, and the path must meet
// pki/certificate_policy.h (v3, serial, key algorithms, clientAuth EKU, name constraints, ...).
// The trust anchors are the self-signed roots of the bundle; its other CA certificates help build the
// path. docs/conformance.md has the x509-limbo results. The gateway and `certgate check` both call this,
// so they cannot disagree.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/reason.h"
#include "pki/openssl_ptr.h"
#include "pki/trust_bundle.h"

namespace certgate::pki {

struct VerifyRequest {
  X509* leaf = nullptr;
  STACK_OF(X509) * untrusted = nullptr;  // intermediates the client sent (may be null)
  int max_verify_depth = 1;              // 1: the leaf is issued directly by a trust anchor
  std::optional<std::time_t> at;         // verification time; now when unset
};

struct VerifyOutcome {
  bool ok = false;
  Reason reason = Reason::invalid_certificate;  // allowed when ok
  std::string detail;                           // OpenSSL's words, for the log
  int error_depth = 0;
  std::vector<X509Ptr> chain;  // leaf first; up to the trust anchor when ok, as far as built when not
  // The certgate policy rule that refused a path OpenSSL accepted ("serial-number", "eku-required", ...;
  // see pki/certificate_policy.h); empty when OpenSSL refused it or it was accepted. Static storage.
  std::string_view policy_rule;
};

VerifyOutcome verify_client_chain(const TrustBundle& bundle, const VerifyRequest& request);

// Maps an X509_V_ERR_* code to certgate's reason code.
Reason reason_for_verify_error(int x509_error);

}  // namespace certgate::pki
