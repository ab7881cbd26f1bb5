// `pki revoke` (mark a certificate revoked in the CA index) and `pki crl` (publish the index as a CRL).
#pragma once

#include <ctime>
#include <string>

#include "pki/toolkit/ca_index.h"
#include "pki/toolkit/file_output.h"

namespace certgate::pki::toolkit {

struct RevokeOptions {
  std::string ca_dir;
  std::string serial;     // hex, as printed by `pki issue` / `openssl x509 -serial`; or
  std::string cert_file;  // the certificate itself (PEM or DER)
  RevocationReason reason = RevocationReason::unspecified;
  std::time_t now = 0;  // revocation time; 0 means the current time
};

Report revoke_certificate(const RevokeOptions& options);

struct CrlOptions {
  std::string ca_dir;
  int days = 7;  // until nextUpdate
  std::string out;
  bool force = false;
};

Report publish_crl(const CrlOptions& options);

}  // namespace certgate::pki::toolkit
