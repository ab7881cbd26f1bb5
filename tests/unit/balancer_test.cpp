// proxy::Balancer: the lb policies, passive ejection, panic mode, health-check marks and DNS answers,
// without sockets.
#include "proxy/balancer.h"

#include <gtest/gtest.h>

#include <map>

using namespace certgate;
using proxy::Balancer;

namespace {

net::tcp::endpoint at(const char* ip, unsigned short port = 80) {
  return {net::asio::ip::make_address(ip), port};
}

proxy::UpstreamSet three(config::LbPolicy policy) {
  proxy::UpstreamSet set;
  set.settings.policy = policy;
  set.settings.health_check = config::HealthCheck{"/healthz"};
  for (const char* ip : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
    proxy::UpstreamTarget t;
    t.text = std::string("http://") + ip;
    t.host = ip;
    t.port = 80;
    t.pool_key = std::string(ip) + ":80";
    t.addresses = {at(ip)};
    set.targets.push_back(t);
  }
  set.key = "three";
  return set;
}

std::string ip_of(const Balancer::Endpoint* e) {
  return e ? e->address.address().to_string() : "none";
}

}  // namespace

TEST(Balancer, RoundRobinTakesTurns) {
  Balancer b(three(config::LbPolicy::round_robin));
  const auto now = Balancer::Clock::now();
  std::map<std::string, int> counts;
  for (int i = 0; i < 30; ++i)
    ++counts[ip_of(b.pick(now))];
  EXPECT_EQ(counts, (std::map<std::string, int>{{"10.0.0.1", 10}, {"10.0.0.2", 10}, {"10.0.0.3", 10}}));
}

TEST(Balancer, LeastRequestAvoidsBusyEndpoints) {
  Balancer b(three(config::LbPolicy::least_request));
  const auto now = Balancer::Clock::now();
  proxy::Lease busy;
  busy.take(b, *b.pick(now));
  const auto busy_ip = ip_of(&*busy);
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(ip_of(b.pick(now)), busy_ip);
  busy.reset();
  EXPECT_EQ(b.in_flight(), 0u);
}

TEST(Balancer, EjectedEndpointIsSkippedUntilItsTimeIsUp) {
  Balancer b(three(config::LbPolicy::round_robin));
  auto now = Balancer::Clock::now();
  b.eject(b.endpoints()[1], now);
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(ip_of(b.pick(now)), "10.0.0.2");
  now += b.settings().eject_for;
  bool seen = false;
  for (int i = 0; i < 3; ++i)
    seen = seen || ip_of(b.pick(now)) == "10.0.0.2";
  EXPECT_TRUE(seen);
}

TEST(Balancer, PanicModeTriesEveryEndpointOnce) {
  Balancer b(three(config::LbPolicy::random));
  const auto now = Balancer::Clock::now();
  for (auto& e : b.endpoints())
    b.eject(e, now);
  std::vector<Balancer::Endpoint*> tried;
  while (auto* e = b.pick(now, tried))
    tried.push_back(e);
  EXPECT_EQ(tried.size(), 3u);
}

TEST(Balancer, HealthChecksMarkDownAndUp) {
  Balancer b(three(config::LbPolicy::round_robin));
  auto& e = b.endpoints()[0];
  for (int i = 0; i < 3; ++i)
    b.record_check(e, false);
  EXPECT_TRUE(e.down);
  b.record_check(e, true);
  EXPECT_TRUE(e.down);
  b.record_check(e, true);
  EXPECT_FALSE(e.down);
}

TEST(Balancer, DnsAnswersReplaceAddresses) {
  Balancer b(three(config::LbPolicy::round_robin));
  b.set_addresses(0, {at("10.0.1.1"), at("10.0.1.2")});
  const auto now = Balancer::Clock::now();
  std::map<std::string, int> counts;
  for (int i = 0; i < 40; ++i)
    ++counts[ip_of(b.pick(now))];
  EXPECT_EQ(counts.count("10.0.0.1"), 0u);
  EXPECT_EQ(counts["10.0.1.1"], 10);
  EXPECT_EQ(counts["10.0.1.2"], 10);
}
