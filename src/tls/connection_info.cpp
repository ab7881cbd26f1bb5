#include "tls/connection_info.h"

#include "tls/handshake_info.h"
#include "tls/ticket_chain.h"

namespace certgate::tls {

std::string_view SslConnectionInfo::sni() const {
  return handshake_.sni;
}

std::string_view SslConnectionInfo::alpn() const {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &data, &len);
  return {reinterpret_cast<const char*>(data), len};
}

std::string_view SslConnectionInfo::version() const {
  return SSL_get_version(ssl_);
}

std::string_view SslConnectionInfo::cipher() const {
  const char* name = SSL_get_cipher_name(ssl_);
  return name ? name : "";
}

bool SslConnectionInfo::resumed() const {
  return SSL_session_reused(ssl_) == 1;
}

// A resumed session's ticket carries the client's intermediates in its application data (ticket_chain.h).
PeerChain SslConnectionInfo::peer_chain() const {
  PeerChain chain;
  X509* leaf = SSL_get0_peer_certificate(ssl_);
  if (!leaf) return chain;
  chain.leaf = pki::share(leaf);
  if (STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl_); sent && sk_X509_num(sent) > 0) {
    chain.intermediates.reset(X509_chain_up_ref(sent));
  } else if (resumed()) {
    void* data = nullptr;
    size_t len = 0;
    if (SSL_SESSION_get0_ticket_appdata(SSL_get_session(ssl_), &data, &len) == 1 && len > 0) {
      if (auto decoded = decode_ticket_chain(data, len)) chain.intermediates = std::move(*decoded);
    }
  }
  return chain;
}

X509* SslConnectionInfo::local_certificate() const {
  return SSL_get_certificate(ssl_);
}

std::unique_ptr<HandshakeVerification> SslConnectionInfo::take_handshake_verification() {
  if (!handshake_.verified) return nullptr;
  auto result = std::make_unique<HandshakeVerification>();
  result->trust = handshake_.profile->handshake_trust.get();
  result->max_verify_depth = handshake_.profile->max_verify_depth;
  result->outcome = std::move(*handshake_.verified);
  handshake_.verified.reset();
  return result;
}

}  // namespace certgate::tls
