// Reading certificates, keys and CRLs from PEM files or text. Errors are thrown as std::runtime_error
// with OpenSSL's reason attached; callers add the file:line context.
#pragma once

#include <string>
#include <vector>

#include "pki/openssl_ptr.h"

namespace certgate::pki {

std::string read_file(const std::string& path);

// All certificates in a PEM text (a bundle or a chain), in order. Throws if there is none.
std::vector<X509Ptr> parse_certificates(const std::string& pem, const std::string& what);
std::vector<X509Ptr> load_certificates(const std::string& path);

// A certificate in PEM or DER form.
X509Ptr parse_certificate_any(const std::string& data, const std::string& what);

EvpPkeyPtr parse_private_key(const std::string& pem, const std::string& what);
EvpPkeyPtr load_private_key(const std::string& path);

std::vector<X509CrlPtr> parse_crls(const std::string& pem, const std::string& what);

std::string to_pem(const X509* cert);
std::string to_der(const X509* cert);

}  // namespace certgate::pki
