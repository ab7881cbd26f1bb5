// One client connection: the TLS handshake, then HTTP/1.1 requests in a keep-alive loop. Each request
// is routed, checked against its route's mTLS rules, and either answered by the gateway (401, 404,
// 421, echo://) or streamed to the upstream and back.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory>
#include <span>
#include <string>

#include "auth/decision.h"
#include "auth/peer_certificate.h"
#include "http/error_response.h"
#include "http/request_target.h"
#include "log/access_log.h"
#include "proxy/forwarding_context.h"
#include "proxy/trusted_header.h"
#include "server/runtime.h"
#include "server/worker_context.h"
#include "tls/tls_stream.h"

namespace certgate::proxy {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;
using ResponseParser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;

class HttpSession final : public server::WatchedConnection {
 public:
  HttpSession(server::WorkerContext& worker, std::shared_ptr<const server::Runtime> runtime,
              const server::ListenerRuntime& listener, net::tcp::socket socket,
              const net::tcp::endpoint& remote);
  ~HttpSession() override;

  net::awaitable<void> run();

  void on_deadline() override;
  void on_drain() override;
  void on_tick(server::Clock::time_point now) override;
  void on_yield() override;

 private:
  // What one request turned into, for the access log.
  struct Exchange {
    std::chrono::steady_clock::time_point started;
    std::string method;
    std::string path;
    std::string host;
    const RouteRuntime* route = nullptr;
    auth::PeerCertificate* peer = nullptr;  // the certificate the request was authorized with
    unsigned status = 0;
    auth::Reason reason = auth::Reason::allowed;
    std::string verify;
    std::string_view consumer;  // points into the runtime's config, which the session holds
    int policy_rule = -1;
    uint64_t bytes_in_start = 0;
    uint64_t bytes_out_start = 0;
    unsigned client_version = 11;
    bool client_keep_alive = true;  // as the client asked, read before the headers are rewritten
    bool expect_continue = false;
  };
  enum class Waiting : uint8_t { nothing, client, upstream };
  // A stream whose every operation runs under this session's deadline for one side.
  template <class Stream>
  class Timed;

  // False: the handshake failed (logged).
  net::awaitable<bool> handshake();
  // Reads and answers one request; false when the connection must close.
  net::awaitable<bool> serve_request();
  // Whether the next request's bytes are already here, the client closed, or the connection must wait
  // for them (parked: without buffers after a moment, see on_tick).
  enum class NextRequest { ready, closed, wait };
  NextRequest next_request_state();
  void park();
  void unpark();
  void release_buffers();
  // Returns whether the connection stays open for another request.
  net::awaitable<bool> handle_request(RequestParser& parser, Exchange& ex);
  net::awaitable<void> reply_header_failure(Exchange& ex, const RequestParser& parser,
                                            const net::error_code& ec);
  net::awaitable<bool> forward(RequestParser& parser, Exchange& ex);
  net::awaitable<bool> answer_echo(RequestParser& parser, Exchange& ex);
  // A request the gateway answers itself before authorization (400, 404, 413, 421, 431).
  struct EarlyAnswer {
    unsigned status = 400;
    auth::Reason reason = auth::Reason::bad_request;
    std::string_view detail;  // for the error log; empty: nothing to log
    bool keep_alive = false;
  };
  std::optional<EarlyAnswer> check_request(const RequestParser& parser, Exchange& ex,
                                           std::optional<http::RequestTarget>& target);
  std::optional<EarlyAnswer> find_route(RequestParser& parser, Exchange& ex,
                                        const http::RequestTarget& target, bool can_keep);
  bool limit_body(RequestParser& parser, const config::Route& route);
  net::awaitable<bool> answer_early(Exchange& ex, const EarlyAnswer& answer, bool html);
  net::awaitable<bool> reply_body_failure(Exchange& ex, const RequestParser& parser,
                                          const net::error_code& ec);
  net::awaitable<bool> reply_upstream_failure(Exchange& ex);
  net::awaitable<bool> reply_error(Exchange& ex, unsigned status, std::string_view message, bool html,
                                   bool keep_alive);
  net::awaitable<bool> send_response(Exchange& ex, http::StringResponse& res, bool keep_alive);

  void prepare_upstream_request(RequestParser& parser, const Exchange& ex, const auth::Decision& decision,
                                const std::string& normalized_target);
  bool keep_client_alive(const Exchange& ex) const {
    return ex.client_keep_alive && !worker_.draining && !aged_ && !used_up();
  }
  // limits.max_requests_per_connection reached: the current response is the last.
  bool used_up() const;
  void wait_for(Waiting who, std::chrono::milliseconds timeout);
  void wait_until(Waiting who, server::Clock::time_point deadline);
  bool timed_out(Waiting who) const {
    return who == Waiting::client ? client_timed_out_ : upstream_timed_out_;
  }
  std::span<char> body_chunk();
  void log_exchange(const Exchange& ex);
  void log_denied(const Exchange& ex, const auth::Decision& decision);
  auth::PeerCertificate& peer_of(const Exchange& ex) { return ex.peer ? *ex.peer : peer_; }
  std::string_view client_ip() const {
    return std::string_view(client_address_).substr(client_ip_begin_, client_ip_length_);
  }

  server::WorkerContext& worker_;
  std::shared_ptr<const server::Runtime> runtime_;
  const server::ListenerRuntime& listener_;
  tls::HandshakeInfo handshake_;
  tls::TlsStream tls_;
  boost::beast::flat_buffer buffer_;
  auth::PeerCertificate peer_;
  TrustedHeaderInput trusted_input_;
  ForwardingContext forwarding_;
  std::string client_address_;  // "ip:port", "[ip6]:port"
  net::tcp::socket* upstream_socket_ = nullptr;
  // Small fields together: 10,000 idle connections are 10,000 of these objects.
  uint8_t client_ip_begin_ = 0;  // the address within client_address_ (46 characters at most)
  uint8_t client_ip_length_ = 0;
  bool resumed_ = false;

  // Deadline bookkeeping: which side a timeout cancels, and whether it fired.
  Waiting waiting_ = Waiting::nothing;
  bool client_timed_out_ = false;
  bool upstream_timed_out_ = false;
  bool idle_ = false;              // between requests: safe to close at once when draining
  bool parked_ = false;            // waiting for the next request, holding no buffer pointer
  bool buffers_released_ = false;  // released during this park
  server::Clock::time_point parked_since_;
  // For limits.max_connection_age and max_requests_per_connection.
  server::Clock::time_point opened_ = server::Clock::now();
  std::uint32_t requests_ = 0;
  bool aged_ = false;  // older than max_connection_age: closes when idle, or after its current response
  boost::beast::flat_buffer upstream_buffer_;
  std::unique_ptr<char[]> body_chunk_;
};

// Runs the session on `io`, which owns it until it ends.
void spawn_session(net::asio::io_context& io, std::unique_ptr<HttpSession> session);

}  // namespace certgate::proxy
