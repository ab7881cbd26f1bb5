// Builds and signs a v2 CRL from the revoked entries of a CA index.
#pragma once

#include <cstdint>
#include <ctime>
#include <vector>

#include "pki/openssl_ptr.h"
#include "pki/toolkit/ca_index.h"

namespace certgate::pki::toolkit {

struct CrlSpec {
  std::uint64_t number = 1;  // cRLNumber extension; must grow with every CRL the CA publishes
  int days = 7;              // nextUpdate = thisUpdate + days
  std::time_t now = 0;       // thisUpdate; 0 means the current time
};

// Signed by ca_key with SHA-256 (no digest for Ed25519). Includes the cRLNumber and authority key
// identifier extensions and, per entry, the revocation date and a reasonCode (omitted for
// "unspecified", as RFC 5280 section 5.3.1 asks).
X509CrlPtr build_crl(const X509* ca_cert, const EVP_PKEY* ca_key, const std::vector<IndexEntry>& revoked,
                     const CrlSpec& spec);

std::string crl_to_pem(const X509_CRL* crl);

}  // namespace certgate::pki::toolkit
