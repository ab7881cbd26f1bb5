// The TLS side of one listener: one SSL_CTX per server certificate (chosen by SNI), the per-host policy
// for client certificates (request one or not, verify it in the handshake or per request, CA names),
// ALPN, and session tickets that keep the client's chain and stay bound to the host and trust set.
// Built once per config generation and shared by all workers (SSL_CTX is thread-safe for SSL_new).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "pki/openssl_ptr.h"
#include "tls/handshake_info.h"
#include "tls/host_profile.h"
#include "tls/resumption_state.h"

namespace certgate::tls {

class ServerTls {
 public:
  // Throws config::ConfigError at the offending certificate's line.
  ServerTls(const config::Listener& listener, const config::TlsSettings& settings, HostProfiles profiles,
            ResumptionState& resumption);
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  // A server-side SSL for a new connection; the callbacks fill `info` during the handshake.
  pki::SslPtr new_connection(HandshakeInfo* info) const;

  // The server certificates with the chain sent along, in config order (expiry alerts, the admin API).
  struct ServedChain {
    X509* leaf = nullptr;
    STACK_OF(X509) * chain = nullptr;  // may be null: no intermediates
  };
  std::vector<ServedChain> served_chains() const;

 private:
  struct Certificate {
    pki::SslCtxPtr ctx;
    std::vector<std::string> names;
  };

  Certificate load_certificate(const config::CertificateKeyPair& pair);
  void configure(SSL_CTX* ctx);
  SSL_CTX* context_for(const std::string& sni) const;

  static int on_client_hello(SSL* ssl, int* alert, void* arg);

  const config::ListenerProtocol protocol_;
  const config::TlsSettings settings_;
  ResumptionState& resumption_;
  std::vector<Certificate> certificates_;
  std::unordered_map<std::string, SSL_CTX*> by_name_;  // exact names and "*.parent" wildcards
  HostProfiles profiles_;
  HostProfile unknown_host_;  // an SNI no route names
};

}  // namespace certgate::tls
