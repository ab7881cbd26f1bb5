// Bytes both ways between a TLS client and a plain upstream, until both directions have ended, an
// error, or the idle timeout: a tls:// listener's TCP relay, and a WebSocket connection after its 101.
// Either side may half-close (the other direction keeps flowing). The owner's deadline enforces the idle
// timeout: it calls expire().
#pragma once

#include <chrono>
#include <span>

#include "proxy/upstream_stream.h"
#include "runtime/connection_registry.h"
#include "tls/tls_stream.h"

namespace certgate::session {

class ByteRelay {
 public:
  ByteRelay(tls::TlsStream& client, proxy::UpstreamStream& upstream, runtime::Watched& owner,
            std::chrono::milliseconds idle_timeout)
      : client_(client), upstream_(upstream), owner_(owner), idle_timeout_(idle_timeout) {}

  // `client_early` / `upstream_early`: bytes each side sent that were read before the relay started
  // (they are delivered first).
  net::awaitable<void> run(std::span<const char> client_early = {},
                           std::span<const char> upstream_early = {});
  // The idle timeout passed: both directions end now.
  void expire() {
    timed_out_ = true;
    abort();
  }
  // Ends both directions at once (an error, a timeout, a drain): pending operations fail, later ones too.
  void abort();
  bool timed_out() const { return timed_out_; }

 private:
  template <class In, class Out, class PassEnd>
  net::awaitable<void> pump(In& in, Out& out, std::span<const char> early, PassEnd pass_end);
  net::awaitable<void> client_to_upstream(std::span<const char> early);
  net::awaitable<void> upstream_to_client(std::span<const char> early);
  void touch() { owner_.arm(idle_timeout_); }

  tls::TlsStream& client_;
  proxy::UpstreamStream& upstream_;
  runtime::Watched& owner_;
  std::chrono::milliseconds idle_timeout_;
  bool aborted_ = false;
  bool timed_out_ = false;
};

}  // namespace certgate::session
