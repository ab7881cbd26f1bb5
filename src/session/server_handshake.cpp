#include "session/server_handshake.h"

#include "tls/handshake_log.h"

namespace certgate::session {

net::awaitable<bool> server_handshake(tls::TlsStream& tls, runtime::Watched& owner,
                                      const tls::HandshakeInfo& info, std::string_view client_address,
                                      std::chrono::milliseconds timeout) {
  net::error_code ec;
  owner.arm(timeout);
  co_await tls.handshake(ec);
  owner.disarm();
  if (!ec) co_return true;
  tls::log_handshake_failure(client_address, info, tls, ec);
  if (tls::TlsStream::sent_alert(ec)) {
    owner.arm(tls::kLingerAfterAlert);
    co_await tls.linger_after_failure();
    owner.disarm();
  }
  co_return false;
}

}  // namespace certgate::session
