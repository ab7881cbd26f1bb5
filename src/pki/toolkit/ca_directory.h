// The on-disk layout of a CA (see docs/pki.md) and loading/saving its parts. A CA directory holds:
//   ca.pem         the CA certificate
//   ca.key         its private key (PKCS#8 PEM, mode 0600)
//   chain.pem      intermediates only: this CA, then its parent intermediates; never the root
//   root.pem       intermediates only: the root certificate of the hierarchy
//   index.json     every certificate issued, with revocation status (see ca_index.h)
//   crl_number     the number the next CRL gets (decimal)
//   settings.json  URLs written into issued certificates: {"crl_url": "...", "ocsp_url": "..."}
//   .lock          taken (flock) while a command changes the directory
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pki/openssl_ptr.h"
#include "pki/toolkit/ca_index.h"

namespace certgate::pki::toolkit {

struct CaSettings {
  std::string crl_url;   // CRL distribution point of issued certificates ("" for none)
  std::string ocsp_url;  // AIA OCSP responder of issued certificates ("" for none)
};

class CaPaths {
 public:
  explicit CaPaths(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string cert() const { return file("ca.pem"); }
  std::string key() const { return file("ca.key"); }
  std::string chain() const { return file("chain.pem"); }
  std::string root() const { return file("root.pem"); }
  std::string index() const { return file("index.json"); }
  std::string crl_number() const { return file("crl_number"); }
  std::string settings() const { return file("settings.json"); }
  std::string lock() const { return file(".lock"); }

 private:
  std::string file(const char* name) const { return dir_ + "/" + name; }
  std::string dir_;
};

struct CertificateAuthority {
  CaPaths paths{""};
  X509Ptr cert;
  EvpPkeyPtr key;
  std::vector<X509Ptr> chain;  // intermediates handed out with leaves: this CA first; empty for a root
  X509Ptr root;                // the hierarchy's root; nullptr when this CA is the root
  CaSettings settings;
  bool is_root() const { return root == nullptr; }
};

// Loads and sanity-checks a CA directory; throws std::runtime_error with a one-line reason.
CertificateAuthority load_ca(const std::string& dir);

// Throws when the CA certificate has expired or is not yet valid: what it signs would be unusable.
void check_can_issue(const CertificateAuthority& ca);

// Makes `dir` ready for a new CA: creates it, or refuses when it already holds one unless `force`.
void prepare_ca_directory(const CaPaths& paths, bool force);

std::string settings_to_json(const CaSettings& settings);
CaSettings settings_from_json(const std::string& text, const std::string& what);

CaIndex load_index(const CaPaths& paths);
void save_index(const CaPaths& paths, const CaIndex& index);

std::uint64_t read_crl_number(const CaPaths& paths);  // 1 when the file does not exist yet
void write_crl_number(const CaPaths& paths, std::uint64_t next);

// Serialises commands that change one CA directory (two `pki issue` runs must not lose an index entry).
class CaLock {
 public:
  explicit CaLock(const CaPaths& paths);
  ~CaLock();
  CaLock(const CaLock&) = delete;
  CaLock& operator=(const CaLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace certgate::pki::toolkit
