#include "session/http1_connection.h"

#include <spdlog/spdlog.h>

#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "http/error_response.h"
#include "http/http_io.h"
#include "request/request_handler.h"
#include "session/byte_relay.h"
#include "session/server_handshake.h"

namespace certgate::session {
namespace {

namespace bhttp = boost::beast::http;
using net::error_code;

constexpr std::size_t kBodyChunk = 16 * 1024;
constexpr auto kReleaseIdleBuffersAfter = std::chrono::milliseconds(250);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// A parse error the client should hear about (400), as opposed to a closed or reset connection.
bool is_http_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

}  // namespace

Http1Connection::Http1Connection(runtime::WorkerContext& worker,
                                 std::shared_ptr<const runtime::Runtime> runtime,
                                 const runtime::ListenerRuntime& listener, net::tcp::socket socket,
                                 const net::tcp::endpoint& remote)
    : worker_(worker),
      runtime_(std::move(runtime)),
      listener_(listener),
      tls_(std::move(socket), listener.tls->new_connection(&handshake_)),
      tls_info_(tls_.ssl(), handshake_),
      client_(remote) {
  error_code ec;
  client_.trusted_input = proxy::TrustedHeaderInput(config(), remote.address());
  client_.forwarding =
      proxy::ForwardingContext(runtime_->jwt_keys(), config().jwt.issuer, listener.config->port);
  tls_.socket().set_option(net::tcp::no_delay(true), ec);
  worker_.connections.add(*this);
}

Http1Connection::~Http1Connection() = default;

void spawn(net::asio::io_context& io, std::unique_ptr<Http1Connection> connection) {
  // The completion handler owns the connection: no wrapper coroutine frame per connection.
  auto& c = *connection;
  net::asio::co_spawn(io, c.run(), [owned = std::move(connection)](const std::exception_ptr&) {});
}

// The connection's deadline is only ever armed for the client side (the handshake, a request, parking):
// the upstream side's deadlines are each exchange's own.
void Http1Connection::on_deadline() {
  if (tunnel_) return tunnel_->expire();
  client_timed_out_ = true;
  error_code ec;
  tls_.socket().cancel(ec);
}

// Closing the socket's reading side too: the handshake fails at its next step whatever it waits for.
void Http1Connection::on_yield() {
  error_code ec;
  tls_.socket().cancel(ec);
  tls_.socket().shutdown(net::tcp::socket::shutdown_both, ec);
}

void Http1Connection::on_drain() {
  // A busy connection closes after its current response; one still in its handshake has no request in
  // flight (without this, idle pre-TLS sockets held a shutdown for timeouts.handshake). A WebSocket
  // tunnel is left to finish, bounded by timeouts.shutdown, like a tls:// connection.
  if (!idle_ && !handshaking()) return;
  error_code ec;
  tls_.socket().cancel(ec);
}

// Idle keep-alive connections keep their buffers for a moment (the next request usually follows soon and
// should not pay for malloc), then give them back, OpenSSL's record buffers included: 10,000 idle
// connections then cost little more than their TLS state.
void Http1Connection::on_tick(runtime::Clock::time_point now) {
  if (parked_ && !buffers_released_ && now - parked_since_ >= kReleaseIdleBuffersAfter) release_buffers();
  // limits.max_connection_age: a keep-alive connection does not live on forever (for rebalancing after
  // a scale-out, and to bound what one connection holds); an idle one closes now, a busy one says
  // Connection: close on its current response (keep_client_alive).
  const auto max_age = config().limits.max_connection_age;
  if (max_age.count() > 0 && now - opened_ >= max_age) aged_ = true;
  if (aged_ && parked_) {
    error_code ec;
    tls_.socket().cancel(ec);
  }
}

bool Http1Connection::used_up() const {
  const auto max = config().limits.max_requests_per_connection;
  return max > 0 && requests_ >= max;
}

bool Http1Connection::keep_client_alive() const {
  return current_ && current_->keep_alive && !worker_.draining && !aged_ && !used_up();
}

void Http1Connection::release_buffers() {
  buffers_released_ = true;
  buffer_.clear();
  buffer_.shrink_to_fit();
  upstream_buffer_.clear();
  upstream_buffer_.shrink_to_fit();
  tls_.release_buffers();
  body_chunk_.reset();
}

void Http1Connection::park() {
  parked_ = true;
  buffers_released_ = false;
  parked_since_ = runtime::Clock::now();
  arm(config().timeouts.idle);
}

void Http1Connection::unpark() {
  disarm();
  parked_ = false;
}

std::span<char> Http1Connection::body_chunk() {
  if (!body_chunk_) body_chunk_.reset(new char[kBodyChunk]);  // not zero-filled: always written before read
  return {body_chunk_.get(), kBodyChunk};
}

// Between requests a connection holds only this frame (and the wait's operation): the handshake's and
// each request's state live in frames that end with them, and buffers are released (on_tick).
net::awaitable<void> Http1Connection::run() {
  bool open = false;
  if (tls_.ssl()) open = co_await handshake();
  while (open && !worker_.draining) {
    idle_ = true;
    auto next = buffer_.size() > 0 ? tls::TlsStream::Input::ready : tls_.poll_input();  // pipelined?
    if (next == tls::TlsStream::Input::none) {
      park();
      auto [ec] = co_await tls_.socket().async_wait(net::tcp::socket::wait_read, net::use_nothrow);
      unpark();
      open = !ec;
    } else {
      open = next == tls::TlsStream::Input::ready;
    }
    // (GCC 12 miscompiles two `if (!co_await ...)` in one loop: results go through a variable.)
    if (open) open = co_await serve_request();
  }
  if (tls_.ssl()) tls_.shutdown();
}

net::awaitable<bool> Http1Connection::handshake() {
  const bool ok = co_await server_handshake(tls_, *this, handshake_, client_.address(),
                                            config().timeouts.handshake, worker_.metrics.handshakes);
  if (!ok) co_return false;
  client_.established(tls_info_, worker_.auth.chains);
  worker_.connections.established(*this);
  co_return true;
}

net::awaitable<bool> Http1Connection::serve_request() {
  const auto& cfg = config();
  request::ExchangeRecord ex;
  // From its first byte, the whole request header must arrive within timeouts.request_header
  // (a slow-header client holds a connection for that long at most, however it trickles).
  ClientStream header_stream(tls_, *this, client_timed_out_, std::chrono::milliseconds(0),
                             ex.started + cfg.timeouts.request_header);
  RequestParser parser;
  parser.header_limit(static_cast<std::uint32_t>(cfg.limits.max_header_bytes));
  parser.body_limit(boost::none);
  error_code ec;
  co_await http::read_header(header_stream, buffer_, parser, ec);
  idle_ = false;
  ++requests_;
  ex.bytes_in_start = tls_.bytes_read();
  ex.bytes_out_start = tls_.bytes_written();
  if (ec) {
    co_await reply_header_failure(ex, parser, ec);
    co_return false;
  }
  auto& req = parser.get();
  auto check = http::check_request_header(
      req, {cfg.limits.max_headers, cfg.headers_with_underscores == config::UnderscoreHeaders::reject});
  Current current{parser, std::move(check.address), {}, false, 11, true, std::nullopt};
  current.version = req.version();
  current.keep_alive = req.keep_alive();
  current_ = &current;
  request::RequestHandler handler(worker_, *runtime_, listener_);
  const bool keep_open = co_await handler.handle(*this, ex, check.refusal);
  request::finish_exchange(worker_, client_, ex, tls_.bytes_read(), tls_.bytes_written());
  current_ = nullptr;
  co_return keep_open;
}

// A request whose header could not be read: 431, 400 or 408 when the client sent part of one (and is
// still there to hear it); a connection closed or reset between requests gets nothing and no log line.
net::awaitable<void> Http1Connection::reply_header_failure(request::ExchangeRecord& ex,
                                                           const RequestParser& parser,
                                                           const error_code& ec) {
  unsigned status = 0;
  if (ec == bhttp::error::header_limit) {
    status = 431;
    ex.reason = auth::Reason::bad_request;
  } else if (parser.got_some() && is_http_error(ec)) {
    status = 400;
    ex.reason = auth::Reason::bad_request;
  } else if (parser.got_some() && ec == net::asio::error::timed_out) {
    status = 408;
    ex.reason = auth::Reason::request_timeout;
  }
  if (status == 0) co_return;
  ex.request_id = worker_.request_ids.next();  // a header that could not be read has no id to keep
  if (ex.reason == auth::Reason::bad_request)
    request::log_refusal(client_, "", ex.request_id, ex.reason, ec.message());
  auto res = http::make_error_response(status, http::default_message(status), false, false, ex.request_id);
  ex.status = status;
  co_await respond(res, false);
  request::finish_exchange(worker_, client_, ex, tls_.bytes_read(), tls_.bytes_written());
}

request::RequestFraming Http1Connection::request_framing() const {
  const auto& parser = current_->parser;
  request::RequestFraming framing;
  if (const auto length = parser.content_length()) framing.content_length = *length;
  framing.chunked = parser.chunked();
  return framing;
}

// max_request_body: a Content-Length above it is refused before anything is read (false); a chunked
// body is cut by the parser once its chunks add up to more (http::error::body_limit).
bool Http1Connection::limit_body(std::uint64_t max) {
  auto& parser = current_->parser;
  if (auto length = parser.content_length(); length && *length > max) return false;
  parser.body_limit(max);
  return true;
}

net::awaitable<std::size_t> Http1Connection::read(std::span<char> chunk, bool buffered_only, error_code& ec) {
  auto& cur = *current_;
  if (!cur.pace_started) {
    cur.pace = {runtime::Clock::now(), config().timeouts.request_body, config().limits.min_request_body_rate};
    cur.pace_started = true;
  }
  ClientStream stream(tls_, *this, client_timed_out_, idle_timeout(), std::nullopt, &cur.pace);
  http::ParserBodySource<ClientStream, true> source(stream, buffer_, cur.parser);
  co_return co_await source.read(chunk, buffered_only, ec);
}

net::awaitable<void> Http1Connection::send_continue(error_code& ec) {
  auto stream = client_stream();
  const net::asio::const_buffer buffer(kContinue.data(), kContinue.size());
  co_await stream.write(std::span(&buffer, 1), ec);
}

net::awaitable<bool> Http1Connection::respond(http::StringResponse& res, bool keep_open) {
  // After a 408 the deadline that fired was the request's: the answer gets the usual write timeout.
  if (res.result() == bhttp::status::request_timeout) client_timed_out_ = false;
  const bool keep = keep_open && keep_client_alive();
  res.keep_alive(keep);
  auto stream = client_stream();
  bhttp::serializer<false, bhttp::string_body> serializer{res};
  error_code ec;
  co_await http::write_ready(stream, serializer, ec);
  co_return keep && !ec;
}

// The response's framing towards this client: the upstream's length or chunking; a body that ends when the
// upstream closes is chunked for HTTP/1.1 and delimited by closing for HTTP/1.0.
net::awaitable<request::RelayOutcome> Http1Connection::relay_response(request::Response& res,
                                                                      const request::ResponseFraming& framing,
                                                                      http::BodySource& body) {
  auto stream = client_stream();
  error_code ec;
  if (res.result() == bhttp::status::switching_protocols) {  // its Connection: Upgrade stays as it is
    co_await http::write_header_only(stream, res, ec);
    co_return request::RelayOutcome{ec ? http::RelayFailure::output : http::RelayFailure::none, ec, false};
  }
  bool keep = keep_client_alive();
  if (framing.chunked) {
    res.chunked(true);
  } else if (framing.content_length) {
    res.content_length(*framing.content_length);
  } else if (!framing.header_only) {
    if (current_->version >= 11) {
      res.chunked(true);
    } else {
      keep = false;
    }
  }
  res.version(11);
  res.keep_alive(keep);
  if (framing.header_only) {
    co_await http::write_header_only(stream, res, ec);
    co_return request::RelayOutcome{ec ? http::RelayFailure::output : http::RelayFailure::none, ec,
                                    keep && !ec};
  }
  const auto failure = co_await http::relay_message(body, res, stream, body_chunk(), ec);
  co_return request::RelayOutcome{failure, ec, keep && failure == http::RelayFailure::none};
}

// After a 101: what the client sent after its upgrade request (already in buffer_) goes first.
net::awaitable<void> Http1Connection::tunnel(proxy::UpstreamStream& upstream,
                                             std::span<const char> upstream_early) {
  const auto early = buffer_.data();
  ByteRelay relay(tls_, upstream, *this, idle_timeout());
  tunnel_ = &relay;
  co_await relay.run({static_cast<const char*>(early.data()), early.size()}, upstream_early);
  tunnel_ = nullptr;
  buffer_.consume(buffer_.size());
}

}  // namespace certgate::session
