// Certificate serial numbers: random, positive, at most 128 bits (RFC 5280 allows 20 octets; CA/Browser
// Forum rules ask for at least 64 random bits so serials cannot be predicted).
#pragma once

#include <optional>
#include <string>

#include "pki/openssl_ptr.h"

namespace certgate::pki::toolkit {

inline constexpr int kSerialBits = 128;

// 128 random bits from RAND_bytes with the top bit cleared, so the DER INTEGER is positive and fits in
// 16 octets. Never zero.
Asn1IntegerPtr random_serial();

// The uppercase hex form `openssl x509 -serial` and cert_info's serial_hex print.
std::string serial_to_hex(const ASN1_INTEGER* serial);

// Accepts what users paste: "0A1B", "0a:1b", "0x0A1B". Returns the canonical form of serial_to_hex, or
// nullopt when the text is not a positive hex number.
std::optional<std::string> normalize_serial_hex(const std::string& text);

// The ASN1_INTEGER for a canonical hex serial (as stored in the CA index).
Asn1IntegerPtr serial_from_hex(const std::string& hex);

}  // namespace certgate::pki::toolkit
