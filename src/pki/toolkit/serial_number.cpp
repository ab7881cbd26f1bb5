#include "pki/toolkit/serial_number.h"

#include <openssl/rand.h>

#include <array>
#include <cctype>
#include <stdexcept>

namespace certgate::pki::toolkit {
namespace {

std::string bignum_hex(const BIGNUM* bn) {
  char* hex = BN_bn2hex(bn);
  if (!hex) throw std::runtime_error("out of memory");
  std::string out(hex);
  OPENSSL_free(hex);
  // Whole bytes, as `openssl x509 -serial` prints them.
  if (out.size() % 2 == 1) out.insert(out.begin(), '0');
  return out;
}

}  // namespace

Asn1IntegerPtr random_serial() {
  std::array<unsigned char, kSerialBits / 8> bytes{};
  BignumPtr bn;
  do {
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      throw std::runtime_error("the random number generator failed (" + take_openssl_errors() + ")");
    }
    bytes[0] &= 0x7f;  // positive: DER INTEGERs are two's complement
    bn.reset(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    if (!bn) throw std::runtime_error("out of memory");
  } while (BN_is_zero(bn.get()));  // RFC 5280: serials are positive, zero is not
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) throw std::runtime_error("out of memory");
  return serial;
}

std::string serial_to_hex(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) throw std::runtime_error("invalid serial number");
  return bignum_hex(bn.get());
}

std::optional<std::string> normalize_serial_hex(const std::string& text) {
  std::string digits;
  std::size_t start = 0;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) start = 2;
  for (std::size_t i = start; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == ':') continue;
    if (!std::isxdigit(c)) return std::nullopt;
    digits += static_cast<char>(c);
  }
  // RFC 5280 caps serials at 20 octets; anything longer cannot be one of ours.
  if (digits.empty() || digits.size() > 40) return std::nullopt;
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, digits.c_str()) == 0) return std::nullopt;
  BignumPtr bn(raw);
  if (BN_is_zero(bn.get())) return std::nullopt;
  return bignum_hex(bn.get());
}

Asn1IntegerPtr serial_from_hex(const std::string& hex) {
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0) throw std::runtime_error("invalid serial number " + hex);
  BignumPtr bn(raw);
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) throw std::runtime_error("out of memory");
  return serial;
}

}  // namespace certgate::pki::toolkit
