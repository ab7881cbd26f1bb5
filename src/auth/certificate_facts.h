// The textual forms of a client certificate used in upstream headers, logs and the client-certificate
// inventory, computed once per distinct certificate and shared (auth::VerifiedChainCache).
#pragma once

#include <ctime>
#include <string>

namespace certgate::auth {

struct CertificateFacts {
  std::string subject_dn;
  std::string issuer_dn;
  std::string serial;
  std::string fingerprint;  // SHA-256, lowercase hex
  std::string san;
  std::string not_after;           // RFC 3339
  std::time_t not_after_time = 0;  // the same as a time, for expiry checks
};

}  // namespace certgate::auth
