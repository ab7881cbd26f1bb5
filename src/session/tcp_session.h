// One client connection to a TLS (TCP) endpoint: the TLS handshake (mTLS terminates here), the route chosen
// by SNI, the route's authorization, then the bytes relayed both ways to the tcp:// upstream (ByteRelay),
// optionally behind a PROXY v2 header. One access-log line per connection.
#pragma once

#include <memory>

#include "auth/decision.h"
#include "proxy/upstream_stream.h"
#include "request/client_connection.h"
#include "request/exchange_record.h"
#include "runtime/runtime.h"
#include "runtime/worker_context.h"
#include "tls/connection_info.h"
#include "tls/handshake_info.h"
#include "tls/tls_stream.h"

namespace certgate::session {

class ByteRelay;

class TcpSession final : public runtime::WatchedConnection {
 public:
  TcpSession(runtime::WorkerContext& worker, std::shared_ptr<const runtime::Runtime> runtime,
             const runtime::ListenerRuntime& listener, net::tcp::socket socket,
             const net::tcp::endpoint& remote);
  ~TcpSession() override;

  net::awaitable<void> run();

  void on_deadline() override;
  void on_drain() override;
  void on_yield() override;
  // OpenSSL's record buffers are freed between bursts (a no-op while a record is half read).
  void on_tick(runtime::Clock::time_point) override { tls_.release_record_buffers(); }

 private:
  enum class Phase { handshake, authorizing, connecting, relaying };

  // Returns whether the client may go on to the upstream.
  net::awaitable<bool> authorize();
  net::awaitable<bool> connect_upstream();
  net::awaitable<bool> send_proxy_header();
  void finish(unsigned status, auth::Reason reason);
  // Ends both directions at once (making room for a newer handshake).
  void abort();

  runtime::WorkerContext& worker_;
  std::shared_ptr<const runtime::Runtime> runtime_;
  const runtime::ListenerRuntime& listener_;
  tls::HandshakeInfo handshake_;
  tls::TlsStream tls_;
  tls::SslConnectionInfo tls_info_;
  request::ClientConnection client_;
  proxy::UpstreamStream upstream_;
  auth::Decision decision_;
  request::ExchangeRecord record_;
  ByteRelay* relay_ = nullptr;
  Phase phase_ = Phase::handshake;
  bool timed_out_ = false;
};

// Owns the session for the coroutine's lifetime.
net::awaitable<void> run_tcp_session(std::unique_ptr<TcpSession> session);

}  // namespace certgate::session
