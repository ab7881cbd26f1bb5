#include "runtime/ip_connection_counts.h"

#include <gtest/gtest.h>

namespace certgate::runtime {
namespace {

TEST(IpConnectionCounts, AnAddressGetsAtMostLimitPlaces) {
  IpConnectionCounts counts;
  const auto a = net::asio::ip::make_address("192.0.2.1");
  const auto b = net::asio::ip::make_address("2001:db8::1");
  IpConnectionCounts::Slot s1, s2, s3, other;
  EXPECT_TRUE(counts.try_take(a, 2, s1));
  EXPECT_TRUE(counts.try_take(a, 2, s2));
  EXPECT_FALSE(counts.try_take(a, 2, s3));
  EXPECT_TRUE(counts.try_take(b, 2, other));
  EXPECT_EQ(counts.count(a), 2u);
  s1 = IpConnectionCounts::Slot();  // a connection ends
  EXPECT_EQ(counts.count(a), 1u);
  EXPECT_TRUE(counts.try_take(a, 2, s3));
}

TEST(IpConnectionCounts, AMovedSlotIsGivenBackOnce) {
  IpConnectionCounts counts;
  const auto a = net::asio::ip::make_address("192.0.2.1");
  {
    IpConnectionCounts::Slot slot;
    ASSERT_TRUE(counts.try_take(a, 1, slot));
    IpConnectionCounts::Slot moved(std::move(slot));
    EXPECT_EQ(counts.count(a), 1u);
  }
  EXPECT_EQ(counts.count(a), 0u);
}

}  // namespace
}  // namespace certgate::runtime
