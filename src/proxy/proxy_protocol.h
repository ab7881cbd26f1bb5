// PROXY protocol version 2 (haproxy's doc/proxy-protocol.txt): the binary header certgate sends to a
// tcp:// upstream before the client's bytes, carrying the client's address and, in PP2_TYPE_SSL, what the
// TLS layer knows about the client (TLS version, cipher, certificate presence, verify result, CN).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "net/asio.h"

namespace certgate::proxy {

struct ProxyHeaderV2 {
  net::tcp::endpoint source;               // the client
  net::tcp::endpoint destination;          // the gateway address the client connected to
  std::string_view authority;              // the SNI; "" sends no PP2_TYPE_AUTHORITY
  bool certificate_on_connection = false;  // PP2_CLIENT_CERT_CONN: sent in this connection's handshake
  bool certificate_in_session = false;     // PP2_CLIENT_CERT_SESS: sent at least once in the TLS session
  uint32_t verify = 1;                     // 0 only when a certificate was presented and verified
  std::string_view tls_version;            // the SSL sub-TLV "version", e.g. "TLSv1.3"
  std::string_view cipher;                 // the SSL sub-TLV "cipher"; "" omits it
  std::string_view common_name;            // the SSL sub-TLV "CN"; "" omits it
};

// The PROXY v2 header (command PROXY, TCP over IPv4 or IPv6) with PP2_TYPE_AUTHORITY and PP2_TYPE_SSL.
std::string encode_proxy_v2(const ProxyHeaderV2& header);

}  // namespace certgate::proxy
