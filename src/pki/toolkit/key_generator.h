// Key pairs for CAs and leaf certificates: the supported key types, their command-line names, and
// generation through OpenSSL's EVP API.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pki/openssl_ptr.h"

namespace certgate::pki::toolkit {

enum class KeyType { ec_p256, ec_p384, rsa_2048, rsa_3072, rsa_4096, ed25519 };

inline constexpr KeyType kDefaultKeyType = KeyType::ec_p256;

std::optional<KeyType> parse_key_type(const std::string& name);  // "ec-p256" ... "ed25519"
std::string key_type_name(KeyType type);                         // the inverse of parse_key_type
std::vector<std::string> key_type_names();                       // every accepted name, for --help

EvpPkeyPtr generate_key(KeyType type);  // throws std::runtime_error on failure

// Unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form every TLS stack and `openssl` reads.
std::string private_key_pem(const EVP_PKEY* key);

}  // namespace certgate::pki::toolkit
