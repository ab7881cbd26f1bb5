#include "server/fd_budget.h"

#include <gtest/gtest.h>

#include "server/refusal_counter.h"

namespace certgate::server {
namespace {

TEST(FdBudget, CapsThatFitAreKept) {
  const ConnectionCaps wanted{1000, 100};
  EXPECT_EQ(descriptors_needed(wanted), 2000u + 100u + kReservedDescriptors);
  const auto caps = fit_caps(wanted, 1'000'000);
  EXPECT_EQ(caps.max_connections, 1000u);
  EXPECT_EQ(caps.max_handshaking, 100u);
}

TEST(FdBudget, CapsAreLoweredToFitTheLimit) {
  const auto caps = fit_caps({100000, 1024}, 1024);
  EXPECT_LE(descriptors_needed(caps), 1024u);
  EXPECT_EQ(caps.max_handshaking, (1024u - kReservedDescriptors) / 4);
  EXPECT_GT(caps.max_connections, 300u);
}

TEST(FdBudget, ATinyLimitStillLeavesOneOfEach) {
  const auto caps = fit_caps({100, 100}, 10);
  EXPECT_EQ(caps.max_connections, 1u);
  EXPECT_EQ(caps.max_handshaking, 1u);
}

TEST(RefusalCounter, CountsEveryRefusal) {
  RefusalCounter counter("connection refused: test", "refused", std::chrono::hours(1));
  const auto now = RefusalCounter::Clock::now();
  for (int i = 0; i < 1000; ++i)
    counter.count(now);
  counter.report(now);
  EXPECT_EQ(counter.total(), 1000u);
}

}  // namespace
}  // namespace certgate::server
