#include "jwt/signing_key.h"

#include <openssl/core_names.h>

#include <stdexcept>

#include "common/base64.h"
#include "pki/pem.h"

namespace certgate::jwt {
namespace {

bool is_p256(EVP_PKEY* key) {
  if (!EVP_PKEY_is_a(key, "EC")) return false;
  char group[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) != 1)
    return false;
  const std::string_view name(group, len);
  return name == "prime256v1" || name == "P-256" || name == "secp256r1";
}

std::string coordinate(EVP_PKEY* key, const char* param) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1)
    throw std::runtime_error("cannot read the EC public key: " + pki::take_openssl_errors());
  pki::BignumPtr bn(raw);
  std::string out(32, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), 32) != 32)
    throw std::runtime_error("EC coordinate does not fit P-256");
  return base64url_encode(out);
}

std::string sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), len);
}

}  // namespace

SigningKey::SigningKey(pki::EvpPkeyPtr key, bool generated) : key_(std::move(key)), generated_(generated) {
  const auto x = coordinate(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X);
  const auto y = coordinate(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" + x + R"(","y":")" + y + R"("})";
  kid_ = base64url_encode(sha256(canonical));
  jwk_ = {{"kty", "EC"}, {"crv", "P-256"}, {"x", x},        {"y", y},
          {"kid", kid_}, {"use", "sig"},   {"alg", "ES256"}};
  const nlohmann::json header = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kid_}};
  header_ = base64url_encode(header.dump());
}

std::shared_ptr<const SigningKey> SigningKey::from_pem(const std::string& pem, const std::string& what) {
  auto key = pki::parse_private_key(pem, what);
  if (!is_p256(key.get()))
    throw std::runtime_error(what + " is not an EC P-256 private key (ES256 needs one)");
  return std::shared_ptr<const SigningKey>(new SigningKey(std::move(key), false));
}

std::shared_ptr<const SigningKey> SigningKey::load(const std::string& path) {
  return from_pem(pki::read_file(path), path);
}

std::shared_ptr<const SigningKey> SigningKey::generate() {
  pki::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) throw std::runtime_error("cannot generate an EC P-256 key: " + pki::take_openssl_errors());
  return std::shared_ptr<const SigningKey>(new SigningKey(std::move(key), true));
}

}  // namespace certgate::jwt
