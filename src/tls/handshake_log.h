// Why a handshake failed, in the error log. Refusals by the gateway (reject_connection, an SNI a TLS
// listener has no route for) are logged at info level with the client address, SNI, subject and reason;
// anything else (scanners, clients that gave up, protocol errors) at debug level.
#pragma once

#include <string_view>

#include "net/asio.h"
#include "tls/handshake_info.h"
#include "tls/tls_stream.h"

namespace certgate::tls {

void log_handshake_failure(std::string_view client, const HandshakeInfo& info, const TlsStream& stream,
                           const net::error_code& ec);

}  // namespace certgate::tls
