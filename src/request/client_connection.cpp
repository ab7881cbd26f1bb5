#include "request/client_connection.h"

#include "net/endpoint_text.h"

namespace certgate::request {

ClientConnection::ClientConnection(const net::tcp::endpoint& remote) : address_(net::endpoint_text(remote)) {
  const bool v6 = remote.address().is_v6();
  ip_begin_ = v6 ? 1 : 0;  // "[ip]:port" or "ip:port"
  ip_length_ = static_cast<uint8_t>(address_.rfind(':') - (v6 ? 2 : 0));
}

void ClientConnection::established(tls::ConnectionInfo& tls, auth::VerifiedChainCache& chains) {
  tls_ = &tls;
  peer = auth::PeerCertificate::from_connection(tls);
  peer.use_cache(chains);
  forwarding.set_local_certificate(tls.local_certificate());
}

}  // namespace certgate::request
