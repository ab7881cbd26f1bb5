// Builds and signs X.509 v3 certificates for the four profiles the toolkit issues. All profile rules
// (which extensions, which are critical, key usage per key type) live here, in one place.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "pki/cert_info.h"
#include "pki/openssl_ptr.h"

namespace certgate::pki::toolkit {

enum class Profile { root_ca, intermediate_ca, client, server };

std::string profile_name(Profile profile);  // "root", "intermediate", "client", "server"

struct CertificateSpec {
  Profile profile = Profile::client;
  std::string common_name;
  std::string organization;          // O=, omitted when empty
  std::vector<SubjectAltName> sans;  // dns / email / uri / ip, as the user typed them
  std::optional<long> path_len;      // CA profiles only; nullopt means no pathLenConstraint
  int days = 365;
  std::vector<std::string> crl_urls;   // CRL distribution points
  std::vector<std::string> ocsp_urls;  // AIA OCSP responders
  std::time_t now = 0;                 // 0: the current time (tests pin it)
};

// Who signs: the issuing CA's certificate and key, or (cert == nullptr) the subject key itself.
struct Signer {
  const X509* cert = nullptr;
  const EVP_PKEY* key = nullptr;
};

// Throws std::runtime_error for invalid input (bad IP, SAN syntax, name too long) or OpenSSL failures.
// The validity ends no later than the signer's, so a leaf never outlives its CA.
X509Ptr build_certificate(const CertificateSpec& spec, const EVP_PKEY* subject_key, const Signer& signer);

// An absolute URI ("http://...", "spiffe://..."): what SAN URIs, CRL and OCSP URLs must be.
bool is_absolute_uri(const std::string& text);

// SHA-256 for RSA and EC; nullptr for Ed25519/Ed448, which sign the message itself.
const EVP_MD* signature_digest(const EVP_PKEY* key);

}  // namespace certgate::pki::toolkit
