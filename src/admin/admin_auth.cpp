#include "admin/admin_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <cctype>

#include "config/config_error.h"

namespace certgate::admin {
namespace {

using Digest = std::array<unsigned char, 32>;

// Comparing digests makes the comparison's time independent of the token's length and content.
Digest sha256(std::string_view text) {
  Digest d{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), d.data(), &size, EVP_sha256(), nullptr);
  return d;
}

pki::SslCtxPtr build_context(const config::AdminSettings& s) {
  pki::SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) throw config::ConfigError(s.mark, "admin: cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), s.cert_file.c_str()) != 1)
    throw config::ConfigError(s.mark, "admin.cert_file " + s.cert_file + ": not a PEM certificate chain");
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), s.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    throw config::ConfigError(s.mark, "admin.key_file " + s.key_file + ": not a PEM private key");
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    throw config::ConfigError(s.mark, "admin.key_file does not match admin.cert_file");
  if (SSL_CTX_load_verify_locations(ctx.get(), s.client_ca_file.c_str(), nullptr) != 1)
    throw config::ConfigError(s.mark, "admin.client_ca_file " + s.client_ca_file + ": no PEM certificate");
  // A missing or untrusted certificate is answered with 401 (not a failed handshake), like a missing
  // token: the handshake asks for one but lets the request decide.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
  return ctx;
}

}  // namespace

AdminAuth::AdminAuth(const config::AdminSettings& settings) : token_(settings.token) {
  if (!settings.client_ca_file.empty()) ctx_ = build_context(settings);
}

bool AdminAuth::token_matches(std::string_view authorization) const {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i])))
      return false;
  }
  const auto expected = sha256(token_);
  const auto given = sha256(authorization.substr(kScheme.size()));
  return CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

bool AdminAuth::allows(std::string_view authorization, const SSL* ssl) const {
  if (!token_.empty() && !token_matches(authorization)) return false;
  if (ctx_) {
    // The verify callback accepted anything so that the answer is a 401; the verdict is kept.
    if (!ssl || !SSL_get0_peer_certificate(ssl)) return false;
    if (SSL_get_verify_result(ssl) != X509_V_OK) return false;
  }
  return true;
}

}  // namespace certgate::admin
