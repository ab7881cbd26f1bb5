// The ES256 key that signs X-Certgate-Jwt-Assertion: EC P-256, read from a PEM file or generated, with
// its public JWK and its key id, the RFC 7638 thumbprint of that JWK.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "pki/openssl_ptr.h"

namespace certgate::jwt {

class SigningKey {
 public:
  // Throws std::runtime_error naming the problem (unreadable, not EC P-256, ...).
  static std::shared_ptr<const SigningKey> load(const std::string& path);
  static std::shared_ptr<const SigningKey> generate();
  // For tests and key files already read.
  static std::shared_ptr<const SigningKey> from_pem(const std::string& pem, const std::string& what);

  EVP_PKEY* key() const { return key_.get(); }
  const std::string& kid() const { return kid_; }
  const nlohmann::json& public_jwk() const { return jwk_; }      // kty, crv, x, y, kid, use, alg
  const std::string& encoded_header() const { return header_; }  // base64url JOSE header
  bool generated() const { return generated_; }

 private:
  explicit SigningKey(pki::EvpPkeyPtr key, bool generated);

  pki::EvpPkeyPtr key_;
  std::string kid_;
  nlohmann::json jwk_;
  std::string header_;
  bool generated_ = false;
};

}  // namespace certgate::jwt
