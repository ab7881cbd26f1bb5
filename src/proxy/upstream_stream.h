// A connection to an upstream: plain TCP, or TLS once start_tls() has run on the connected socket. Each
// operation forwards to the one stream in use without a coroutine frame of its own, so a plain upstream
// costs what a PlainStream costs.
#pragma once

#include <optional>
#include <span>

#include "net/byte_stream.h"
#include "tls/tls_stream.h"

namespace certgate::proxy {

class UpstreamStream {
 public:
  explicit UpstreamStream(net::tcp::socket socket) : plain_(std::move(socket)) {}
  UpstreamStream(UpstreamStream&&) = default;
  UpstreamStream& operator=(UpstreamStream&&) = default;
  // A TLS connection ends with close_notify: OpenSSL marks a session that ended without one as not
  // resumable, and the next connection to the upstream would pay for a full handshake.
  ~UpstreamStream() {
    if (tls_) tls_->shutdown();
  }

  // Wraps the connected socket in TLS (the handshake is the caller's: tls()->handshake()).
  void start_tls(pki::SslPtr ssl) { tls_.emplace(std::move(plain_.socket()), std::move(ssl)); }
  tls::TlsStream* tls() { return tls_ ? &*tls_ : nullptr; }

  net::awaitable<std::size_t> read_some(net::asio::mutable_buffer buffer, net::error_code& ec) {
    return tls_ ? tls_->read_some(buffer, ec) : plain_.read_some(buffer, ec);
  }
  net::awaitable<void> write(std::span<const net::asio::const_buffer> buffers, net::error_code& ec) {
    return tls_ ? tls_->write(buffers, ec) : plain_.write(buffers, ec);
  }
  net::tcp::socket& socket() { return tls_ ? tls_->socket() : plain_.socket(); }
  // Ends the sending direction: close_notify for TLS, FIN for TCP.
  void shutdown_send() {
    if (tls_) {
      tls_->shutdown();
    } else {
      net::error_code ec;
      plain_.socket().shutdown(net::tcp::socket::shutdown_send, ec);
    }
  }

 private:
  net::PlainStream plain_;
  std::optional<tls::TlsStream> tls_;
};

}  // namespace certgate::proxy
