#include "jwt/assertion.h"

#include <openssl/rand.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "jwt/jws.h"

namespace certgate::jwt {
namespace {

std::string random_jti() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) throw std::runtime_error("RAND_bytes failed");
  return base64url_encode(std::string_view(reinterpret_cast<char*>(bytes), sizeof(bytes)));
}

}  // namespace

std::string assertion_payload(const AssertionClaims& claims, std::chrono::system_clock::time_point now) {
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::ordered_json payload = {
      {"iss", claims.issuer},
      {"aud", claims.audience},
      {"sub", claims.subject},
  };
  if (!claims.email.empty()) payload["email"] = claims.email;
  payload["groups"] = nlohmann::json::array();
  for (const auto& g : claims.groups)
    payload["groups"].push_back(g);
  payload["iat"] = iat;
  payload["exp"] = iat + claims.ttl.count();
  payload["jti"] = random_jti();
  payload["cnf"] = {{"x5t#S256", claims.certificate_thumbprint}};
  // Certificate text is not always UTF-8: replace what is not, rather than fail the request.
  return payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Assertion sign_assertion(const KeyRing& keys, const AssertionClaims& claims,
                         std::chrono::system_clock::time_point now) {
  const auto& key = keys.signing_key();
  Assertion a;
  a.token = sign_es256(key.key(), key.encoded_header(), assertion_payload(claims, now));
  a.expires = std::chrono::time_point_cast<std::chrono::seconds>(now) + claims.ttl;
  return a;
}

bool AssertionCache::matches(const KeyRing& keys, const AssertionClaims& claims) const {
  return keys_ == &keys && ttl_ == claims.ttl && issuer_ == claims.issuer && audience_ == claims.audience &&
         subject_ == claims.subject && email_ == claims.email &&
         thumbprint_ == claims.certificate_thumbprint &&
         std::equal(groups_.begin(), groups_.end(), claims.groups.begin(), claims.groups.end());
}

const std::string& AssertionCache::get(const KeyRing& keys, const AssertionClaims& claims,
                                       std::chrono::system_clock::time_point now) {
  if (!token_.empty() && now < refresh_at_ && matches(keys, claims)) return token_;
  auto a = sign_assertion(keys, claims, now);
  keys_ = &keys;
  issuer_ = claims.issuer;
  audience_ = claims.audience;
  subject_ = claims.subject;
  email_ = claims.email;
  thumbprint_ = claims.certificate_thumbprint;
  groups_.assign(claims.groups.begin(), claims.groups.end());
  ttl_ = claims.ttl;
  const auto margin = std::min<std::chrono::system_clock::duration>(std::chrono::seconds(60), claims.ttl / 2);
  refresh_at_ = a.expires - margin;
  token_ = std::move(a.token);
  return token_;
}

}  // namespace certgate::jwt
