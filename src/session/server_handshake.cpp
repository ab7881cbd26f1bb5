#include "session/server_handshake.h"

#include <openssl/ssl.h>

#include "tls/handshake_log.h"

namespace certgate::session {

net::awaitable<bool> server_handshake(tls::TlsStream& tls, runtime::Watched& owner,
                                      const tls::HandshakeInfo& info, std::string_view client_address,
                                      std::chrono::milliseconds timeout,
                                      runtime::HandshakeCounters& counters) {
  net::error_code ec;
  owner.arm(timeout);
  co_await tls.handshake(ec);
  owner.disarm();
  if (!ec) {
    counters.count(runtime::HandshakeResult::ok, SSL_get_version(tls.ssl()),
                   SSL_session_reused(tls.ssl()) == 1);
    co_return true;
  }
  counters.count(runtime::HandshakeResult::failed, {}, false);
  tls::log_handshake_failure(client_address, info, tls, ec);
  if (tls::TlsStream::sent_alert(ec)) {
    counters.alerts_sent.add();
    owner.arm(tls::kLingerAfterAlert);
    co_await tls.linger_after_failure();
    owner.disarm();
  }
  co_return false;
}

}  // namespace certgate::session
