// The pure decisions of revocation checking: modes, cache lifetimes, the answer cache, URLs, warning
// rate limits and counters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "config/http_url.h"
#include "revocation/answer_cache.h"
#include "revocation/metrics.h"
#include "revocation/mode.h"
#include "revocation/warn_limiter.h"

using namespace certgate;
using namespace certgate::revocation;
using config::host_header;
using config::parse_http_url;
using config::RevocationMode;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(RevocationMode, IgnoreCaErrorRejectsOnlyRevoked) {
  EXPECT_FALSE(apply_mode(RevocationMode::ignore_ca_error, Status::good).reject);
  EXPECT_FALSE(apply_mode(RevocationMode::ignore_ca_error, Status::good).warn);
  const auto revoked = apply_mode(RevocationMode::ignore_ca_error, Status::revoked);
  EXPECT_TRUE(revoked.reject);
  EXPECT_EQ(revoked.reason, Reason::revoked);
  const auto unknown = apply_mode(RevocationMode::ignore_ca_error, Status::unknown);
  EXPECT_FALSE(unknown.reject);
  EXPECT_TRUE(unknown.warn);
}

TEST(RevocationMode, StrictAcceptsOnlyGood) {
  EXPECT_FALSE(apply_mode(RevocationMode::strict, Status::good).reject);
  EXPECT_EQ(apply_mode(RevocationMode::strict, Status::revoked).reason, Reason::revoked);
  const auto unknown = apply_mode(RevocationMode::strict, Status::unknown);
  EXPECT_TRUE(unknown.reject);
  EXPECT_EQ(unknown.reason, Reason::revocation_unknown);
  EXPECT_FALSE(unknown.warn);
}

TEST(RevocationMode, SkipNeverRejects) {
  for (auto s : {Status::good, Status::revoked, Status::unknown}) {
    EXPECT_FALSE(apply_mode(RevocationMode::skip, s).reject);
    EXPECT_FALSE(apply_mode(RevocationMode::skip, s).warn);
  }
}

TEST(CacheUntil, NextUpdateCappedByTtl) {
  const auto t0 = WallClock::from_time_t(1'800'000'000);
  const auto t0_t = WallClock::to_time_t(t0);
  EXPECT_EQ(cache_until(t0, t0_t + 600, hours(1)), t0 + minutes(10));     // nextUpdate first
  EXPECT_EQ(cache_until(t0, t0_t + 7 * 86400, hours(1)), t0 + hours(1));  // the cap first
  EXPECT_EQ(cache_until(t0, std::nullopt, hours(1)), t0 + hours(1));      // no nextUpdate: the cap
  EXPECT_EQ(cache_until(t0, t0_t + 600, seconds(0)), t0);                 // cache_ttl 0: not reused
}

TEST(CacheUntil, StaleAnswerIsRetriedSoon) {
  const auto t0 = WallClock::from_time_t(1'800'000'000);
  const auto t0_t = WallClock::to_time_t(t0);
  EXPECT_EQ(cache_until(t0, t0_t - 10, hours(1)), t0 + kStaleRetry);
  EXPECT_EQ(cache_until(t0, t0_t - 10, seconds(5)), t0 + seconds(5));
}

TEST(AnswerCache, ExpiredEntriesAreNotReturned) {
  AnswerCache<int> cache;
  const auto t0 = WallClock::from_time_t(1'800'000'000);
  cache.put("a", 1, t0 + seconds(10), t0);
  ASSERT_NE(cache.find("a", t0 + seconds(9)), nullptr);
  EXPECT_EQ(*cache.find("a", t0 + seconds(9)), 1);
  EXPECT_EQ(cache.find("a", t0 + seconds(10)), nullptr);
  EXPECT_EQ(cache.size(), 0u);  // dropped on the way
  cache.put("b", 2, t0, t0);    // already expired: not stored
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AnswerCache, PurgesWhenFull) {
  AnswerCache<int> cache(4);
  const auto t0 = WallClock::from_time_t(1'800'000'000);
  for (int i = 0; i < 4; ++i)
    cache.put("old" + std::to_string(i), i, t0 + seconds(1), t0);
  cache.put("new", 9, t0 + hours(1), t0 + seconds(5));  // the old ones have expired by then
  EXPECT_EQ(cache.size(), 1u);
  cache.put("new", 10, t0 + hours(1), t0 + seconds(5));  // replaces
  EXPECT_EQ(*cache.find("new", t0 + seconds(6)), 10);
}

TEST(HttpUrl, ParsesHttpOnly) {
  auto u = parse_http_url("http://ocsp.Example.test:8080/path/x.crl?a=1#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "ocsp.example.test");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/path/x.crl?a=1");
  EXPECT_EQ(host_header(*u), "ocsp.example.test:8080");

  u = parse_http_url("HTTP://127.0.0.1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(host_header(*u), "127.0.0.1");

  u = parse_http_url("http://[::1]:9/ocsp");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(host_header(*u), "[::1]:9");

  u = parse_http_url("http://h?q");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->target, "/?q");

  for (const char* bad :
       {"https://ocsp.example", "ldap://x/cn=crl", "http://", "http://:80/", "http://u@h/", "http://h:0/",
        "http://h:70000/", "http://h:x/", "http://h/a b", "http://[::1/", "ocsp.example", ""}) {
    EXPECT_FALSE(parse_http_url(bad)) << bad;
  }
}

TEST(WarnLimiter, OncePerIntervalPerKey) {
  WarnLimiter limiter(seconds(10));
  const auto t0 = std::chrono::steady_clock::time_point{} + hours(1);
  EXPECT_TRUE(limiter.allow("a", t0));
  EXPECT_FALSE(limiter.allow("a", t0 + seconds(9)));
  EXPECT_TRUE(limiter.allow("b", t0 + seconds(9)));
  EXPECT_TRUE(limiter.allow("a", t0 + seconds(10)));
}

TEST(RevocationMetrics, CountsAreSummedOverBlocks) {
  CounterRegistry registry;
  Counters& main_block = registry.add_block();
  main_block.add(Counter::ocsp_fetches);
  std::thread([&registry] {
    Counters& mine = registry.add_block();
    mine.add(Counter::ocsp_fetches);
    mine.add(Counter::crl_dp_cache_hits);
  }).join();
  // The block of a thread that has ended still counts.
  const auto after = registry.snapshot();
  EXPECT_EQ(after[static_cast<std::size_t>(Counter::ocsp_fetches)], 2u);
  EXPECT_EQ(after[static_cast<std::size_t>(Counter::crl_dp_cache_hits)], 1u);
  EXPECT_EQ(CounterRegistry().snapshot(), CounterSnapshot{});
  EXPECT_NE(format(after).find("ocsp_fetches="), std::string::npos);
  EXPECT_EQ(name(Counter::checks_unknown), "checks_unknown");
}
