#include "pki/digest.h"

namespace certgate::pki {

const EVP_MD* sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // kept for the process's life
  return md;
}

Sha256 sha256_of(const void* data, std::size_t size) {
  Sha256 out{};
  unsigned int len = 0;
  EVP_Digest(data, size, out.data(), &len, sha256(), nullptr);
  return out;
}

}  // namespace certgate::pki
