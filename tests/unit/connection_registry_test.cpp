#include "runtime/connection_registry.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace certgate::runtime {
namespace {

struct Probe final : WatchedConnection {
  int deadlines = 0;
  int drains = 0;
  int yields = 0;
  void on_deadline() override { ++deadlines; }
  void on_drain() override { ++drains; }
  void on_yield() override { ++yields; }
};

TEST(ConnectionRegistry, CountsConnectionsAsTheyComeAndGo) {
  ConnectionRegistry registry;
  EXPECT_TRUE(registry.empty());
  std::vector<std::unique_ptr<Probe>> probes;
  for (int i = 0; i < 5; ++i) {
    probes.push_back(std::make_unique<Probe>());
    registry.add(*probes.back());
  }
  EXPECT_EQ(registry.size(), 5u);
  probes.erase(probes.begin() + 2);  // a connection closes: it leaves by itself
  EXPECT_EQ(registry.size(), 4u);
  probes.clear();
  EXPECT_EQ(registry.size(), 0u);
  EXPECT_TRUE(registry.empty());
}

TEST(ConnectionRegistry, TickFiresOnlyPassedDeadlinesOnce) {
  ConnectionRegistry registry;
  Probe due, later, unarmed;
  registry.add(due);
  registry.add(later);
  registry.add(unarmed);
  const auto now = Clock::now();
  due.arm_until(now - std::chrono::milliseconds(1));
  later.arm_until(now + std::chrono::hours(1));
  registry.tick(now);
  registry.tick(now);
  EXPECT_EQ(due.deadlines, 1);
  EXPECT_EQ(later.deadlines, 0);
  EXPECT_EQ(unarmed.deadlines, 0);
  registry.drain();
  EXPECT_EQ(due.drains + later.drains + unarmed.drains, 3);
}

TEST(ConnectionRegistry, ConnectionsMayOutliveTheRegistry) {
  auto survivor = std::make_unique<Probe>();
  {
    ConnectionRegistry registry;
    registry.add(*survivor);
  }
  survivor.reset();  // must not touch the destroyed registry (ASan would report it)
  SUCCEED();
}

TEST(ConnectionRegistry, CountsHandshakingAndEstablishedApart) {
  ConnectionRegistry registry;
  Probe a, b, c;
  registry.add(a);
  registry.add(b);
  registry.add(c);
  EXPECT_EQ(registry.handshaking(), 3u);
  EXPECT_EQ(registry.established(), 0u);
  registry.established(b);
  registry.established(b);  // twice is once
  EXPECT_EQ(registry.handshaking(), 2u);
  EXPECT_EQ(registry.established(), 1u);
  {
    Probe gone;
    registry.add(gone);
    EXPECT_EQ(registry.handshaking(), 3u);
  }
  EXPECT_EQ(registry.handshaking(), 2u);
  EXPECT_EQ(registry.size(), 3u);
}

TEST(ConnectionRegistry, TheOldestHandshakeYieldsAndCountsAsNeither) {
  ConnectionRegistry registry;
  auto first = std::make_unique<Probe>();
  Probe second, third;
  registry.add(*first);
  registry.add(second);
  registry.add(third);
  registry.established(second);
  ASSERT_TRUE(registry.yield_oldest_handshake());
  EXPECT_EQ(first->yields, 1);
  EXPECT_EQ(registry.handshaking(), 1u);
  EXPECT_EQ(registry.established(), 1u);
  first.reset();  // the yielded connection closes
  EXPECT_EQ(registry.size(), 2u);
  EXPECT_EQ(registry.established(), 1u);
  ASSERT_TRUE(registry.yield_oldest_handshake());
  EXPECT_EQ(third.yields, 1);
  EXPECT_EQ(second.yields, 0);  // established connections never yield
  EXPECT_FALSE(registry.yield_oldest_handshake());
}

}  // namespace
}  // namespace certgate::runtime
