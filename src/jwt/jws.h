// Compact JWS signatures with ES256 (RFC 7515, RFC 7518 section 3.4).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pki/openssl_ptr.h"

namespace certgate::jwt {

// OpenSSL's DER ECDSA-Sig-Value to JWS's fixed-size R || S (each `coordinate_bytes` long, big endian);
// nullopt when the DER is malformed or a value does not fit.
std::optional<std::string> ecdsa_der_to_jose(std::string_view der, std::size_t coordinate_bytes);

// "<encoded header>.<base64url payload>.<base64url signature>" signed with an EC P-256 key.
// Throws std::runtime_error when OpenSSL fails (it does not for a valid key).
std::string sign_es256(EVP_PKEY* key, std::string_view encoded_header, std::string_view payload);

}  // namespace certgate::jwt
