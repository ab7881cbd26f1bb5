#include "jwt/key_ring.h"

#include "config/config_error.h"

namespace certgate::jwt {

KeyRing::KeyRing(std::shared_ptr<const SigningKey> current, std::shared_ptr<const SigningKey> previous)
    : current_(std::move(current)), previous_(std::move(previous)) {
  auto keys = nlohmann::json::array({current_->public_jwk()});
  if (previous_ && previous_->kid() != current_->kid()) keys.push_back(previous_->public_jwk());
  jwks_ = nlohmann::json{{"keys", std::move(keys)}}.dump();
}

std::shared_ptr<const KeyRing> KeyRing::build(const config::JwtSettings& settings, const KeyRing* before) {
  std::shared_ptr<const SigningKey> key;
  if (settings.signing_key_file.empty()) {
    // A generated key lives as long as the process: reloads keep it.
    if (before && before->current_->generated()) return std::shared_ptr<const KeyRing>(new KeyRing(*before));
    key = SigningKey::generate();
  } else {
    try {
      key = SigningKey::load(settings.signing_key_file);
    } catch (const std::exception& e) {
      throw config::ConfigError(settings.signing_key_mark, std::string("jwt.signing_key_file: ") + e.what());
    }
    if (before && before->current_->kid() == key->kid())
      return std::shared_ptr<const KeyRing>(new KeyRing(*before));
  }
  return std::shared_ptr<const KeyRing>(new KeyRing(std::move(key), before ? before->current_ : nullptr));
}

}  // namespace certgate::jwt
