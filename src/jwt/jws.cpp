#include "jwt/jws.h"

#include <openssl/ecdsa.h>

#include <stdexcept>

#include "common/base64.h"

namespace certgate::jwt {

std::optional<std::string> ecdsa_der_to_jose(std::string_view der, std::size_t coordinate_bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, pki::OpenSslDeleter<ECDSA_SIG_free>> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * coordinate_bytes, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  const int n = static_cast<int>(coordinate_bytes);
  if (BN_bn2binpad(r, data, n) != n || BN_bn2binpad(s, data + coordinate_bytes, n) != n) return std::nullopt;
  return out;
}

std::string sign_es256(EVP_PKEY* key, std::string_view encoded_header, std::string_view payload) {
  std::string token;
  token.reserve(encoded_header.size() + payload.size() * 4 / 3 + 100);
  token.append(encoded_header);
  token.push_back('.');
  token.append(base64url_encode(payload));
  pki::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char der[80];  // an ECDSA P-256 signature in DER is at most 72 bytes
  std::size_t der_len = sizeof(der);
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), der, &der_len, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size()) != 1) {
    throw std::runtime_error("ES256 signing failed: " + pki::take_openssl_errors());
  }
  const auto raw = ecdsa_der_to_jose(std::string_view(reinterpret_cast<char*>(der), der_len), 32);
  if (!raw) throw std::runtime_error("ES256 signing produced an unexpected signature");
  token.push_back('.');
  token.append(base64url_encode(*raw));
  return token;
}

}  // namespace certgate::jwt
