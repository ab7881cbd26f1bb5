#include "proxy/balancers.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace certgate::proxy {
namespace {

// Keeps a Balancer alive (it is deleted only without tasks) while a check or lookup refers to it.
struct TaskCount {
  explicit TaskCount(Balancer& b) : balancer(b) { ++balancer.tasks; }
  ~TaskCount() { --balancer.tasks; }
  TaskCount(const TaskCount&) = delete;
  TaskCount& operator=(const TaskCount&) = delete;
  Balancer& balancer;
};

class Lookup final : public Abortable {
 public:
  explicit Lookup(net::asio::io_context& io) : resolver(io) {}
  void abort() override { resolver.cancel(); }
  net::tcp::resolver resolver;
};

net::awaitable<void> check_endpoint(Balancer& balancer, Balancer::Endpoint& endpoint,
                                    net::asio::io_context& io, AbortList& running) {
  TaskCount task(balancer);
  const auto& target = balancer.targets()[endpoint.target];
  const bool healthy =
      co_await probe_endpoint(io, endpoint.address, target, *balancer.settings().health_check, running);
  endpoint.probing = false;
  balancer.record_check(endpoint, healthy);
}

net::awaitable<void> resolve_targets(Balancer& balancer, net::asio::io_context& io, AbortList& running) {
  TaskCount task(balancer);
  for (std::size_t i = 0; i < balancer.targets().size(); ++i) {
    const auto& target = balancer.targets()[i];
    if (!target.is_name) continue;
    auto lookup = std::make_shared<Lookup>(io);
    running.push_back(lookup);
    auto [ec, results] =
        co_await lookup->resolver.async_resolve(target.host, std::to_string(target.port), net::use_nothrow);
    if (ec == net::asio::error::operation_aborted) break;
    if (ec || results.empty()) {
      // The addresses known so far stay in use: a failed lookup is no reason to lose every upstream.
      spdlog::warn("upstream {}: cannot resolve {} again ({}); keeping the previous addresses", target.text,
                   target.host, ec ? ec.message() : "no address");
      continue;
    }
    std::vector<net::tcp::endpoint> addresses;
    for (const auto& entry : results)
      addresses.push_back(entry.endpoint());
    balancer.set_addresses(i, addresses);
  }
  balancer.resolving = false;
}

}  // namespace

Balancer& Balancers::get(const UpstreamSet& set) {
  auto it = by_key_.find(set.key);
  if (it != by_key_.end()) return *it->second;
  auto balancer = std::make_unique<Balancer>(set);
  balancer->next_dns = Clock::now() + set.settings.dns_refresh;
  return *by_key_.emplace(set.key, std::move(balancer)).first->second;
}

void Balancers::adopt(const std::vector<const UpstreamSet*>& sets) {
  current_.clear();
  for (const auto* set : sets) {
    get(*set);
    current_.insert(set->key);
  }
}

void Balancers::tick(Clock::time_point now, net::asio::io_context& io) {
  if (stopped_) return;
  std::erase_if(running_, [](const auto& weak) { return weak.expired(); });
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    auto& balancer = *it->second;
    if (!current_.contains(it->first)) {  // retired: deleted once nothing refers to it
      if (balancer.in_flight() == 0 && balancer.tasks == 0) {
        it = by_key_.erase(it);
      } else {
        ++it;
      }
      continue;
    }
    if (balancer.settings().health_check && now >= balancer.next_check) start_checks(balancer, now, io);
    if (now >= balancer.next_dns && !balancer.resolving) start_dns(balancer, now, io);
    ++it;
  }
}

void Balancers::start_checks(Balancer& balancer, Clock::time_point now, net::asio::io_context& io) {
  balancer.next_check = now + balancer.settings().health_check->interval;
  for (auto& endpoint : balancer.endpoints()) {
    if (endpoint.gone || endpoint.probing) continue;
    endpoint.probing = true;
    net::asio::co_spawn(io, check_endpoint(balancer, endpoint, io, running_), net::asio::detached);
  }
}

void Balancers::start_dns(Balancer& balancer, Clock::time_point now, net::asio::io_context& io) {
  balancer.next_dns = now + balancer.settings().dns_refresh;
  const auto& targets = balancer.targets();
  if (std::none_of(targets.begin(), targets.end(), [](const auto& t) { return t.is_name; })) return;
  balancer.resolving = true;
  net::asio::co_spawn(io, resolve_targets(balancer, io, running_), net::asio::detached);
}

void Balancers::stop() {
  stopped_ = true;
  for (auto& weak : running_) {
    if (auto running = weak.lock()) running->abort();
  }
  running_.clear();
}

}  // namespace certgate::proxy
