// The per-request client-certificate decision for one route (PRODUCT.md section 3 and 7):
//   off       -> pass, no certificate headers;
//   optional  -> pass; X-Client-Cert-Verify is SUCCESS, NONE or FAILED:<reason>;
//   required  -> 401 "No required TLS certificate was sent" / 401 "TLS certificate failed verification".
#pragma once

#include <string>
#include <string_view>

#include "auth/peer_certificate.h"
#include "auth/reason.h"
#include "config/config.h"

namespace certgate::auth {

inline constexpr std::string_view kNoCertificateMessage = "No required TLS certificate was sent";
inline constexpr std::string_view kFailedVerificationMessage = "TLS certificate failed verification";

struct GateDecision {
  bool allow = true;
  unsigned status = 0;       // the error status when !allow
  std::string_view message;  // the client-facing message when !allow (never the reason)
  Reason reason = Reason::allowed;
  std::string verify;                           // X-Client-Cert-Verify value; empty on mTLS-off routes
  const pki::VerifyOutcome* outcome = nullptr;  // set when a certificate was checked
};

GateDecision check_client_certificate(const config::EffectiveMtls& mtls, const pki::TrustBundle* bundle,
                                      PeerCertificate& peer);

}  // namespace certgate::auth
