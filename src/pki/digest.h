// SHA-256 fetched once. OpenSSL 3.0 looks an algorithm up in its provider store (with locks) every time
// EVP_sha256() is used; per-connection code uses this pre-fetched one instead.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstddef>

namespace certgate::pki {

const EVP_MD* sha256();

using Sha256 = std::array<unsigned char, 32>;
Sha256 sha256_of(const void* data, std::size_t size);

}  // namespace certgate::pki
