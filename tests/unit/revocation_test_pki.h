// Certificates and CRLs for the revocation unit tests, built with the PKI toolkit's builders: a root,
// an intermediate below it, client leaves, and CRLs with chosen validity.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pki/cert_info.h"
#include "pki/openssl_ptr.h"
#include "pki/toolkit/certificate_builder.h"
#include "pki/toolkit/crl_builder.h"
#include "pki/toolkit/key_generator.h"
#include "pki/toolkit/serial_number.h"

namespace revtest {

namespace pki = certgate::pki;
namespace tk = certgate::pki::toolkit;

struct Issued {
  pki::EvpPkeyPtr key;
  pki::X509Ptr cert;
};

inline Issued make_ca(const std::string& name, const Issued* parent = nullptr) {
  Issued ca;
  ca.key = tk::generate_key(tk::KeyType::ec_p256);
  tk::CertificateSpec spec;
  spec.profile = parent ? tk::Profile::intermediate_ca : tk::Profile::root_ca;
  spec.common_name = name;
  spec.days = 3650;
  if (parent) spec.path_len = 0;
  const tk::Signer signer =
      parent ? tk::Signer{parent->cert.get(), parent->key.get()} : tk::Signer{nullptr, ca.key.get()};
  ca.cert = tk::build_certificate(spec, ca.key.get(), signer);
  return ca;
}

inline Issued make_leaf(const Issued& ca, const std::string& cn, std::vector<std::string> crl_urls = {},
                        std::vector<std::string> ocsp_urls = {}) {
  Issued leaf;
  leaf.key = tk::generate_key(tk::KeyType::ec_p256);
  tk::CertificateSpec spec;
  spec.profile = tk::Profile::client;
  spec.common_name = cn;
  spec.crl_urls = std::move(crl_urls);
  spec.ocsp_urls = std::move(ocsp_urls);
  leaf.cert = tk::build_certificate(spec, leaf.key.get(), tk::Signer{ca.cert.get(), ca.key.get()});
  return leaf;
}

inline std::string serial_of(const X509* cert) {
  return tk::serial_to_hex(X509_get0_serialNumber(cert));
}

// A CRL by `ca` revoking `revoked`, valid from `this_update` for `days`.
inline pki::X509CrlPtr make_crl(const Issued& ca, const std::vector<const X509*>& revoked,
                                std::time_t this_update = std::time(nullptr) - 60, int days = 7) {
  std::vector<tk::IndexEntry> entries;
  for (const X509* cert : revoked) {
    tk::IndexEntry e;
    e.serial = serial_of(cert);
    e.subject = pki::subject_dn(cert);
    e.profile = "client";
    e.revocation = tk::Revocation{this_update, tk::RevocationReason::key_compromise};
    entries.push_back(std::move(e));
  }
  return tk::build_crl(ca.cert.get(), ca.key.get(), entries, tk::CrlSpec{1, days, this_update});
}

inline std::string pem(const X509_CRL* crl) {
  return tk::crl_to_pem(crl);
}

inline std::string der(const X509_CRL* crl) {
  unsigned char* out = nullptr;
  const int len = i2d_X509_CRL(const_cast<X509_CRL*>(crl), &out);
  std::string bytes(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  OPENSSL_free(out);
  return bytes;
}

inline std::vector<pki::X509Ptr> certs(std::initializer_list<const Issued*> list) {
  std::vector<pki::X509Ptr> out;
  for (const auto* i : list)
    out.push_back(pki::share(i->cert.get()));
  return out;
}

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "certgate-rev-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& content) const {
    const auto path = path_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace revtest
