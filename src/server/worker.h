// One event loop on one thread, with its own SO_REUSEPORT acceptor per listener: the kernel spreads
// new connections over workers, and nothing a connection touches is shared with another worker
// (except the immutable Runtime and OpenSSL's thread-safe contexts).
#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "runtime/ip_connection_counts.h"
#include "runtime/runtime.h"
#include "runtime/worker_context.h"
#include "server/fd_budget.h"
#include "server/refusal_counter.h"

namespace certgate::server {

class Worker {
 public:
  // `caps`: this worker's share; `refusals`, `per_ip`, `revocation`, `inventory`: the server's, which
  // outlive the worker.
  Worker(std::size_t index, std::shared_ptr<log::AccessLogSink> sink,
         std::shared_ptr<const runtime::Runtime> runtime, runtime::ConnectionCaps caps, Refusals& refusals,
         runtime::IpConnectionCounts& per_ip, revocation::Service& revocation,
         inventory::ClientInventory& inventory);
  ~Worker();

  // Binds every listener (throws std::system_error, e.g. address in use).
  void open_listeners();
  // Runs the loop on a new thread; `on_exit` runs on that thread when the loop ends.
  void start(std::function<void()> on_exit);
  void join();

  // Thread-safe: new connections use `runtime`; existing ones keep theirs.
  void install(std::shared_ptr<const runtime::Runtime> runtime);
  // Thread-safe: stop accepting, close idle connections, finish busy ones, then end the loop.
  void drain();
  // Thread-safe to read (relaxed atomics): this worker's counters, for the admin API.
  const runtime::WorkerMetrics& metrics() const { return ctx_.metrics; }
  // Thread-safe: end the loop now, whatever is in flight.
  void stop() { ctx_.io.stop(); }

 private:
  net::awaitable<void> accept_loop(std::size_t listener_index);
  net::awaitable<void> tick();
  // Whether a new connection may start: refuses it at max_connections and max_connections_per_ip
  // (`slot` then holds its place), and at max_handshaking_connections makes the oldest handshake give way.
  bool admit(const net::tcp::endpoint& peer, runtime::IpConnectionCounts::Slot& slot);

  std::size_t index_;
  runtime::WorkerContext ctx_;
  std::shared_ptr<const runtime::Runtime> runtime_;
  Refusals& refusals_;
  runtime::IpConnectionCounts& per_ip_;
  std::vector<net::tcp::acceptor> acceptors_;
  std::thread thread_;
};

}  // namespace certgate::server
