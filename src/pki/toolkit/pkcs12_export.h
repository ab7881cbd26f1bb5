// PKCS#12 (.p12/.pfx) bundles of a key, its certificate and the chain, for browsers, curl, Java and OS
// keychains.
#pragma once

#include <string>
#include <vector>

#include "pki/openssl_ptr.h"
#include "pki/toolkit/file_output.h"

namespace certgate::pki::toolkit {

enum class Pkcs12Format {
  // OpenSSL 3 defaults: PBES2 (PBKDF2 hmacWithSHA256, AES-256-CBC) for key and certificates, SHA-256 MAC.
  modern,
  // PBE-SHA1-3DES for key and certificates, SHA-1 MAC: what older macOS keychains and Windows versions
  // before Server 2019 import. 3DES is in OpenSSL 3's default provider, so no legacy provider is needed
  // (RC2-40, the other classic choice for certificates, would need it).
  legacy,
};

struct Pkcs12Request {
  const X509* cert = nullptr;
  const EVP_PKEY* key = nullptr;
  std::vector<const X509*> chain;  // intermediates (and optionally the root), leaf excluded
  std::string password;
  std::string friendly_name;  // shown by keychains; "" to omit
  Pkcs12Format format = Pkcs12Format::modern;
};

// DER-encoded PKCS#12. Throws std::runtime_error when the key does not match the certificate.
std::string build_pkcs12(const Pkcs12Request& request);

struct Pkcs12FileOptions {
  std::string cert_file;  // the leaf first; any further certificates in it join the chain
  std::string key_file;
  std::vector<std::string> chain_files;
  std::string password;
  std::string friendly_name;  // "" means the certificate's common name
  Pkcs12Format format = Pkcs12Format::modern;
  std::string out;
  bool force = false;
};

// `pki p12`: reads the inputs, writes `out` with mode 0600 (it holds the private key).
Report export_pkcs12_file(const Pkcs12FileOptions& options);

}  // namespace certgate::pki::toolkit
