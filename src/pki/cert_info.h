// Read-only views of an X.509 certificate in the textual forms certgate uses in headers, logs,
// policy and `pki inspect`. Pure functions over OpenSSL objects.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "pki/openssl_ptr.h"

namespace certgate::pki {

struct SubjectAltName {
  enum class Kind { dns, email, uri, ip, other };
  Kind kind = Kind::other;
  std::string value;
};

std::string name_rfc2253(const X509_NAME* name);                  // "CN=alice,O=Example"
std::string subject_dn(const X509* cert);                         // RFC 2253
std::string issuer_dn(const X509* cert);                          // RFC 2253
std::string serial_hex(const X509* cert);                         // uppercase, as `openssl x509 -serial`
std::string sha256_fingerprint_hex(const X509* cert);             // lowercase hex of SHA-256(DER), no colons
std::string sha256_fingerprint_raw(const X509* cert);             // 32 raw bytes
std::string spki_sha256_base64(const X509* cert);                 // base64 SHA-256 of SubjectPublicKeyInfo
std::vector<SubjectAltName> subject_alt_names(const X509* cert);  // empty dNSNames left out
std::string san_list(const std::vector<SubjectAltName>& sans);    // "DNS:a, email:b, URI:c, IP:1.2.3.4"
std::vector<std::string> subject_attribute(const X509* cert, int nid);  // e.g. NID_commonName
std::vector<std::string> crl_distribution_point_urls(const X509* cert);
std::vector<std::string> ocsp_urls(const X509* cert);

bool is_ca(const X509* cert);           // basicConstraints CA:TRUE
bool is_self_issued(const X509* cert);  // subject == issuer

// The basicConstraints extension as written in the certificate; nullopt when the extension is absent.
struct BasicConstraints {
  bool ca = false;
  std::optional<long> path_len;  // nullopt: no pathLenConstraint
  bool critical = false;
};
std::optional<BasicConstraints> basic_constraints(const X509* cert);
std::optional<bool> extension_critical(const X509* cert, int nid);  // nullopt when the extension is absent

std::vector<std::string> key_usage_names(const X509* cert);           // RFC 5280 names, "digitalSignature"
std::vector<std::string> extended_key_usage_names(const X509* cert);  // "clientAuth", or the dotted OID
std::string signature_algorithm_name(const X509* cert);               // "ecdsa-with-SHA256", "ED25519"
std::string key_description(const EVP_PKEY* key);                     // "EC P-256", "RSA 2048", "Ed25519"
std::string public_key_description(const X509* cert);                 // key_description of the public key
std::string subject_key_id_hex(const X509* cert);                     // lowercase hex, "" when absent
std::string authority_key_id_hex(const X509* cert);                   // keyIdentifier, "" when absent

std::optional<std::time_t> to_time_t(const ASN1_TIME* time);
std::string rfc3339(std::time_t t);  // "2027-01-31T12:00:00Z"
std::string not_before_rfc3339(const X509* cert);
std::string not_after_rfc3339(const X509* cert);

std::string hex_lower(const unsigned char* data, std::size_t size);
std::string base64(const unsigned char* data, std::size_t size);

}  // namespace certgate::pki
