// One client connection to a TLS (TCP) endpoint: the TLS handshake (mTLS terminates here), the route chosen
// by SNI, the route's authorization, then the bytes relayed both ways to the tcp:// upstream, optionally
// behind a PROXY v2 header. Either side may half-close (the other direction keeps flowing); the connection
// ends when both directions have ended, on an error, or after the route's idle timeout. One access-log
// line per connection.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "auth/decision.h"
#include "auth/peer_certificate.h"
#include "net/byte_stream.h"
#include "server/runtime.h"
#include "server/worker_context.h"
#include "tls/handshake_info.h"
#include "tls/tls_stream.h"

namespace certgate::proxy {

class TcpSession final : public server::WatchedConnection {
 public:
  TcpSession(server::WorkerContext& worker, std::shared_ptr<const server::Runtime> runtime,
             const server::ListenerRuntime& listener, net::tcp::socket socket,
             const net::tcp::endpoint& remote);
  ~TcpSession() override;

  net::awaitable<void> run();

  void on_deadline() override;
  void on_drain() override;
  void on_yield() override { abort(); }
  // OpenSSL's record buffers are freed between bursts (a no-op while a record is half read).
  void on_tick(server::Clock::time_point) override { SSL_free_buffers(tls_.ssl()); }

 private:
  enum class Phase { handshake, authorizing, connecting, relaying };

  // Returns whether the client may go on to the upstream.
  net::awaitable<bool> authorize();
  net::awaitable<bool> connect_upstream();
  net::awaitable<bool> send_proxy_header();
  net::awaitable<void> client_to_upstream();
  net::awaitable<void> upstream_to_client();
  // Ends both directions at once (an error, a timeout): pending operations fail, later ones too.
  void abort();
  void touch() { arm(idle_timeout_); }
  void finish(unsigned status, auth::Reason reason);
  void log_connection();

  server::WorkerContext& worker_;
  std::shared_ptr<const server::Runtime> runtime_;
  const server::ListenerRuntime& listener_;
  tls::HandshakeInfo handshake_;
  tls::TlsStream tls_;
  net::PlainStream upstream_;
  auth::PeerCertificate peer_;
  auth::Decision decision_;
  const RouteRuntime* route_ = nullptr;
  std::string client_address_;
  std::string host_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::milliseconds idle_timeout_;
  Phase phase_ = Phase::handshake;
  bool timed_out_ = false;
  bool aborted_ = false;
  bool resumed_ = false;
  const char* tls_version_ = "";
  unsigned status_ = 0;
  auth::Reason reason_ = auth::Reason::allowed;
};

// Owns the session for the coroutine's lifetime.
net::awaitable<void> run_tcp_session(std::unique_ptr<TcpSession> session);

}  // namespace certgate::proxy
