#include "proxy/http_session.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "auth/authorizer.h"
#include "http/error_response.h"
#include "http/header_rules.h"
#include "http/http_io.h"
#include "http/request_checks.h"
#include "http/request_target.h"
#include "proxy/cert_forwarding.h"
#include "proxy/echo_upstream.h"
#include "proxy/jwks_endpoint.h"
#include "proxy/upstream_headers.h"
#include "tls/handshake_log.h"

namespace certgate::proxy {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using net::error_code;
using std::chrono::milliseconds;

constexpr std::size_t kBodyChunk = 16 * 1024;
constexpr auto kReleaseIdleBuffersAfter = std::chrono::milliseconds(250);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string endpoint_text(const net::tcp::endpoint& ep) {
  const auto ip = ep.address().to_string();
  return ep.address().is_v6() ? "[" + ip + "]:" + std::to_string(ep.port())
                              : ip + ":" + std::to_string(ep.port());
}

// True when the message has no body to relay (HEAD responses, 204, 304, empty requests).
template <class Parser>
bool header_only(const Parser& parser) {
  return parser.is_done();
}

// certgate answers `Expect: 100-continue` itself, once the request is authorized (as nginx does).
template <class Stream>
net::awaitable<void> send_continue(Stream& client, error_code& ec) {
  const net::asio::const_buffer buffer(kContinue.data(), kContinue.size());
  co_await client.write(std::span(&buffer, 1), ec);
}

bool is_idempotent(bhttp::verb method) {
  using bhttp::verb;
  return method == verb::get || method == verb::head || method == verb::options || method == verb::trace ||
         method == verb::put || method == verb::delete_;
}

// A parse error the client should hear about (400), as opposed to a closed or reset connection.
bool is_http_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

// The request body's deadline, which moves with the bytes read: `allowance` from `start`, plus a second
// for every `bytes_per_second` bytes (Apache's mod_reqtimeout MinRate). A client that drips its body
// cannot hold the connection (and the upstream connection the body goes to) for long.
struct BodyPace {
  server::Clock::time_point start;
  milliseconds allowance{};
  std::uint64_t bytes_per_second = 0;  // 0: no pace, only the per-read timeout
  std::uint64_t bytes = 0;

  std::optional<server::Clock::time_point> deadline() const {
    if (bytes_per_second == 0) return std::nullopt;
    return start + allowance + milliseconds(bytes * 1000 / bytes_per_second);
  }
};

BodyPace body_pace(const config::Config& cfg) {
  return {server::Clock::now(), cfg.timeouts.request_body, cfg.limits.min_request_body_rate};
}

}  // namespace

// Every read and write re-arms the session's deadline for its side, so a timeout bounds inactivity,
// not the length of a transfer; with a fixed deadline instead (the request header's), it bounds the
// whole operation; with both, whichever comes first. With a BodyPace, reads also end at its deadline.
// Once a side has timed out, its operations fail at once.
template <class Stream>
class HttpSession::Timed {
 public:
  Timed(HttpSession& session, Stream& stream, Waiting who, milliseconds timeout)
      : session_(session), stream_(stream), who_(who), timeout_(timeout) {}
  Timed(HttpSession& session, Stream& stream, Waiting who, server::Clock::time_point deadline)
      : session_(session), stream_(stream), who_(who), deadline_(deadline) {}
  Timed(HttpSession& session, Stream& stream, Waiting who, milliseconds timeout,
        server::Clock::time_point deadline)
      : session_(session), stream_(stream), who_(who), timeout_(timeout), deadline_(deadline) {}
  Timed(HttpSession& session, Stream& stream, Waiting who, milliseconds timeout, BodyPace& pace)
      : session_(session), stream_(stream), who_(who), timeout_(timeout), pace_(&pace) {}

  net::awaitable<std::size_t> read_some(net::asio::mutable_buffer buffer, error_code& ec) {
    if (session_.timed_out(who_)) {
      ec = net::asio::error::timed_out;
      co_return 0;
    }
    arm();
    const auto n = co_await stream_.read_some(buffer, ec);
    settle(ec);
    if (pace_) pace_->bytes += n;
    co_return n;
  }

  net::awaitable<void> write(std::span<const net::asio::const_buffer> buffers, error_code& ec) {
    if (session_.timed_out(who_)) {
      ec = net::asio::error::timed_out;
      co_return;
    }
    arm();
    co_await stream_.write(buffers, ec);
    settle(ec);
  }

 private:
  void arm() {
    if (pace_) {
      if (const auto paced = pace_->deadline()) deadline_ = paced;
    }
    if (deadline_ && timeout_.count() > 0) {
      session_.wait_until(who_, std::min(*deadline_, server::Clock::now() + timeout_));
    } else if (deadline_) {
      session_.wait_until(who_, *deadline_);
    } else {
      session_.wait_for(who_, timeout_);
    }
  }
  void settle(error_code& ec) {
    session_.wait_for(Waiting::nothing, {});
    if (ec && session_.timed_out(who_)) ec = net::asio::error::timed_out;
  }

  HttpSession& session_;
  Stream& stream_;
  Waiting who_;
  milliseconds timeout_{};
  std::optional<server::Clock::time_point> deadline_;
  BodyPace* pace_ = nullptr;
};

HttpSession::HttpSession(server::WorkerContext& worker, std::shared_ptr<const server::Runtime> runtime,
                         const server::ListenerRuntime& listener, net::tcp::socket socket,
                         const net::tcp::endpoint& remote)
    : worker_(worker),
      runtime_(std::move(runtime)),
      listener_(listener),
      tls_(std::move(socket), listener.tls->new_connection(&handshake_)) {
  error_code ec;
  client_address_ = endpoint_text(remote);
  const bool v6 = remote.address().is_v6();
  client_ip_begin_ = v6 ? 1 : 0;  // "[ip]:port" or "ip:port"
  client_ip_length_ = static_cast<uint8_t>(client_address_.rfind(':') - (v6 ? 2 : 0));
  trusted_input_ = TrustedHeaderInput(runtime_->config(), remote.address());
  forwarding_ = ForwardingContext(runtime_->jwt_keys(), runtime_->config().jwt.issuer, listener.config->port);
  tls_.socket().set_option(net::tcp::no_delay(true), ec);
  worker_.connections.add(*this);
}

HttpSession::~HttpSession() = default;

void spawn_session(net::asio::io_context& io, std::unique_ptr<HttpSession> session) {
  // The completion handler owns the session: no wrapper coroutine frame per connection.
  auto& s = *session;
  net::asio::co_spawn(io, s.run(), [owned = std::move(session)](const std::exception_ptr&) {});
}

void HttpSession::wait_for(Waiting who, milliseconds timeout) {
  waiting_ = who;
  if (who == Waiting::nothing) {
    disarm();
  } else {
    arm(timeout);
  }
}

void HttpSession::wait_until(Waiting who, server::Clock::time_point deadline) {
  waiting_ = who;
  arm_until(deadline);
}

void HttpSession::on_deadline() {
  error_code ec;
  if (waiting_ == Waiting::client) {
    client_timed_out_ = true;
    tls_.socket().cancel(ec);
  } else if (waiting_ == Waiting::upstream) {
    upstream_timed_out_ = true;
    if (upstream_socket_) upstream_socket_->cancel(ec);
  }
}

// Closing the socket's reading side too: the handshake fails at its next step whatever it waits for.
void HttpSession::on_yield() {
  error_code ec;
  tls_.socket().cancel(ec);
  tls_.socket().shutdown(net::tcp::socket::shutdown_both, ec);
}

void HttpSession::on_drain() {
  // A busy connection closes after its current response; one still in its handshake has no request in
  // flight (without this, idle pre-TLS sockets held a shutdown for timeouts.handshake).
  if (!idle_ && !handshaking()) return;
  error_code ec;
  tls_.socket().cancel(ec);
}

// Idle keep-alive connections keep their buffers for a moment (the next request usually follows soon and
// should not pay for malloc), then give them back, OpenSSL's record buffers included: 10,000 idle
// connections then cost little more than their TLS state.
void HttpSession::on_tick(server::Clock::time_point now) {
  if (parked_ && !buffers_released_ && now - parked_since_ >= kReleaseIdleBuffersAfter) release_buffers();
  // limits.max_connection_age: a keep-alive connection does not live on forever (for rebalancing after
  // a scale-out, and to bound what one connection holds); an idle one closes now, a busy one says
  // Connection: close on its current response (keep_client_alive).
  const auto max_age = runtime_->config().limits.max_connection_age;
  if (max_age.count() > 0 && now - opened_ >= max_age) aged_ = true;
  if (aged_ && parked_) {
    error_code ec;
    tls_.socket().cancel(ec);
  }
}

bool HttpSession::used_up() const {
  const auto max = runtime_->config().limits.max_requests_per_connection;
  return max > 0 && requests_ >= max;
}

void HttpSession::release_buffers() {
  buffers_released_ = true;
  buffer_.clear();
  buffer_.shrink_to_fit();
  upstream_buffer_.clear();
  upstream_buffer_.shrink_to_fit();
  tls_.release_buffers();
  body_chunk_.reset();
  SSL_free_buffers(tls_.ssl());
}

HttpSession::NextRequest HttpSession::next_request_state() {
  if (buffer_.size() > 0 || SSL_has_pending(tls_.ssl())) return NextRequest::ready;  // pipelined
  // A peek that finds nothing also re-arms the edge-triggered poll, so a wait that follows cannot miss data.
  char probe;
  const ssize_t n = ::recv(tls_.socket().native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return NextRequest::ready;
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return NextRequest::closed;
  return NextRequest::wait;
}

void HttpSession::park() {
  parked_ = true;
  buffers_released_ = false;
  parked_since_ = server::Clock::now();
  wait_for(Waiting::client, runtime_->config().timeouts.idle);
}

void HttpSession::unpark() {
  wait_for(Waiting::nothing, {});
  parked_ = false;
}

std::span<char> HttpSession::body_chunk() {
  if (!body_chunk_) body_chunk_.reset(new char[kBodyChunk]);  // not zero-filled: always written before read
  return {body_chunk_.get(), kBodyChunk};
}

// Between requests a connection holds only this frame (and the wait's operation): the handshake's and
// each request's state live in frames that end with them, and buffers are released (on_tick).
net::awaitable<void> HttpSession::run() {
  bool open = false;
  if (tls_.ssl()) open = co_await handshake();
  while (open && !worker_.draining) {
    idle_ = true;
    const auto next = next_request_state();
    if (next == NextRequest::wait) {
      park();
      auto [ec] = co_await tls_.socket().async_wait(net::tcp::socket::wait_read, net::use_nothrow);
      unpark();
      open = !ec;
    } else {
      open = next == NextRequest::ready;
    }
    // (GCC 12 miscompiles two `if (!co_await ...)` in one loop: results go through a variable.)
    if (open) open = co_await serve_request();
  }
  if (tls_.ssl()) tls_.shutdown();
}

net::awaitable<bool> HttpSession::handshake() {
  error_code ec;
  wait_for(Waiting::client, runtime_->config().timeouts.handshake);
  co_await tls_.handshake(ec);
  wait_for(Waiting::nothing, {});
  if (ec) {
    tls::log_handshake_failure(client_address_, handshake_, tls_, ec);
    if (tls::TlsStream::sent_alert(ec)) {
      wait_for(Waiting::client, tls::kLingerAfterAlert);
      co_await tls_.linger_after_failure();
      wait_for(Waiting::nothing, {});
    }
    co_return false;
  }
  resumed_ = SSL_session_reused(tls_.ssl()) == 1;
  peer_ = auth::PeerCertificate::from_connection(tls_.ssl());
  if (handshake_.verified) {  // reject_connection: verified in the handshake, not again per request
    peer_.adopt(*handshake_.profile->handshake_trust, handshake_.profile->max_verify_depth,
                std::move(*handshake_.verified));
  }
  forwarding_.set_local_certificate(SSL_get_certificate(tls_.ssl()));
  worker_.connections.established(*this);
  co_return true;
}

net::awaitable<bool> HttpSession::serve_request() {
  const auto& cfg = runtime_->config();
  // From its first byte, the whole request header must arrive within timeouts.request_header
  // (a slow-header client holds a connection for that long at most, however it trickles).
  const auto started = server::Clock::now();
  Timed client(*this, tls_, Waiting::client, started + cfg.timeouts.request_header);
  RequestParser parser;
  parser.header_limit(static_cast<std::uint32_t>(cfg.limits.max_header_bytes));
  parser.body_limit(boost::none);
  Exchange ex;
  error_code ec;
  co_await http::read_header(client, buffer_, parser, ec);
  idle_ = false;
  ++requests_;
  ex.started = started;
  ex.bytes_in_start = tls_.bytes_read();
  ex.bytes_out_start = tls_.bytes_written();
  if (ec) {
    co_await reply_header_failure(ex, parser, ec);
    co_return false;
  }
  const bool keep_open = co_await handle_request(parser, ex);
  log_exchange(ex);
  co_return keep_open;
}

// A request whose header could not be read: 431, 400 or 408 when the client sent part of one (and is
// still there to hear it); a connection closed or reset between requests gets nothing and no log line.
net::awaitable<void> HttpSession::reply_header_failure(Exchange& ex, const RequestParser& parser,
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
    client_timed_out_ = false;  // the deadline was the header's; the 408 gets the usual write timeout
  }
  if (status == 0) co_return;
  if (ex.reason == auth::Reason::bad_request)
    spdlog::info("refused {} sni={} reason=bad_request detail=\"{}\"", client_address_, handshake_.sni,
                 ec.message());
  co_await reply_error(ex, status, http::default_message(status), false, false);
  log_exchange(ex);
}

net::awaitable<bool> HttpSession::handle_request(RequestParser& parser, Exchange& ex) {
  auto& req = parser.get();
  ex.method = std::string(req.method_string());
  ex.path = std::string(req.target());
  ex.client_version = req.version();
  ex.client_keep_alive = req.keep_alive();
  // Only an error page needs the client's Accept header: parse it then, not on every request.
  const auto html = [&req] { return http::prefers_html(req[bhttp::field::accept]); };
  // A rejected request's unread body would be taken for the next request: close instead.
  const bool can_keep = keep_client_alive(ex) && parser.is_done();

  std::optional<http::RequestTarget> target;
  auto early = check_request(parser, ex, target);
  if (!early) {
    if (auto jwks = jwks_response(runtime_->jwt_keys(), req.method(), target->path, can_keep))
      co_return co_await send_response(ex, *jwks, can_keep);
    early = find_route(parser, ex, *target, can_keep);
  }
  if (early) co_return co_await answer_early(ex, *early, html());
  ex.peer = &trusted_input_.certificate(req, peer_);
  const auto decision = co_await auth::authorize({*ex.route, *ex.peer, worker_.auth});
  ex.verify = decision.verify;
  if (decision.identity.consumer) ex.consumer = decision.identity.consumer->username;
  if (decision.policy_rule) ex.policy_rule = static_cast<int>(decision.policy_rule->index);
  if (!decision.allow) {
    ex.reason = decision.reason;
    log_denied(ex, decision);
    co_return co_await reply_error(ex, decision.status, decision.message, html(), can_keep);
  }
  ex.expect_continue = beast::iequals(req[bhttp::field::expect], "100-continue");
  prepare_upstream_request(parser, ex, decision, target->path + target->query);
  if (ex.route->config->to.kind == config::UpstreamKind::echo) co_return co_await answer_echo(parser, ex);
  co_return co_await forward(parser, ex);
}

// The request header's framing and form (http/request_checks), its host and its normalized target.
std::optional<HttpSession::EarlyAnswer> HttpSession::check_request(
    const RequestParser& parser, Exchange& ex, std::optional<http::RequestTarget>& target) {
  const auto& cfg = runtime_->config();
  const auto check = http::check_request_header(
      parser.get(),
      {cfg.limits.max_headers, cfg.headers_with_underscores == config::UnderscoreHeaders::reject});
  ex.host = check.address.host.empty() ? handshake_.sni : http::host_without_port(check.address.host);
  if (check.refusal)
    return EarlyAnswer{check.refusal->status, auth::Reason::bad_request, check.refusal->detail};
  target = http::normalize_target(check.address.origin_target);
  if (!target)
    return EarlyAnswer{400, auth::Reason::bad_request, "a forbidden path encoding or path parameter"};
  if (ex.host.empty()) return EarlyAnswer{400, auth::Reason::bad_request, "no host name"};
  return std::nullopt;
}

// The route, and what it rules out before authorization: no route (404), a certificate presented to
// another host (421), a body above its max_request_body (413).
std::optional<HttpSession::EarlyAnswer> HttpSession::find_route(RequestParser& parser, Exchange& ex,
                                                                const http::RequestTarget& target,
                                                                bool can_keep) {
  ex.route = listener_.router.match(ex.host, target.routing_path());
  if (!ex.route) {
    const bool known = listener_.router.knows_host(ex.host);
    return EarlyAnswer{404, known ? auth::Reason::no_route : auth::Reason::unknown_host, {}, can_keep};
  }
  // The certificate was requested for the SNI's host; it must not be used for another host. (A
  // certificate from a trusted proxy's header was not requested by this handshake at all.)
  if (ex.route->config->mtls.mode != config::MtlsMode::off && !trusted_input_.active() &&
      !handshake_.sni.empty() && ex.host != handshake_.sni) {
    return EarlyAnswer{421, auth::Reason::misdirected_request, {}, can_keep};
  }
  if (!limit_body(parser, *ex.route->config))
    return EarlyAnswer{413, auth::Reason::body_too_large, "Content-Length above max_request_body"};
  return std::nullopt;
}

// max_request_body: a Content-Length above it is refused before anything is read (false); a chunked
// body is cut by the parser once its chunks add up to more (see reply_body_failure).
bool HttpSession::limit_body(RequestParser& parser, const config::Route& route) {
  if (route.max_request_body == 0) return true;
  if (auto length = parser.content_length(); length && *length > route.max_request_body) return false;
  parser.body_limit(route.max_request_body);
  return true;
}

// A refusal for the request's form carries a detail: it goes to the error log (the reason to the access
// log), never to the client; such a connection closes, as its framing cannot be trusted.
net::awaitable<bool> HttpSession::answer_early(Exchange& ex, const EarlyAnswer& answer, bool html) {
  ex.reason = answer.reason;
  if (!answer.detail.empty()) {
    spdlog::info("refused {} sni={} host={} reason={} detail=\"{}\"", client_address_, handshake_.sni,
                 ex.host, auth::to_string(answer.reason), answer.detail);
  }
  co_return co_await reply_error(ex, answer.status, http::default_message(answer.status), html,
                                 answer.keep_alive);
}

// The client's body broke off: too large for max_request_body (413), invalid chunked framing (400), too
// slow (408), or the client went away (nothing to answer). The connection closes in every case.
net::awaitable<bool> HttpSession::reply_body_failure(Exchange& ex, const RequestParser& parser,
                                                     const error_code& ec) {
  const bool html = http::prefers_html(parser.get()[bhttp::field::accept]);
  if (ec == bhttp::error::body_limit) {
    co_return co_await answer_early(
        ex, {413, auth::Reason::body_too_large, "a chunked body above max_request_body"}, html);
  }
  if (ec == net::asio::error::timed_out) {
    client_timed_out_ = false;  // the deadline was the body's; the 408 gets the usual write timeout
    co_return co_await answer_early(
        ex, {408, auth::Reason::request_timeout, "the request body stalled or came slower than its pace"},
        html);
  }
  // A body cut short by the client closing is not a framing error: there is nobody left to answer.
  if (!is_http_error(ec) || ec == bhttp::error::partial_message) co_return false;
  const std::string detail = "invalid body framing: " + ec.message();
  co_return co_await answer_early(ex, {400, auth::Reason::bad_request, detail}, html);
}

void HttpSession::prepare_upstream_request(RequestParser& parser, const Exchange& ex,
                                           const auth::Decision& decision,
                                           const std::string& normalized_target) {
  auto& req = parser.get();
  const auto& route = *ex.route->config;
  const std::string original_host(req[bhttp::field::host]);
  forwarding_.request_host = ex.host;
  forwarding_.incoming_xfcc.clear();
  if (trusted_input_.from_trusted_proxy() && forwards_incoming_xfcc(route.headers))
    collect_incoming_xfcc(req, forwarding_.incoming_xfcc);
  http::strip_request_headers(req, {.also = runtime_->extra_gateway_headers(),
                                    .drop_underscores = runtime_->config().headers_with_underscores !=
                                                        config::UnderscoreHeaders::allow,
                                    .trusted_proxy = trusted_input_.from_trusted_proxy()});
  req.erase(bhttp::field::expect);
  http::set_forwarded_headers(req, client_ip(), original_host.empty() ? ex.host : original_host);
  add_upstream_headers(req, route, decision, peer_of(ex), forwarding_);
  if (route.to.kind == config::UpstreamKind::http && !route.preserve_host) {
    req.set(bhttp::field::host, ex.route->upstream_authority);
  } else if (original_host.empty()) {
    req.set(bhttp::field::host, ex.host);
  }
  req.target(route.to.base_path + normalized_target);
  req.version(11);
  // The serializer frames the body again exactly as the parser read it.
  if (parser.chunked()) {
    req.chunked(true);
  } else if (auto length = parser.content_length()) {
    req.content_length(*length);
  }
}

net::awaitable<bool> HttpSession::answer_echo(RequestParser& parser, Exchange& ex) {
  const auto& cfg = runtime_->config();
  Timed client(*this, tls_, Waiting::client, cfg.timeouts.idle);
  error_code ec;
  if (ex.expect_continue && !parser.is_done()) {
    co_await send_continue(client, ec);
    if (ec) co_return false;
  }
  const auto chunk = body_chunk();
  auto pace = body_pace(cfg);
  Timed client_body(*this, tls_, Waiting::client, cfg.timeouts.idle, pace);
  while (!parser.is_done()) {  // the echo describes the request; its body is read and dropped
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    co_await http::read_body_some(client_body, buffer_, parser, false, ec);
    if (ec) co_return co_await reply_body_failure(ex, parser, ec);
  }
  const auto& req = parser.get();
  bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = echo_body(req.method_string(), req.target(), req);
  const bool keep = keep_client_alive(ex);
  res.keep_alive(keep);
  res.prepare_payload();
  bhttp::serializer<false, bhttp::string_body> serializer{res};
  co_await http::write_ready(client, serializer, ec);
  ex.status = 200;
  co_return keep && !ec;
}

net::awaitable<bool> HttpSession::forward(RequestParser& parser, Exchange& ex) {
  const auto& cfg = runtime_->config();
  const auto& route = *ex.route;
  auto& req = parser.get();
  const bool request_has_body = !parser.is_done();
  Timed client(*this, tls_, Waiting::client, cfg.timeouts.idle);
  error_code ec;
  if (ex.expect_continue && request_has_body) {
    co_await send_continue(client, ec);
    if (ec) co_return false;
  }
  for (int attempt = 0;; ++attempt) {
    // 1. A pooled connection, or a new one (always for the retry: the pool may hold more stale ones).
    std::optional<net::PlainStream> upstream;
    if (attempt == 0) upstream = worker_.upstreams.take(route.pool_key);
    const bool reused = upstream.has_value();
    if (!upstream) {
      net::tcp::socket socket(worker_.io);
      upstream_socket_ = &socket;
      wait_for(Waiting::upstream, cfg.timeouts.upstream_connect);
      auto [connect_ec, endpoint] =
          co_await net::asio::async_connect(socket, route.upstream_endpoints, net::use_nothrow);
      wait_for(Waiting::nothing, {});
      upstream_socket_ = nullptr;
      if (connect_ec) {
        spdlog::warn("{} cannot connect to upstream {}: {}", client_address_, route.config->to.text,
                     upstream_timed_out_ ? "timed out" : connect_ec.message());
        co_return co_await reply_upstream_failure(ex);
      }
      socket.set_option(net::tcp::no_delay(true), connect_ec);
      upstream.emplace(std::move(socket));
    }
    upstream_socket_ = &upstream->socket();
    Timed up(*this, *upstream, Waiting::upstream, cfg.timeouts.upstream_response);

    // 2. The request, its body streamed from the client at the pace timeouts.request_body sets.
    auto pace = body_pace(cfg);
    Timed client_body(*this, tls_, Waiting::client, cfg.timeouts.idle, pace);
    auto failure = co_await http::relay_message(client_body, buffer_, parser, up, body_chunk(), ec);
    if (failure == http::RelayFailure::input) co_return co_await reply_body_failure(ex, parser, ec);
    // A pooled connection the upstream closed just as it was taken fails before any response byte: an
    // idempotent request without a body is sent again, once (RFC 9110 section 9.2.2).
    const bool retryable =
        reused && !request_has_body && is_idempotent(req.method()) && attempt == 0 && !upstream_timed_out_;
    if (failure == http::RelayFailure::output) {
      if (retryable) continue;  // a pooled connection the upstream had already closed
      upstream_socket_ = nullptr;
      co_return co_await reply_upstream_failure(ex);
    }

    // 3. The response header (interim 1xx responses are dropped), within timeouts.upstream_header of the
    // request's last byte however the upstream trickles it.
    Timed up_header(*this, *upstream, Waiting::upstream, cfg.timeouts.upstream_response,
                    server::Clock::now() + cfg.timeouts.upstream_header);
    std::optional<ResponseParser> response;
    upstream_buffer_.clear();
    do {
      response.emplace();
      response->header_limit(static_cast<std::uint32_t>(cfg.limits.max_header_bytes));
      response->body_limit(boost::none);
      if (req.method() == bhttp::verb::head) response->skip(true);
      co_await http::read_header(up_header, upstream_buffer_, *response, ec);
    } while (!ec && response->get().result_int() / 100 == 1 && response->get().result_int() != 101);
    if (ec) {
      if (retryable && !response->got_some() && !upstream_timed_out_) continue;
      upstream_socket_ = nullptr;
      spdlog::warn("{} upstream {} failed: {}", client_address_, route.config->to.text,
                   upstream_timed_out_ ? "no response in time" : ec.message());
      co_return co_await reply_upstream_failure(ex);
    }

    // 4. The response, its body streamed back.
    auto& res = response->get();
    const bool upstream_keep_alive = res.keep_alive();
    bool client_keep_alive = keep_client_alive(ex);
    const bool has_length = response->content_length().has_value();
    const bool chunked = response->chunked();
    http::strip_response_headers(res);
    if (chunked) {
      res.chunked(true);
    } else if (has_length) {
      res.content_length(*response->content_length());
    } else if (!header_only(*response)) {
      // A body that ends when the upstream closes: chunk it for HTTP/1.1, close for HTTP/1.0.
      if (ex.client_version >= 11) {
        res.chunked(true);
      } else {
        client_keep_alive = false;
      }
    }
    res.version(11);
    res.keep_alive(client_keep_alive);
    ex.status = res.result_int();
    if (header_only(*response)) {
      co_await http::write_header_only(client, res, ec);
      failure = ec ? http::RelayFailure::output : http::RelayFailure::none;
    } else {
      failure = co_await http::relay_message(up, upstream_buffer_, *response, client, body_chunk(), ec);
    }
    upstream_socket_ = nullptr;
    if (failure == http::RelayFailure::input) {  // the client got part of a response: it must not look whole
      ex.reason = auth::Reason::upstream_truncated;
      spdlog::warn("{} upstream {} response truncated: {}", client_address_, route.config->to.text,
                   upstream_timed_out_ ? "no data in time" : ec.message());
      co_return false;
    }
    if (failure != http::RelayFailure::none) {
      spdlog::debug("{} response relay to the client stopped: {}", client_address_, ec.message());
      co_return false;
    }
    if (upstream_keep_alive && response->is_done() && upstream_buffer_.size() == 0 && !upstream_timed_out_) {
      worker_.upstreams.give_back(route.pool_key, std::move(*upstream));
    }
    co_return client_keep_alive;
  }
}

// 504 when the upstream timed out, 502 for anything else it did wrong; the connection then closes.
net::awaitable<bool> HttpSession::reply_upstream_failure(Exchange& ex) {
  const unsigned status = upstream_timed_out_ ? 504 : 502;
  ex.reason = upstream_timed_out_ ? auth::Reason::upstream_timeout : auth::Reason::upstream_unavailable;
  co_return co_await reply_error(ex, status, http::default_message(status), false, false);
}

net::awaitable<bool> HttpSession::reply_error(Exchange& ex, unsigned status, std::string_view message,
                                              bool html, bool keep_alive) {
  auto res = http::make_error_response(status, message, html, keep_alive);
  co_return co_await send_response(ex, res, keep_alive);
}

net::awaitable<bool> HttpSession::send_response(Exchange& ex, http::StringResponse& res, bool keep_alive) {
  ex.status = res.result_int();
  Timed client(*this, tls_, Waiting::client, runtime_->config().timeouts.idle);
  bhttp::serializer<false, bhttp::string_body> serializer{res};
  error_code ec;
  co_await http::write_ready(client, serializer, ec);
  co_return keep_alive && !ec;
}

void HttpSession::log_denied(const Exchange& ex, const auth::Decision& decision) {
  if (!spdlog::should_log(spdlog::level::info)) return;
  spdlog::info("denied {} sni={} host={} route={} reason={} subject=\"{}\" detail=\"{}\"", client_address_,
               handshake_.sni, ex.host, ex.route ? ex.route->config->from : "",
               auth::to_string(decision.reason), peer_of(ex).present() ? peer_of(ex).facts().subject_dn : "",
               decision.detail);
}

void HttpSession::log_exchange(const Exchange& ex) {
  if (!worker_.access_log.enabled()) return;
  log::AccessRecord r;
  r.time = std::chrono::system_clock::now();
  r.client = client_address_;
  r.sni = handshake_.sni;
  r.host = ex.host;
  r.method = ex.method;
  r.path = ex.path;
  if (ex.route) {
    r.route = ex.route->config->from;
    r.upstream = ex.route->config->to.text;
  }
  r.status = ex.status;
  r.bytes_in = tls_.bytes_read() - ex.bytes_in_start;
  r.bytes_out = tls_.bytes_written() - ex.bytes_out_start;
  r.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ex.started).count();
  r.tls_version = SSL_get_version(tls_.ssl());
  r.resumed = resumed_;
  if (auto& peer = peer_of(ex); peer.present()) {
    r.cert_fingerprint = peer.facts().fingerprint;
    r.cert_subject = peer.facts().subject_dn;
  }
  r.verify = ex.verify;
  r.reason = auth::to_string(ex.reason);
  r.consumer = ex.consumer;
  r.policy_rule = ex.policy_rule;
  worker_.access_log.log(r);
}

}  // namespace certgate::proxy
