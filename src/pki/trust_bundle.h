// A set of trust anchors (and configured intermediates) loaded once into an X509_STORE that is
// shared by every connection and worker. Refuses any certificate without basicConstraints CA:TRUE.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "pki/openssl_ptr.h"

namespace certgate::pki {

class TrustBundle {
 public:
  // Throws config::ConfigError at the source's file:line.
  static std::shared_ptr<const TrustBundle> load(const config::CaSource& source);

  X509_STORE* store() const { return store_.get(); }
  const std::vector<X509Ptr>& certificates() const { return certs_; }
  // SHA-256 over the DER of all certificates: equal content, equal digest.
  const std::string& digest() const { return digest_; }
  // "ca.pem" or "inline client_ca", for logs.
  const std::string& description() const { return description_; }

 private:
  TrustBundle() = default;
  X509StorePtr store_;
  std::vector<X509Ptr> certs_;
  std::string digest_;
  std::string description_;
};

}  // namespace certgate::pki
