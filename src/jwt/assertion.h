// X-Certgate-Jwt-Assertion: an ES256 JWT telling the upstream who the client is, bound to the client
// certificate with RFC 8705's confirmation claim (cnf.x5t#S256). docs/forwarding.md lists the claims.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "jwt/key_ring.h"

namespace certgate::jwt {

struct AssertionClaims {
  std::string_view issuer;
  std::string_view audience;
  std::string_view subject;
  std::string_view email;  // left out when empty
  std::span<const std::string> groups;
  std::string_view certificate_thumbprint;  // base64url SHA-256 of the certificate's DER
  std::chrono::seconds ttl{300};
};

struct Assertion {
  std::string token;
  std::chrono::system_clock::time_point expires;
};

// The claims as the JSON payload (iat/exp from `now`, a random jti), then signed.
std::string assertion_payload(const AssertionClaims& claims, std::chrono::system_clock::time_point now);
Assertion sign_assertion(const KeyRing& keys, const AssertionClaims& claims,
                         std::chrono::system_clock::time_point now);

// One connection's most recent assertion, reused for the same key ring and claims until it has less
// than a minute (or half its lifetime) left: a keep-alive connection does not pay one ECDSA signature
// per request. The jti therefore names a token, not a request.
class AssertionCache {
 public:
  const std::string& get(const KeyRing& keys, const AssertionClaims& claims,
                         std::chrono::system_clock::time_point now);

 private:
  bool matches(const KeyRing& keys, const AssertionClaims& claims) const;

  const KeyRing* keys_ = nullptr;
  std::string issuer_, audience_, subject_, email_, thumbprint_;
  std::vector<std::string> groups_;
  std::chrono::seconds ttl_{0};
  std::chrono::system_clock::time_point refresh_at_;
  std::string token_;
};

}  // namespace certgate::jwt
