// One worker's view of one route's upstreams: the endpoints (every address of every target), how many
// requests each has in flight, and whether it is usable (passive ejection after a refused or timed-out
// connection, active health-check marks). `pick` applies the route's lb_policy to the usable endpoints, or
// to all of them when none is usable (Envoy's panic mode: trying beats failing every request). Touched by
// the worker's thread only, so plain counters, no locks.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "proxy/upstream_set.h"

namespace certgate::proxy {

class Balancer {
 public:
  using Clock = std::chrono::steady_clock;

  // One address of one target. Endpoints are never destroyed while the Balancer lives (an address a DNS
  // refresh drops is only marked `gone`), so an exchange may hold a pointer across suspensions.
  struct Endpoint {
    std::size_t target = 0;  // index into targets()
    net::tcp::endpoint address;
    std::string pool_key;  // the target's, plus the address
    std::string text;      // "http://name:port (address)" for logs
    unsigned in_flight = 0;
    Clock::time_point ejected_until{};
    bool down = false;  // marked by the active health check
    bool gone = false;  // no longer among the target's addresses
    int streak = 0;     // health-check results in a row: > 0 successes, < 0 failures
    bool probing = false;
  };

  explicit Balancer(const UpstreamSet& set);

  const std::string& key() const { return key_; }
  const config::UpstreamBalancing& settings() const { return settings_; }
  const std::vector<UpstreamTarget>& targets() const { return targets_; }
  std::deque<Endpoint>& endpoints() { return endpoints_; }

  // The endpoint for the next request, never one in `tried`; null when every endpoint was tried.
  Endpoint* pick(Clock::time_point now, std::span<Endpoint* const> tried = {});
  // Passive health: `endpoint` refused a connection or did not accept it in time.
  void eject(Endpoint& endpoint, Clock::time_point now);
  // Active health: one health-check result.
  void record_check(Endpoint& endpoint, bool healthy);
  // A DNS refresh's answer for target `index`: new addresses join, missing ones are marked gone.
  void set_addresses(std::size_t index, const std::vector<net::tcp::endpoint>& addresses);

  // Requests in flight over all endpoints, and maintenance tasks (probes, DNS) that refer to this object:
  // a retired Balancer is deleted only when both are zero.
  unsigned in_flight() const { return in_flight_; }
  void acquire(Endpoint& e) {
    ++e.in_flight;
    ++in_flight_;
  }
  void release(Endpoint& e) {
    --e.in_flight;
    --in_flight_;
  }
  unsigned tasks = 0;
  bool resolving = false;
  Clock::time_point next_dns{};    // when the names are resolved again
  Clock::time_point next_check{};  // when the next round of health checks starts

 private:
  bool usable(const Endpoint& e, Clock::time_point now) const { return !e.down && now >= e.ejected_until; }
  void add_endpoint(std::size_t target, const net::tcp::endpoint& address);

  std::string key_;
  config::UpstreamBalancing settings_;
  std::vector<UpstreamTarget> targets_;
  std::deque<Endpoint> endpoints_;
  std::size_t cursor_ = 0;  // round robin, and the tie-break of least_request
  unsigned in_flight_ = 0;
  std::minstd_rand random_;
};

// An endpoint taken for one request: counted in flight (least_request) until released or moved.
class Lease {
 public:
  Lease() = default;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { reset(); }

  void take(Balancer& balancer, Balancer::Endpoint& endpoint) {
    reset();
    balancer.acquire(endpoint);
    balancer_ = &balancer;
    endpoint_ = &endpoint;
  }
  void reset() {
    if (endpoint_) balancer_->release(*endpoint_);
    endpoint_ = nullptr;
  }
  Balancer::Endpoint* operator->() const { return endpoint_; }
  Balancer::Endpoint& operator*() const { return *endpoint_; }
  explicit operator bool() const { return endpoint_ != nullptr; }

 private:
  Balancer* balancer_ = nullptr;
  Balancer::Endpoint* endpoint_ = nullptr;
};

}  // namespace certgate::proxy
