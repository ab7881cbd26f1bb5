#include "server/worker.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "proxy/http_session.h"
#include "proxy/tcp_session.h"

namespace certgate::server {
namespace {

using net::error_code;
constexpr auto kTickInterval = std::chrono::milliseconds(100);
constexpr auto kUpstreamIdleLimit = std::chrono::seconds(30);

using ReusePort = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

Worker::Worker(std::size_t index, std::shared_ptr<log::AccessLogSink> sink,
               std::shared_ptr<const Runtime> runtime, std::size_t max_connections)
    : index_(index), ctx_(std::move(sink)), runtime_(std::move(runtime)) {
  ctx_.max_connections = max_connections;
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
    on_exit();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::install(std::shared_ptr<const Runtime> runtime) {
  net::asio::post(ctx_.io, [this, runtime = std::move(runtime)]() mutable { runtime_ = std::move(runtime); });
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
  });
}

net::awaitable<void> Worker::accept_loop(std::size_t listener_index) {
  auto& acceptor = acceptors_[listener_index];
  for (;;) {
    net::tcp::endpoint peer;  // from accept itself: no getpeername() per connection
    auto [ec, socket] = co_await acceptor.async_accept(peer, net::use_nothrow);
    if (ec == net::asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors or memory: back off instead of spinning.
      spdlog::error("worker {}: accept failed: {}", index_, ec.message());
      net::asio::steady_timer pause(ctx_.io, std::chrono::milliseconds(100));
      co_await pause.async_wait(net::use_nothrow);
      continue;
    }
    if (ctx_.connections.size() >= ctx_.max_connections) continue;  // closes the socket
    const auto& listener = runtime_->listeners()[listener_index];
    if (listener.config->protocol == config::ListenerProtocol::tls) {
      auto session = std::make_unique<proxy::TcpSession>(ctx_, runtime_, listener, std::move(socket), peer);
      net::asio::co_spawn(ctx_.io, proxy::run_tcp_session(std::move(session)), net::asio::detached);
    } else {
      auto session = std::make_unique<proxy::HttpSession>(ctx_, runtime_, listener, std::move(socket), peer);
      proxy::spawn_session(ctx_.io, std::move(session));
    }
  }
}

net::awaitable<void> Worker::tick() {
  net::asio::steady_timer timer(ctx_.io);
  for (;;) {
    timer.expires_after(kTickInterval);
    co_await timer.async_wait(net::use_nothrow);
    const auto now = Clock::now();
    ctx_.connections.tick(now);
    ctx_.upstreams.expire(now, kUpstreamIdleLimit);
    ctx_.access_log.flush();
    if (ctx_.draining && ctx_.connections.empty()) co_return;  // nothing left: the loop ends
  }
}

}  // namespace certgate::server
