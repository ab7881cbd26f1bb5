// Trusted-header input for one connection (docs/forwarding.md). When the connection comes from an
// address in `trusted_proxies` and `client_certificate_header` is configured, the proxy speaks for its
// clients: the header is the client certificate of each request, and no header means no certificate
// (the proxy's own TLS certificate, if any, is never taken for its client's). From any other address
// the header is only removed (http/header_rules) and never read.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "auth/peer_certificate.h"
#include "config/config.h"
#include "http/header_rules.h"
#include "net/asio.h"

namespace certgate::proxy {

bool is_trusted_proxy(const config::Config& cfg, const net::asio::ip::address& address);

class TrustedHeaderInput {
 public:
  TrustedHeaderInput() = default;
  TrustedHeaderInput(const config::Config& cfg, const net::asio::ip::address& peer_address);

  bool from_trusted_proxy() const { return trusted_; }
  // Whether requests on this connection take their certificate from the header.
  bool active() const { return header_ != nullptr; }

  // The certificate of this request: from the header when active(), else `tls_peer`. A keep-alive
  // connection from a load balancer carries many clients: the last few certificates (and so their
  // verification results) are kept, keyed by the header's exact value.
  auth::PeerCertificate& certificate(const http::Fields& request, auth::PeerCertificate& tls_peer);

 private:
  struct Entry {
    std::string value;
    std::size_t copies = 0;  // 0: unused
    auth::PeerCertificate certificate;
  };
  // Only connections from trusted proxies pay for it.
  struct Recent {
    std::array<Entry, 4> entries;
    std::size_t next = 0;  // the entry replaced next (round robin)
    auth::PeerCertificate none;
    std::string value;  // this request's header, reused
  };

  bool trusted_ = false;
  const config::ClientCertificateHeader* header_ = nullptr;
  std::unique_ptr<Recent> recent_;
};

}  // namespace certgate::proxy
