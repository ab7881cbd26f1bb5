// OCSP (RFC 6960) without I/O: building a request and judging a response, with OpenSSL's OCSP_* API.
// The HTTP exchange is revocation/http_fetch.h; caching and modes live elsewhere.
#pragma once

#include <ctime>
#include <optional>
#include <string>

#include "pki/openssl_ptr.h"
#include "revocation/verdict.h"

namespace certgate::revocation {

// The CertID for `cert` issued by `issuer`, with SHA-1 hashes (what RFC 5019 responders expect).
pki::OcspCertIdPtr make_cert_id(const X509* cert, const X509* issuer);
std::string der_of(const OCSP_CERTID* id);

// A DER OCSP request for `id`. No nonce: answers are cached and shared, as RFC 5019 recommends.
std::string make_request(const OCSP_CERTID* id);

struct OcspAnswer {
  bool usable = false;  // false: the response must not be used (`detail` says why)
  Status status = Status::unknown;
  std::string detail;
  std::optional<std::time_t> next_update;  // nullopt: the responder gave none
};

// Judges a DER response about `id`. It must be signed by `issuer` itself, or by a responder whose
// certificate the issuer signed with id-kp-OCSPSigning (it is path-validated against `store`, with the
// issuer as an untrusted helper), and be current: thisUpdate <= now <= nextUpdate, with
// kClockSkewSeconds of tolerance.
OcspAnswer read_response(const std::string& der, const OCSP_CERTID* id, X509* issuer, X509_STORE* store);

}  // namespace certgate::revocation
