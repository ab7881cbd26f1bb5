#include "server/worker.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "session/http1_connection.h"
#include "session/tcp_session.h"

namespace certgate::server {
namespace {

using net::error_code;
constexpr auto kTickInterval = std::chrono::milliseconds(100);
constexpr auto kUpstreamIdleLimit = std::chrono::seconds(30);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

using ReusePort = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

Worker::Worker(std::size_t index, std::shared_ptr<log::AccessLogSink> sink,
               std::shared_ptr<const runtime::Runtime> runtime, runtime::ConnectionCaps caps,
               Refusals& refusals, runtime::IpConnectionCounts& per_ip, revocation::Service& revocation,
               inventory::ClientInventory& inventory)
    : index_(index),
      ctx_(std::move(sink), revocation),
      runtime_(std::move(runtime)),
      refusals_(refusals),
      per_ip_(per_ip) {
  ctx_.caps = caps;
  ctx_.balancers.adopt(runtime_->upstream_sets());
  ctx_.inventory.attach(inventory);
}

Worker::~Worker() {
  join();
}

void Worker::open_listeners() {
  for (const auto& listener : runtime_->config().listeners) {
    const auto address = net::asio::ip::make_address(listener.host);
    net::tcp::endpoint endpoint(address, listener.port);
    net::tcp::acceptor acceptor(ctx_.io);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::tcp::acceptor::reuse_address(true));
    acceptor.set_option(ReusePort(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::asio::socket_base::max_listen_connections);
    acceptors_.push_back(std::move(acceptor));
  }
}

void Worker::start(std::function<void()> on_exit) {
  for (std::size_t i = 0; i < acceptors_.size(); ++i) {
    net::asio::co_spawn(ctx_.io, accept_loop(i), net::asio::detached);
  }
  net::asio::co_spawn(ctx_.io, tick(), net::asio::detached);
  thread_ = std::thread([this, on_exit = std::move(on_exit)] {
    ctx_.io.run();
    ctx_.access_log.flush();
    ctx_.inventory.flush();
    on_exit();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::install(std::shared_ptr<const runtime::Runtime> runtime) {
  net::asio::post(ctx_.io, [this, runtime = std::move(runtime)]() mutable {
    runtime_ = std::move(runtime);
    ctx_.balancers.adopt(runtime_->upstream_sets());
  });
}

void Worker::drain() {
  net::asio::post(ctx_.io, [this] {
    ctx_.draining = true;
    for (auto& acceptor : acceptors_) {
      error_code ec;
      acceptor.close(ec);
    }
    ctx_.connections.drain();
    ctx_.upstreams.clear();
    ctx_.balancers.stop();
  });
}

net::awaitable<void> Worker::accept_loop(std::size_t listener_index) {
  auto& acceptor = acceptors_[listener_index];
  for (;;) {
    net::tcp::endpoint peer;  // from accept itself: no getpeername() per connection
    auto [ec, socket] = co_await acceptor.async_accept(peer, net::use_nothrow);
    if (ec == net::asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors or memory (EMFILE, ENFILE, ENOBUFS): back off instead of spinning, as
      // nginx and Envoy do; the pending connections wait in the backlog meanwhile.
      refusals_.accept_failed.count();
      spdlog::debug("worker {}: accept failed: {}", index_, ec.message());
      net::asio::steady_timer pause(ctx_.io, kAcceptPause);
      co_await pause.async_wait(net::use_nothrow);
      continue;
    }
    runtime::IpConnectionCounts::Slot slot;
    if (!admit(peer, slot)) continue;  // closes the socket
    const auto& listener = runtime_->listeners()[listener_index];
    if (listener.config->protocol == config::ListenerProtocol::tls) {
      auto connection =
          std::make_unique<session::TcpSession>(ctx_, runtime_, listener, std::move(socket), peer);
      connection->hold(std::move(slot));
      connection->hold(runtime::OpenConnectionToken(ctx_.metrics.open_connections(listener_index)));
      net::asio::co_spawn(ctx_.io, session::run_tcp_session(std::move(connection)), net::asio::detached);
    } else {
      auto connection =
          std::make_unique<session::Http1Connection>(ctx_, runtime_, listener, std::move(socket), peer);
      connection->hold(std::move(slot));
      connection->hold(runtime::OpenConnectionToken(ctx_.metrics.open_connections(listener_index)));
      session::spawn(ctx_.io, std::move(connection));
    }
  }
}

bool Worker::admit(const net::tcp::endpoint& peer, runtime::IpConnectionCounts::Slot& slot) {
  if (ctx_.connections.established() >= ctx_.caps.max_connections) {
    refusals_.max_connections.count();
    return false;
  }
  // Read per connection, so a reload changes it for new connections.
  const auto per_ip = runtime_->config().limits.max_connections_per_ip;
  if (per_ip > 0 && !per_ip_.try_take(peer.address(), per_ip, slot)) {
    refusals_.max_per_ip.count();
    return false;
  }
  // Idle sockets that never finish a handshake must not lock out the clients that do: the oldest
  // handshake (the likeliest to be stalled) closes to make room.
  if (ctx_.connections.handshaking() >= ctx_.caps.max_handshaking &&
      ctx_.connections.yield_oldest_handshake())
    refusals_.max_handshaking.count();
  return true;
}

net::awaitable<void> Worker::tick() {
  net::asio::steady_timer timer(ctx_.io);
  for (;;) {
    timer.expires_after(kTickInterval);
    co_await timer.async_wait(net::use_nothrow);
    const auto now = runtime::Clock::now();
    ctx_.connections.tick(now);
    ctx_.upstreams.expire(now, kUpstreamIdleLimit);
    ctx_.balancers.tick(now, ctx_.io);
    ctx_.access_log.flush();
    ctx_.inventory.flush();
    refusals_.report(now);
    if (ctx_.draining && ctx_.connections.empty()) co_return;  // nothing left: the loop ends
  }
}

}  // namespace certgate::server
