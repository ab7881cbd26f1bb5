// TLS towards an https:// upstream: one client SSL_CTX per route, built when the config generation is
// compiled. The upstream's certificate is verified against the system trust store (Debian's
// ca-certificates) or the route's tls_custom_ca_file, for the name tls_upstream_server_name or the
// upstream's host (also sent as SNI); tls_skip_verify turns verification off. With tls_client_cert_file
// the gateway presents its own certificate (upstream mTLS). Sessions are resumed: the last session the
// upstream gave is offered on the next connection, so pooled connections that were closed cost an
// abbreviated handshake only.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "config/config.h"
#include "pki/openssl_ptr.h"

namespace certgate::tls {

class UpstreamTls {
 public:
  // Throws config::ConfigError (at the route's line) for an unreadable CA file, a CA file without a CA,
  // an unreadable client certificate or key, or a key that does not match the certificate.
  static std::shared_ptr<UpstreamTls> build(const config::UpstreamTls& settings,
                                            const std::string& upstream_host);
  ~UpstreamTls();

  // A client SSL object for one new connection (SNI, host name check and the last session set).
  pki::SslPtr new_connection() const;
  const std::string& server_name() const { return server_name_; }
  bool verifies() const { return !skip_verify_; }

 private:
  UpstreamTls() = default;
  static int on_new_session(SSL* ssl, SSL_SESSION* session);
  void remember(SSL_SESSION* session);

  pki::SslCtxPtr ctx_;
  std::string server_name_;
  bool skip_verify_ = false;
  bool is_ip_ = false;  // the name to check is an IP address
  // Shared by the workers: the last session the upstream issued, offered to the next connection.
  mutable std::mutex mutex_;
  SSL_SESSION* last_session_ = nullptr;
};

}  // namespace certgate::tls
