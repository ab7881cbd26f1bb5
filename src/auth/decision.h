// The outcome of authorizing one request, and everything later stages (upstream headers, the access
// log, `certgate check`) need to know about it.
#pragma once

#include <string>
#include <string_view>

#include "auth/reason.h"
#include "pki/chain_verifier.h"

namespace certgate::auth {

inline constexpr std::string_view kNoCertificateMessage = "No required TLS certificate was sent";
inline constexpr std::string_view kFailedVerificationMessage = "TLS certificate failed verification";
inline constexpr std::string_view kForbiddenMessage = "Forbidden";

struct Decision {
  bool allow = true;
  unsigned status = 0;       // the error status when !allow
  std::string_view message;  // the client-facing message when !allow (never the reason)
  Reason reason = Reason::allowed;
  std::string verify;  // X-Client-Cert-Verify: SUCCESS, NONE or FAILED:<reason>; empty where mTLS is off
  const pki::VerifyOutcome* certificate = nullptr;  // set when a certificate was checked
  std::string detail;                               // the full reason, for the error log only
  // The revocation stage refused a certificate whose path verified (revoked, or unknown in strict
  // mode): from then on it counts as invalid.
  bool revocation_refused = false;

  bool certificate_valid() const { return certificate && certificate->ok && !revocation_refused; }

  void deny(unsigned http_status, std::string_view client_message, Reason why) {
    allow = false;
    status = http_status;
    message = client_message;
    reason = why;
  }
};

}  // namespace certgate::auth
