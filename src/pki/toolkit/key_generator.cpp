#include "pki/toolkit/key_generator.h"

#include <openssl/pem.h>

#include <array>
#include <stdexcept>
#include <utility>

namespace certgate::pki::toolkit {
namespace {

constexpr std::array<std::pair<KeyType, const char*>, 6> kNames = {{
    {KeyType::ec_p256, "ec-p256"},
    {KeyType::ec_p384, "ec-p384"},
    {KeyType::rsa_2048, "rsa-2048"},
    {KeyType::rsa_3072, "rsa-3072"},
    {KeyType::rsa_4096, "rsa-4096"},
    {KeyType::ed25519, "ed25519"},
}};

EVP_PKEY* generate_raw(KeyType type) {
  // EVP_PKEY_Q_keygen is variadic: the RSA size must be passed as size_t exactly.
  switch (type) {
    case KeyType::ec_p256:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    case KeyType::ec_p384:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    case KeyType::rsa_2048:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
    case KeyType::rsa_3072:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(3072));
    case KeyType::rsa_4096:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(4096));
    case KeyType::ed25519:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  return nullptr;
}

}  // namespace

std::optional<KeyType> parse_key_type(const std::string& name) {
  for (const auto& [type, text] : kNames) {
    if (name == text) return type;
  }
  return std::nullopt;
}

std::string key_type_name(KeyType type) {
  for (const auto& [candidate, text] : kNames) {
    if (candidate == type) return text;
  }
  return "unknown";
}

std::vector<std::string> key_type_names() {
  std::vector<std::string> out;
  for (const auto& entry : kNames)
    out.emplace_back(entry.second);
  return out;
}

EvpPkeyPtr generate_key(KeyType type) {
  ERR_clear_error();
  EvpPkeyPtr key(generate_raw(type));
  if (!key) {
    throw std::runtime_error("cannot generate a " + key_type_name(type) + " key (" + take_openssl_errors() +
                             ")");
  }
  return key;
}

std::string private_key_pem(const EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), const_cast<EVP_PKEY*>(key), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    throw std::runtime_error("cannot encode a private key (" + take_openssl_errors() + ")");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace certgate::pki::toolkit
