// One HTTP/1.1 client connection: the TLS handshake, then requests in a keep-alive loop. This class is the
// protocol: Beast's parser and serializer, keep-alive and Connection headers, response framing for HTTP/1.0
// and 1.1 clients, 100-continue, the client-side deadlines (handshake, request header, body pace, idle),
// parking between requests without buffers, and the WebSocket tunnel after a 101. What a request means
// (routing, authorization, the upstream) is the protocol-independent request::RequestHandler's; this class
// is its request::Downstream.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "http/request_checks.h"
#include "request/client_connection.h"
#include "request/downstream.h"
#include "request/exchange_record.h"
#include "runtime/runtime.h"
#include "runtime/timed_stream.h"
#include "runtime/worker_context.h"
#include "tls/connection_info.h"
#include "tls/handshake_info.h"
#include "tls/tls_stream.h"

namespace certgate::session {

class ByteRelay;

class Http1Connection final : public runtime::WatchedConnection,
                              private request::Downstream,
                              private http::BodySource {
 public:
  Http1Connection(runtime::WorkerContext& worker, std::shared_ptr<const runtime::Runtime> runtime,
                  const runtime::ListenerRuntime& listener, net::tcp::socket socket,
                  const net::tcp::endpoint& remote);
  ~Http1Connection() override;

  net::awaitable<void> run();

  void on_deadline() override;
  void on_drain() override;
  void on_tick(runtime::Clock::time_point now) override;
  void on_yield() override;

 private:
  using RequestParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;
  using ClientStream = runtime::TimedStream<tls::TlsStream>;
  // The request being served (it lives in serve_request's frame).
  struct Current {
    RequestParser& parser;
    http::RequestAddress address;
    runtime::BodyPace pace{};
    bool pace_started = false;
    unsigned version = 11;
    bool keep_alive = true;  // as the client asked, read before the headers are rewritten
    std::optional<std::chrono::milliseconds> idle;  // the route's idle_timeout
  };

  // False: the handshake failed (logged).
  net::awaitable<bool> handshake();
  // Reads and answers one request; false when the connection must close.
  net::awaitable<bool> serve_request();
  net::awaitable<void> reply_header_failure(request::ExchangeRecord& ex, const RequestParser& parser,
                                            const net::error_code& ec);
  void park();
  void unpark();
  void release_buffers();
  bool keep_client_alive() const;
  // limits.max_requests_per_connection reached: the current response is the last.
  bool used_up() const;
  ClientStream client_stream() { return {tls_, *this, client_timed_out_, idle_timeout()}; }
  std::chrono::milliseconds idle_timeout() const {
    return current_ && current_->idle ? *current_->idle : config().timeouts.idle;
  }
  const config::Config& config() const { return runtime_->config(); }

  // request::Downstream
  request::ClientConnection& connection() override { return client_; }
  request::Request& request() override { return current_->parser.get(); }
  std::string_view authority() const override { return current_->address.host; }
  std::string_view origin_target() const override { return current_->address.origin_target; }
  void set_idle_timeout(std::chrono::milliseconds timeout) override { current_->idle = timeout; }
  request::RequestFraming request_framing() const override;
  bool limit_body(std::uint64_t max) override;
  http::BodySource& body() override { return *this; }
  net::awaitable<void> send_continue(net::error_code& ec) override;
  net::awaitable<bool> respond(http::StringResponse& response, bool keep_open) override;
  net::awaitable<request::RelayOutcome> relay_response(request::Response& response,
                                                       const request::ResponseFraming& framing,
                                                       http::BodySource& body) override;
  net::awaitable<void> tunnel(proxy::UpstreamStream& upstream, std::span<const char> upstream_early) override;
  std::uint64_t bytes_in() const override { return tls_.bytes_read(); }
  std::uint64_t bytes_out() const override { return tls_.bytes_written(); }
  std::span<char> body_chunk() override;
  boost::beast::flat_buffer& upstream_buffer() override { return upstream_buffer_; }

  // http::BodySource: the request body, at the pace timeouts.request_body sets from its first read.
  net::awaitable<std::size_t> read(std::span<char> chunk, bool buffered_only, net::error_code& ec) override;
  bool done() const override { return current_->parser.is_done(); }

  runtime::WorkerContext& worker_;
  std::shared_ptr<const runtime::Runtime> runtime_;
  const runtime::ListenerRuntime& listener_;
  tls::HandshakeInfo handshake_;
  tls::TlsStream tls_;
  tls::SslConnectionInfo tls_info_;
  request::ClientConnection client_;
  boost::beast::flat_buffer buffer_;
  Current* current_ = nullptr;
  ByteRelay* tunnel_ = nullptr;  // after a 101: the deadline is the tunnel's idle timeout

  // Small fields together: 10,000 idle connections are 10,000 of these objects.
  bool client_timed_out_ = false;
  bool idle_ = false;              // between requests: safe to close at once when draining
  bool parked_ = false;            // waiting for the next request, holding no buffer pointer
  bool buffers_released_ = false;  // released during this park
  bool aged_ = false;  // older than max_connection_age: closes when idle, or after its current response
  std::uint32_t requests_ = 0;
  runtime::Clock::time_point parked_since_;
  // For limits.max_connection_age and max_requests_per_connection.
  runtime::Clock::time_point opened_ = runtime::Clock::now();
  boost::beast::flat_buffer upstream_buffer_;
  std::unique_ptr<char[]> body_chunk_;
};

// Runs the connection on `io`, which owns it until it ends.
void spawn(net::asio::io_context& io, std::unique_ptr<Http1Connection> connection);

}  // namespace certgate::session
