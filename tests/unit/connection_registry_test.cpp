#include "server/connection_registry.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace certgate::server {
namespace {

struct Probe final : WatchedConnection {
  int deadlines = 0;
  int drains = 0;
  void on_deadline() override { ++deadlines; }
  void on_drain() override { ++drains; }
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

}  // namespace
}  // namespace certgate::server
