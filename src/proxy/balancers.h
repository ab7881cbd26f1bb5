// A worker's Balancers, one per set of upstreams (UpstreamSet::key), and their upkeep from the worker's
// tick: the active health checks and the DNS refreshes of the installed generation's routes. Each worker
// checks and resolves on its own (no state shared between workers on the request path); the lookups use
// Asio's asynchronous resolver, whose getaddrinfo runs off the worker's loop.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "proxy/balancer.h"
#include "proxy/health_probe.h"

namespace certgate::proxy {

class Balancers {
 public:
  using Clock = Balancer::Clock;

  // The Balancer of `set`, made on first use.
  Balancer& get(const UpstreamSet& set);
  // The sets of the generation now installed: they are kept up; the others retire (deleted once idle).
  void adopt(const std::vector<const UpstreamSet*>& sets);
  // Starts the health checks and DNS lookups that are due on `io`.
  void tick(Clock::time_point now, net::asio::io_context& io);
  // Draining: no new checks or lookups; the running ones are cancelled.
  void stop();

 private:
  void start_checks(Balancer& balancer, Clock::time_point now, net::asio::io_context& io);
  void start_dns(Balancer& balancer, Clock::time_point now, net::asio::io_context& io);

  std::unordered_map<std::string, std::unique_ptr<Balancer>> by_key_;
  std::unordered_set<std::string> current_;
  AbortList running_;
  bool stopped_ = false;
};

}  // namespace certgate::proxy
