#include "pki/trust_bundle.h"

#include "config/config_error.h"
#include "pki/cert_info.h"
#include "pki/pem.h"

namespace certgate::pki {

std::shared_ptr<const TrustBundle> TrustBundle::load(const config::CaSource& source) {
  std::shared_ptr<TrustBundle> bundle(new TrustBundle());
  bundle->description_ = source.file.empty() ? "inline CA bundle" : source.file;
  try {
    const std::string pem = source.file.empty() ? source.inline_pem : read_file(source.file);
    bundle->certs_ = parse_certificates(pem, bundle->description_);
  } catch (const std::exception& e) {
    throw config::ConfigError(source.mark, e.what());
  }
  bundle->store_.reset(X509_STORE_new());
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  for (const auto& cert : bundle->certs_) {
    // A CA without CA:TRUE must never anchor trust (Cloudflare and ngrok refuse it as well).
    if (!is_ca(cert.get())) {
      throw config::ConfigError(source.mark,
                                "trust bundle " + bundle->description_ + " holds '" + subject_dn(cert.get()) +
                                    "', which lacks basicConstraints CA:TRUE; refusing it as a CA");
    }
    if (X509_STORE_add_cert(bundle->store_.get(), cert.get()) != 1) {
      throw config::ConfigError(source.mark, "cannot add '" + subject_dn(cert.get()) +
                                                 "' to the trust store: " + take_openssl_errors());
    }
    const auto der = to_der(cert.get());
    EVP_DigestUpdate(md.get(), der.data(), der.size());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(md.get(), digest, &len);
  bundle->digest_.assign(reinterpret_cast<char*>(digest), len);
  return bundle;
}

}  // namespace certgate::pki
