// The outcome of authorizing one request, and everything later stages (upstream headers, the access
// log, `certgate check`) need to know about it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "auth/reason.h"
#include "config/config.h"
#include "pki/chain_verifier.h"

namespace certgate::auth {

inline constexpr std::string_view kNoCertificateMessage = "No required TLS certificate was sent";
inline constexpr std::string_view kFailedVerificationMessage = "TLS certificate failed verification";
inline constexpr std::string_view kForbiddenMessage = "Forbidden";

// Which step of the route's identity block produced the consumer (docs/identity-and-policy.md).
enum class IdentityMatch : uint8_t {
  none,  // no identity block, or no consumer (optional route, no valid certificate, no anonymous)
  credential_with_ca,  // 1. a credential with this subject name and the chain's CA
  credential,          // 2. a credential with this subject name and no ca_file
  attribute,           // 3. certificate_attribute == consumer_attribute
  default_consumer,    // 4. valid certificate, nothing matched
  anonymous,           // optional route, no valid certificate
  skip_lookup,         // skip_consumer_lookup: any valid certificate, groups from its CN or DN
};

inline std::string_view to_string(IdentityMatch m) {
  switch (m) {
    case IdentityMatch::none:
      return "none";
    case IdentityMatch::credential_with_ca:
      return "credential_with_ca";
    case IdentityMatch::credential:
      return "credential";
    case IdentityMatch::attribute:
      return "attribute";
    case IdentityMatch::default_consumer:
      return "default_consumer";
    case IdentityMatch::anonymous:
      return "anonymous";
    case IdentityMatch::skip_lookup:
      return "skip_lookup";
  }
  return "none";
}

// Who the client is. Everything points into the runtime's config or the connection's certificate
// attributes, both of which outlive the request.
struct Identity {
  const config::Consumer* consumer = nullptr;  // matched, default or anonymous consumer
  std::string_view credential;  // the matched credential's subject_name (X-Credential-Identifier)
  bool anonymous = false;       // X-Anonymous-Consumer: true
  IdentityMatch match = IdentityMatch::none;
  std::span<const std::string> groups;  // the consumer's groups, or the certificate's CN / DN (skip_lookup)
  std::string_view groups_header;       // the same joined by ", " (X-Consumer-Groups)
};

struct Decision {
  bool allow = true;
  unsigned status = 0;       // the error status when !allow
  std::string_view message;  // the client-facing message when !allow (never the reason)
  Reason reason = Reason::allowed;
  std::string verify;  // X-Client-Cert-Verify: SUCCESS, NONE or FAILED:<reason>; empty where mTLS is off
  const pki::VerifyOutcome* certificate = nullptr;  // set when a certificate was checked
  std::string detail;                               // the full reason, for the error log only
  Identity identity;                                // set by the identity stage
  // The policy rule that decided (allowed or denied); null when the route has no policy, or when no rule
  // matched (denied by default). Its `index` is the position in the route's policy list.
  const config::PolicyRule* policy_rule = nullptr;
  // A check after path validation refused a certificate whose path verified (the signature algorithm
  // list, or revocation: revoked, or unknown in strict mode): from then on it counts as invalid.
  bool refused_after_verification = false;

  bool certificate_valid() const { return certificate && certificate->ok && !refused_after_verification; }

  void deny(unsigned http_status, std::string_view client_message, Reason why) {
    allow = false;
    status = http_status;
    message = client_message;
    reason = why;
  }
};

}  // namespace certgate::auth
