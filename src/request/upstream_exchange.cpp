#include "request/upstream_exchange.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/beast/http/parser.hpp>

#include "http/header_rules.h"
#include "runtime/timed_stream.h"

namespace certgate::request {
namespace {

namespace bhttp = boost::beast::http;
using net::error_code;
using ResponseParser = bhttp::response_parser<bhttp::buffer_body>;
using Kind = ExchangeResult::Kind;

bool is_idempotent(bhttp::verb method) {
  using bhttp::verb;
  return method == verb::get || method == verb::head || method == verb::options || method == verb::trace ||
         method == verb::put || method == verb::delete_;
}

bool is_interim(const ResponseParser& parser) {
  const auto status = parser.get().result_int();
  return status / 100 == 1 && status != 101;
}

// A body that has already ended (the 101's, after which the bytes are no longer HTTP).
class NoBody final : public http::BodySource {
 public:
  net::awaitable<std::size_t> read(std::span<char>, bool, error_code&) override { co_return 0; }
  bool done() const override { return true; }
};

}  // namespace

UpstreamExchange::UpstreamExchange(runtime::WorkerContext& worker, const config::Config& config,
                                   const proxy::RouteRuntime& route, const ClientConnection& client)
    : worker_(worker), config_(config), route_(route), client_(client) {
  worker_.connections.watch(*this);
}

void UpstreamExchange::on_deadline() {
  timed_out_ = true;
  error_code ec;
  if (socket_) socket_->cancel(ec);
}

// Connects to the leased endpoint. One that refuses or does not accept in time is skipped for a while
// (passive health), and the request, which has sent nothing yet, goes to the next endpoint the route's
// policy picks; every endpoint is tried at most once.
net::awaitable<bool> UpstreamExchange::connect(proxy::UpstreamStream& into) {
  std::vector<proxy::Balancer::Endpoint*> tried;
  for (;;) {
    if (co_await connect_to(into, *lease_)) break;
    if (tls_failed_ || (deadline_ && runtime::Clock::now() >= *deadline_)) co_return false;
    const auto now = runtime::Clock::now();
    if (!tls_handshake_started_) balancer_->eject(*lease_, now);
    tried.push_back(&*lease_);
    auto* next = balancer_->pick(now, tried);
    if (!next) co_return false;
    lease_.take(*balancer_, *next);
    into = proxy::UpstreamStream(net::tcp::socket(worker_.io));
    timed_out_ = false;
  }
  co_return true;
}

net::awaitable<bool> UpstreamExchange::connect_to(proxy::UpstreamStream& into,
                                                  const proxy::Balancer::Endpoint& endpoint) {
  tls_handshake_started_ = false;
  auto& socket = into.socket();
  socket_ = &socket;
  arm_until(earliest(runtime::Clock::now() + config_.timeouts.upstream_connect));
  const std::array<net::tcp::endpoint, 1> address{endpoint.address};
  auto [ec, connected] = co_await net::asio::async_connect(socket, address, net::use_nothrow);
  disarm();
  socket_ = nullptr;
  if (ec) {
    spdlog::warn("{} cannot connect to upstream {}: {}", client_.address(), endpoint.text,
                 timed_out_ ? "timed out" : ec.message());
    co_return false;
  }
  socket.set_option(net::tcp::no_delay(true), ec);
  if (target().tls) {
    tls_handshake_started_ = true;
    co_return co_await start_tls(into);
  }
  co_return true;
}

net::awaitable<bool> UpstreamExchange::start_tls(proxy::UpstreamStream& stream) {
  const auto& upstream_tls = *target().tls;
  auto ssl = upstream_tls.new_connection();
  if (!ssl) {
    tls_failed_ = true;
    spdlog::warn("{} upstream {} failed: reason=upstream_tls_failed detail=\"{}\"", client_.address(),
                 lease_->text, pki::take_openssl_errors());
    co_return false;
  }
  stream.start_tls(std::move(ssl));
  auto& tls = *stream.tls();
  socket_ = &tls.socket();
  arm_until(earliest(runtime::Clock::now() + config_.timeouts.upstream_connect));
  error_code ec;
  co_await tls.handshake(ec);
  disarm();
  socket_ = nullptr;
  if (!ec) co_return true;
  if (timed_out_) {
    spdlog::warn("{} upstream {} failed: TLS handshake timed out", client_.address(), lease_->text);
    co_return false;
  }
  tls_failed_ = true;
  std::string detail(tls.verification_error());
  if (detail.empty()) detail = tls.last_error().empty() ? ec.message() : tls.last_error();
  spdlog::warn("{} upstream {} failed: reason=upstream_tls_failed name={} detail=\"{}\"", client_.address(),
               lease_->text, upstream_tls.server_name(), detail);
  co_return false;
}

ExchangeResult UpstreamExchange::failed(std::string_view what, const error_code& ec) {
  spdlog::warn("{} upstream {} failed: {}", client_.address(), lease_->text,
               timed_out_ ? what : ec.message());
  return {Kind::upstream_failed, 0, ec, false, timed_out_};
}

net::awaitable<ExchangeResult> UpstreamExchange::run(Downstream& downstream, bool upgrade) {
  auto& req = downstream.request();
  const bool request_has_body = !downstream.body().done();
  const auto& timeouts = config_.timeouts;
  const auto& route = *route_.config;
  // The route's timeout bounds the whole exchange; its idle_timeout replaces the per-read wait.
  if (route.timeout) deadline_ = runtime::Clock::now() + *route.timeout;
  const auto per_read = route.idle_timeout.value_or(timeouts.upstream_response);
  error_code ec;
  balancer_ = &worker_.balancers.get(route_.upstreams);
  auto* endpoint = balancer_->pick(runtime::Clock::now());
  if (!endpoint) {  // every address of every upstream went away in DNS refreshes
    spdlog::warn("{} upstream {} failed: no address", client_.address(), route.to.text);
    co_return ExchangeResult{Kind::upstream_failed, 0, {}, false};
  }
  lease_.take(*balancer_, *endpoint);
  for (int attempt = 0;; ++attempt) {
    // 1. A pooled connection, or a new one (always for the retry: the pool may hold more stale ones).
    std::optional<proxy::UpstreamStream> upstream;
    if (attempt == 0) upstream = worker_.upstreams.take(lease_->pool_key);
    const bool reused = upstream.has_value();
    if (!upstream) {
      upstream.emplace(net::tcp::socket(worker_.io));
      if (!co_await connect(*upstream))
        co_return ExchangeResult{Kind::upstream_failed, 0, {}, false, timed_out_, tls_failed_};
    }
    // The Host header names the upstream that was picked (with one upstream, the handler has set it).
    if (!route.preserve_host && route_.upstreams.targets.size() > 1)
      req.set(bhttp::field::host, target().authority);
    socket_ = &upstream->socket();
    runtime::TimedStream up(*upstream, *this, timed_out_, per_read, deadline_);

    // 2. The request, its body streamed from the client (at the pace the downstream enforces).
    auto failure = co_await http::relay_message(downstream.body(), req, up, downstream.body_chunk(), ec);
    if (failure == http::RelayFailure::input) co_return ExchangeResult{Kind::body_failed, 0, ec};
    // A pooled connection the upstream closed just as it was taken fails before any response byte: an
    // idempotent request without a body is sent again, once.
    const bool retryable =
        reused && !request_has_body && is_idempotent(req.method()) && attempt == 0 && !timed_out_;
    if (failure == http::RelayFailure::output) {
      if (retryable) continue;
      co_return ExchangeResult{Kind::upstream_failed, 0, ec, false, timed_out_};
    }

    // 3. The response header (interim 1xx responses are dropped), within timeouts.upstream_header of the
    // request's last byte however the upstream trickles it.
    runtime::TimedStream up_header(*upstream, *this, timed_out_, per_read,
                                   earliest(runtime::Clock::now() + timeouts.upstream_header));
    auto& buffer = downstream.upstream_buffer();
    buffer.clear();
    std::optional<ResponseParser> response;
    do {
      response.emplace();
      response->header_limit(static_cast<std::uint32_t>(config_.limits.max_header_bytes));
      response->body_limit(boost::none);
      if (req.method() == bhttp::verb::head) response->skip(true);
      co_await http::read_header(up_header, buffer, *response, ec);
    } while (!ec && is_interim(*response));
    if (ec) {
      if (retryable && !response->got_some() && !timed_out_) continue;
      co_return failed("no response in time", ec);
    }

    // 4. The response, its body streamed back (or, after a 101, the bytes both ways).
    auto& res = response->get();
    const bool upstream_keep_alive = res.keep_alive();
    ResponseFraming framing;
    framing.header_only = response->is_done();
    if (const auto length = response->content_length()) framing.content_length = *length;
    framing.chunked = response->chunked();
    const bool switching = upgrade && res.result() == bhttp::status::switching_protocols;
    const std::string upgrade_to = switching ? std::string(res[bhttp::field::upgrade]) : std::string();
    http::strip_response_headers(res);
    if (switching) co_return co_await tunnel(downstream, *upstream, res, upgrade_to);
    http::ParserBodySource body(up, buffer, *response);
    const auto outcome = co_await downstream.relay_response(res, framing, body);
    socket_ = nullptr;
    const unsigned status = res.result_int();
    if (outcome.failure == http::RelayFailure::input) {  // the client got part of a response
      spdlog::warn("{} upstream {} response truncated: {}", client_.address(), lease_->text,
                   timed_out_ ? "no data in time" : outcome.ec.message());
      co_return ExchangeResult{Kind::upstream_truncated, status, outcome.ec, false, timed_out_};
    }
    if (outcome.failure == http::RelayFailure::output) {
      spdlog::debug("{} response relay to the client stopped: {}", client_.address(), outcome.ec.message());
      co_return ExchangeResult{Kind::client_gone, status, outcome.ec};
    }
    if (upstream_keep_alive && !upgrade && response->is_done() && buffer.size() == 0 && !timed_out_)
      worker_.upstreams.give_back(lease_->pool_key, std::move(*upstream));
    // A refused upgrade may have left the client's bytes unframed: that connection does not go on.
    co_return ExchangeResult{Kind::done, status, {}, outcome.keep_open && !upgrade};
  }
}

// 101: the client gets the upstream's answer with the upgrade headers it needs, then the bytes flow
// both ways under the connection's idle timeout; the exchange's own deadline is done.
net::awaitable<ExchangeResult> UpstreamExchange::tunnel(Downstream& downstream,
                                                        proxy::UpstreamStream& upstream, Response& response,
                                                        const std::string& upgrade_to) {
  socket_ = nullptr;
  response.set(bhttp::field::connection, "Upgrade");
  response.set(bhttp::field::upgrade, upgrade_to);
  NoBody none;
  const auto outcome =
      co_await downstream.relay_response(response, ResponseFraming{true, std::nullopt, false}, none);
  if (outcome.failure != http::RelayFailure::none)
    co_return ExchangeResult{Kind::client_gone, 101, outcome.ec};
  auto& early = downstream.upstream_buffer();
  const auto data = early.data();
  co_await downstream.tunnel(upstream, {static_cast<const char*>(data.data()), data.size()});
  co_return ExchangeResult{Kind::done, 101, {}, false};
}

}  // namespace certgate::request
