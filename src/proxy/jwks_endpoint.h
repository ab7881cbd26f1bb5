// The gateway's public JWT keys at /.well-known/certgate/jwks.json, answered on every host of every
// listener before routing and before any client-certificate check: public keys are public, and an
// upstream must be able to fetch them without a client certificate (docs/forwarding.md).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string_view>

#include "jwt/key_ring.h"

namespace certgate::proxy {

inline constexpr std::string_view kJwksPath = "/.well-known/certgate/jwks.json";

// The response for a request to `path` (normalized, without query), or nullopt when it is not the
// JWKS path or JWT signing is off. GET and HEAD get the document, other methods 405.
std::optional<boost::beast::http::response<boost::beast::http::string_body>> jwks_response(
    const jwt::KeyRing* keys, boost::beast::http::verb method, std::string_view path, bool keep_alive);

}  // namespace certgate::proxy
