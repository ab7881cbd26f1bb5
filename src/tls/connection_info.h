// What the layers above TLS may know about a client connection's TLS session, behind an interface (like
// Envoy's Ssl::ConnectionInfo): the request pipeline and authorization never call OpenSSL's SSL_*
// functions or know how certgate stores a client chain in a session ticket, and tests can fake it.
#pragma once

#include <memory>
#include <string_view>

#include "pki/chain_verifier.h"
#include "pki/openssl_ptr.h"
#include "pki/trust_bundle.h"

namespace certgate::tls {

struct HandshakeInfo;

// The certificates the client presented (on a resumed session: the leaf from the session and the
// intermediates from the ticket). `leaf` is null when the client sent none.
struct PeerChain {
  pki::X509Ptr leaf;
  pki::X509StackPtr intermediates;
};

// reject_connection verified the chain in the handshake; requests adopt that result instead of repeating it.
struct HandshakeVerification {
  const pki::TrustBundle* trust = nullptr;
  int max_verify_depth = 1;
  pki::VerifyOutcome outcome;
};

class ConnectionInfo {
 public:
  virtual ~ConnectionInfo() = default;

  // The SNI, lowercased; empty when the client sent none.
  virtual std::string_view sni() const = 0;
  // The protocol ALPN selected ("h2", "http/1.1"); empty when none was negotiated.
  virtual std::string_view alpn() const = 0;
  virtual std::string_view version() const = 0;  // "TLSv1.3"
  virtual std::string_view cipher() const = 0;
  virtual bool resumed() const = 0;
  virtual PeerChain peer_chain() const = 0;
  // The server certificate this connection's handshake used (owned by the SSL_CTX), e.g. for XFCC By=.
  virtual X509* local_certificate() const = 0;
  // The handshake's verification (reject_connection), once; null when the handshake verified nothing.
  virtual std::unique_ptr<HandshakeVerification> take_handshake_verification() = 0;
};

// The OpenSSL implementation over one SSL object and what the handshake callbacks recorded for it.
class SslConnectionInfo final : public ConnectionInfo {
 public:
  SslConnectionInfo(SSL* ssl, HandshakeInfo& handshake) : ssl_(ssl), handshake_(handshake) {}

  std::string_view sni() const override;
  std::string_view alpn() const override;
  std::string_view version() const override;
  std::string_view cipher() const override;
  bool resumed() const override;
  PeerChain peer_chain() const override;
  X509* local_certificate() const override;
  std::unique_ptr<HandshakeVerification> take_handshake_verification() override;

 private:
  SSL* ssl_;
  HandshakeInfo& handshake_;
};

}  // namespace certgate::tls
