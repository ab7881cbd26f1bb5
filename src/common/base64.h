// Base64 (RFC 4648 section 4, padded) and base64url (section 5, unpadded, as JOSE uses it), on top of
// OpenSSL's codec.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace certgate {

std::string base64_encode(std::string_view bytes);
// Strict: standard alphabet, padding required, no whitespace; nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);

}  // namespace certgate
