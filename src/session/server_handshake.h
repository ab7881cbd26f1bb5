// The server side of a client's TLS handshake, the same for every connection type: bounded by
// timeouts.handshake through the connection's deadline; a failure is logged, and after an alert the
// connection lingers (kLingerAfterAlert) so that the alert reaches a client that is still writing.
#pragma once

#include <chrono>
#include <string_view>

#include "net/asio.h"
#include "runtime/connection_registry.h"
#include "runtime/worker_metrics.h"
#include "tls/handshake_info.h"
#include "tls/tls_stream.h"

namespace certgate::session {

// True when the handshake succeeded. Its outcome (and an alert sent) is counted in `counters`.
net::awaitable<bool> server_handshake(tls::TlsStream& tls, runtime::Watched& owner,
                                      const tls::HandshakeInfo& info, std::string_view client_address,
                                      std::chrono::milliseconds timeout,
                                      runtime::HandshakeCounters& counters);

}  // namespace certgate::session
