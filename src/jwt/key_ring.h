// The JWT keys of one config generation: the key that signs, and the key it replaced, which stays in
// the JWKS for one rotation so that assertions signed just before a reload still verify.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "jwt/signing_key.h"

namespace certgate::jwt {

class KeyRing {
 public:
  // `before`: the ring of the generation being replaced (nullptr at start). A key file whose key did not
  // change, or a generated key, carries over unchanged; a new key moves the old one to `previous`.
  // Throws config::ConfigError (at jwt.signing_key_file's line) when the key file is unusable.
  static std::shared_ptr<const KeyRing> build(const config::JwtSettings& settings, const KeyRing* before);

  const SigningKey& signing_key() const { return *current_; }
  const SigningKey* previous_key() const { return previous_.get(); }
  const std::string& jwks() const { return jwks_; }  // {"keys":[current, previous]}

 private:
  KeyRing(std::shared_ptr<const SigningKey> current, std::shared_ptr<const SigningKey> previous);

  std::shared_ptr<const SigningKey> current_;
  std::shared_ptr<const SigningKey> previous_;
  std::string jwks_;
};

}  // namespace certgate::jwt
