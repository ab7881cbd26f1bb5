#include "pki/toolkit/pkcs12_export.h"

#include <stdexcept>

#include "pki/cert_info.h"
#include "pki/pem.h"

namespace certgate::pki::toolkit {
namespace {

struct Algorithms {
  int key_pbe;
  int cert_pbe;
  const EVP_MD* mac;
};

Algorithms algorithms_for(Pkcs12Format format) {
  if (format == Pkcs12Format::legacy) {
    return {NID_pbe_WithSHA1And3_Key_TripleDES_CBC, NID_pbe_WithSHA1And3_Key_TripleDES_CBC, EVP_sha1()};
  }
  // A cipher NID (rather than a PBE NID) makes OpenSSL use PBES2 with PBKDF2-HMAC-SHA256.
  return {NID_aes_256_cbc, NID_aes_256_cbc, EVP_sha256()};
}

X509StackPtr chain_stack(const std::vector<const X509*>& chain) {
  X509StackPtr stack(sk_X509_new_null());
  if (!stack) throw std::runtime_error("out of memory");
  for (const X509* cert : chain) {
    X509Ptr copy = share(const_cast<X509*>(cert));
    if (!sk_X509_push(stack.get(), copy.get())) throw std::runtime_error("out of memory");
    copy.release();
  }
  return stack;
}

std::string to_der(PKCS12* p12) {
  const int len = i2d_PKCS12(p12, nullptr);
  if (len <= 0) throw std::runtime_error("cannot encode the PKCS#12 file (" + take_openssl_errors() + ")");
  std::string out(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d_PKCS12(p12, &p);
  return out;
}

// The chain without the leaf and without repeats: a "-chain.pem" file starts with the leaf itself.
std::vector<const X509*> unique_chain(const std::vector<X509Ptr>& certs) {
  std::vector<const X509*> chain;
  for (std::size_t i = 1; i < certs.size(); ++i) {
    bool seen = false;
    for (std::size_t j = 0; j < i && !seen; ++j)
      seen = X509_cmp(certs[i].get(), certs[j].get()) == 0;
    if (!seen) chain.push_back(certs[i].get());
  }
  return chain;
}

}  // namespace

Report export_pkcs12_file(const Pkcs12FileOptions& options) {
  check_can_write({options.out}, options.force);
  auto certs = load_certificates(options.cert_file);
  for (const auto& file : options.chain_files) {
    for (auto& cert : load_certificates(file))
      certs.push_back(std::move(cert));
  }
  const auto key = load_private_key(options.key_file);
  Pkcs12Request request;
  request.cert = certs.front().get();
  request.key = key.get();
  request.chain = unique_chain(certs);
  request.password = options.password;
  request.friendly_name = options.friendly_name;
  if (request.friendly_name.empty()) {
    const auto names = subject_attribute(request.cert, NID_commonName);
    if (!names.empty()) request.friendly_name = names.front();
  }
  request.format = options.format;
  write_file_atomic(options.out, build_pkcs12(request), FileMode::secret);
  const bool legacy = options.format == Pkcs12Format::legacy;
  return {wrote(options.out, std::string(legacy ? "legacy PKCS#12: PBE-SHA1-3DES, SHA-1 MAC"
                                                : "PKCS#12: PBES2 AES-256-CBC, SHA-256 MAC") +
                                 ", " + subject_dn(request.cert) + " + " +
                                 std::to_string(request.chain.size()) + " chain certificate(s), mode 0600")};
}

std::string build_pkcs12(const Pkcs12Request& request) {
  ERR_clear_error();
  auto* cert = const_cast<X509*>(request.cert);
  auto* key = const_cast<EVP_PKEY*>(request.key);
  if (X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    throw std::runtime_error("the private key does not belong to the certificate");
  }
  const auto algorithms = algorithms_for(request.format);
  const auto chain = chain_stack(request.chain);
  const char* name = request.friendly_name.empty() ? nullptr : request.friendly_name.c_str();
  // mac_iter -1 leaves the MAC out here so PKCS12_set_mac can add it with an explicit digest.
  Pkcs12Ptr p12(PKCS12_create_ex(request.password.c_str(), name, key, cert, chain.get(), algorithms.key_pbe,
                                 algorithms.cert_pbe, PKCS12_DEFAULT_ITER, -1, 0, nullptr, nullptr));
  if (!p12) throw std::runtime_error("cannot build the PKCS#12 file (" + take_openssl_errors() + ")");
  if (PKCS12_set_mac(p12.get(), request.password.c_str(), -1, nullptr, 0, PKCS12_DEFAULT_ITER,
                     algorithms.mac) != 1) {
    throw std::runtime_error("cannot add the PKCS#12 MAC (" + take_openssl_errors() + ")");
  }
  return to_der(p12.get());
}

}  // namespace certgate::pki::toolkit
