#include "proxy/balancer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace certgate::proxy {
namespace {

bool contains(std::span<Balancer::Endpoint* const> list, const Balancer::Endpoint* e) {
  return std::find(list.begin(), list.end(), e) != list.end();
}

}  // namespace

Balancer::Balancer(const UpstreamSet& set)
    : key_(set.key), settings_(set.settings), targets_(set.targets), random_(std::random_device{}()) {
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    for (const auto& address : targets_[t].addresses)
      add_endpoint(t, address);
  }
}

void Balancer::add_endpoint(std::size_t target, const net::tcp::endpoint& address) {
  Endpoint e;
  e.target = target;
  e.address = address;
  const auto& t = targets_[target];
  const auto ip = address.address().to_string();
  e.pool_key = t.pool_key + "@" + ip;
  e.text = t.is_name ? t.text + " (" + ip + ")" : t.text;
  endpoints_.push_back(std::move(e));
}

Balancer::Endpoint* Balancer::pick(Clock::time_point now, std::span<Endpoint* const> tried) {
  const auto n = endpoints_.size();
  const auto candidate = [&](const Endpoint& e) { return !e.gone && !contains(tried, &e); };
  bool any_usable = false;
  bool any = false;
  for (const auto& e : endpoints_) {
    if (!candidate(e)) continue;
    any = true;
    any_usable = any_usable || usable(e, now);
  }
  if (!any) return nullptr;
  // Panic mode: with no usable endpoint left, every candidate is tried rather than failing the request.
  const auto eligible = [&](const Endpoint& e) { return candidate(e) && (!any_usable || usable(e, now)); };
  Endpoint* chosen = nullptr;
  std::size_t chosen_index = 0;
  if (settings_.policy == config::LbPolicy::random) {
    std::size_t count = 0;
    for (const auto& e : endpoints_)
      count += eligible(e) ? 1 : 0;
    auto skip = std::uniform_int_distribution<std::size_t>(0, count - 1)(random_);
    for (std::size_t i = 0; i < n && !chosen; ++i) {
      if (eligible(endpoints_[i]) && skip-- == 0) chosen = &endpoints_[i];
    }
    return chosen;
  }
  // Round robin: the first eligible endpoint from the cursor on. Least request: the one with the fewest
  // requests in flight, ties going to the first from the cursor on (so equal loads still rotate).
  for (std::size_t step = 0; step < n; ++step) {
    const auto i = (cursor_ + step) % n;
    auto& e = endpoints_[i];
    if (!eligible(e)) continue;
    if (!chosen || (settings_.policy == config::LbPolicy::least_request && e.in_flight < chosen->in_flight)) {
      chosen = &e;
      chosen_index = i;
      if (settings_.policy == config::LbPolicy::round_robin) break;
    }
  }
  cursor_ = (chosen_index + 1) % n;
  return chosen;
}

void Balancer::eject(Endpoint& e, Clock::time_point now) {
  if (settings_.eject_for.count() <= 0) return;
  if (now >= e.ejected_until) {
    spdlog::warn("upstream {} skipped for {} ms: connection failed", e.text, settings_.eject_for.count());
  }
  e.ejected_until = now + settings_.eject_for;
}

void Balancer::record_check(Endpoint& e, bool healthy) {
  const auto& hc = *settings_.health_check;
  if (healthy) {
    e.streak = std::max(e.streak, 0) + 1;
    if (e.down && e.streak >= hc.healthy) {
      e.down = false;
      e.ejected_until = {};  // the check proved it answers again
      spdlog::info("upstream {} is healthy again ({} checks passed)", e.text, e.streak);
    }
  } else {
    e.streak = std::min(e.streak, 0) - 1;
    if (!e.down && -e.streak >= hc.unhealthy) {
      e.down = true;
      spdlog::warn("upstream {} marked down: {} health checks failed", e.text, -e.streak);
    }
  }
}

void Balancer::set_addresses(std::size_t index, const std::vector<net::tcp::endpoint>& addresses) {
  for (auto& e : endpoints_) {
    if (e.target != index) continue;
    const bool listed = std::find(addresses.begin(), addresses.end(), e.address) != addresses.end();
    if (e.gone != !listed) {
      spdlog::info("upstream {} {} by DNS", e.text, listed ? "is back" : "is no longer returned");
      e.gone = !listed;
    }
  }
  for (const auto& address : addresses) {
    const bool known = std::any_of(endpoints_.begin(), endpoints_.end(), [&](const Endpoint& e) {
      return e.target == index && e.address == address;
    });
    if (!known) {
      add_endpoint(index, address);
      spdlog::info("upstream {} added by DNS", endpoints_.back().text);
    }
  }
}

}  // namespace certgate::proxy
