// Who may use the admin API: the bearer token (compared in constant time), a client certificate that
// verifies against the admin CA, or both when both are configured. Also builds the admin listener's
// TLS context (only with client_ca_file).
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "pki/openssl_ptr.h"

namespace certgate::admin {

class AdminAuth {
 public:
  // Throws config::ConfigError (the admin block's file:line) when the certificate, key or CA is bad.
  explicit AdminAuth(const config::AdminSettings& settings);

  bool uses_tls() const { return static_cast<bool>(ctx_); }
  SSL_CTX* tls_context() const { return ctx_.get(); }
  // `authorization`: the request's Authorization header; `ssl`: the connection (null on plain HTTP).
  bool allows(std::string_view authorization, const SSL* ssl) const;

 private:
  bool token_matches(std::string_view authorization) const;

  std::string token_;  // empty: no token configured
  pki::SslCtxPtr ctx_;
};

}  // namespace certgate::admin
