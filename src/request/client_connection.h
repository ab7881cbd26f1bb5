// What a client connection carries from one request to the next, whatever its HTTP version: who the
// client is, its TLS session's facts, and the caches that make a keep-alive request cheap (the
// certificate verified once per trust bundle, the trusted-header certificates, the JWT assertion).
// Owned by the connection; every request handled on it reads and updates it (on the connection's thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/peer_certificate.h"
#include "auth/verified_chain_cache.h"
#include "net/asio.h"
#include "proxy/forwarding_context.h"
#include "proxy/trusted_header.h"
#include "tls/connection_info.h"

namespace certgate::request {

class ClientConnection {
 public:
  explicit ClientConnection(const net::tcp::endpoint& remote);

  // "ip:port" or "[ip6]:port", for the logs.
  std::string_view address() const { return address_; }
  std::string_view ip() const { return std::string_view(address_).substr(ip_begin_, ip_length_); }

  // Set once the handshake is done: the TLS facts and the certificate the client presented, whose
  // verifications and facts are shared through the worker's `chains` (which outlives the connection).
  void established(tls::ConnectionInfo& tls, auth::VerifiedChainCache& chains);
  tls::ConnectionInfo* tls() const { return tls_; }
  std::string_view sni() const { return tls_ ? tls_->sni() : std::string_view(); }

  auth::PeerCertificate peer;  // the handshake's certificate (possibly none)
  proxy::TrustedHeaderInput trusted_input;
  proxy::ForwardingContext forwarding;

 private:
  std::string address_;
  tls::ConnectionInfo* tls_ = nullptr;
  // The address within address_ (46 characters at most): small fields, 10,000 idle connections carry them.
  uint8_t ip_begin_ = 0;
  uint8_t ip_length_ = 0;
};

}  // namespace certgate::request
