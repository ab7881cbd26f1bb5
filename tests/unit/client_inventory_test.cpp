// The client-certificate inventory: LRU bound, counts and last values, the per-worker batch, the
// expiring filter, the JSON for the admin API, and the memory one entry costs.
#include "inventory/client_inventory.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <nlohmann/json.hpp>

#include "inventory/worker_recorder.h"

using namespace certgate;
using namespace std::chrono_literals;
using inventory::ClientInventory;
using inventory::Clock;
using inventory::Sighting;

namespace {

const Clock::time_point kNow = Clock::from_time_t(1'800'000'000);

std::shared_ptr<const auth::CertificateFacts> facts(int n, std::chrono::seconds expires_in = 24h * 365) {
  auto f = std::make_shared<auth::CertificateFacts>();
  f->subject_dn = "CN=device-" + std::to_string(n) + ",O=Example Devices,C=DE";
  f->issuer_dn = "CN=Example Device CA 2026,O=Example Devices,C=DE";
  f->serial = "3A0F1C2D4E5F60718293A4B5C6D7E8F9" + std::to_string(10000000 + n);
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", n);
  f->fingerprint = hex;
  f->san = "email:device-" + std::to_string(n) + "@example.com";
  f->not_after_time = Clock::to_time_t(kNow + expires_in);
  f->not_after = "2027-01-15T12:00:00Z";
  return f;
}

Sighting sighting(std::shared_ptr<const auth::CertificateFacts> f,
                  std::string route = "https://app.example.com", std::string consumer = "",
                  Reason reason = Reason::allowed, std::uint32_t count = 1) {
  return Sighting{std::move(f), std::move(route), std::move(consumer), reason, count};
}

void merge(ClientInventory& inv, std::vector<Sighting> batch, Clock::time_point at = kNow) {
  inv.merge(batch, at);
}

std::vector<std::string> subjects(const std::vector<inventory::ClientRecord>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows)
    out.push_back(r.subject.substr(3, r.subject.find(',') - 3));
  return out;
}

TEST(ClientInventory, KeepsAtMostMaxEntriesEvictingTheLeastRecentlySeen) {
  ClientInventory inv(3);
  for (int i = 1; i <= 3; ++i)
    merge(inv, {sighting(facts(i))}, kNow + std::chrono::seconds(i));
  merge(inv, {sighting(facts(1))}, kNow + 10s);  // 1 is the most recent now; 2 the least
  merge(inv, {sighting(facts(4))}, kNow + 11s);
  merge(inv, {sighting(facts(5))}, kNow + 12s);
  EXPECT_EQ(inv.size(), 3u);
  EXPECT_EQ(subjects(inv.rows()), (std::vector<std::string>{"device-5", "device-4", "device-1"}));
}

TEST(ClientInventory, CountsRequestsAndKeepsTheLastRouteConsumerAndReason) {
  ClientInventory inv;
  const auto alice = facts(1);
  merge(inv, {sighting(alice, "https://a.test", "alice", Reason::allowed, 3)}, kNow);
  merge(inv, {sighting(alice, "https://b.test", "", Reason::policy_denied, 2)}, kNow + 5s);
  const auto rows = inv.rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 5u);
  EXPECT_EQ(rows[0].first_seen, kNow);
  EXPECT_EQ(rows[0].last_seen, kNow + 5s);
  EXPECT_EQ(rows[0].last_route, "https://b.test");
  EXPECT_EQ(rows[0].last_consumer, "");
  EXPECT_EQ(rows[0].last_reason, Reason::policy_denied);
  EXPECT_EQ(rows[0].fingerprint, alice->fingerprint);
}

TEST(ClientInventory, OneCertificateFromTwoFactsObjectsIsOneEntry) {
  ClientInventory inv;
  merge(inv, {sighting(facts(7)), sighting(facts(7))});  // two workers computed the facts each
  EXPECT_EQ(inv.size(), 1u);
  EXPECT_EQ(inv.rows()[0].count, 2u);
}

TEST(ClientInventory, ExpiringFilterListsSoonestFirstWithExpiredOnes) {
  ClientInventory inv;
  merge(inv, {sighting(facts(1, 24h * 40)), sighting(facts(2, 24h * 20)), sighting(facts(3, -24h)),
              sighting(facts(4, 24h * 29))});
  EXPECT_EQ(subjects(inv.rows(24h * 30, kNow)),
            (std::vector<std::string>{"device-3", "device-2", "device-4"}));
  EXPECT_EQ(inv.rows(24h * 30, kNow + 24h * 11).size(), 4u);
  EXPECT_EQ(inv.rows(std::nullopt, kNow).size(), 4u);
  EXPECT_EQ(inv.rows(std::nullopt, kNow, 2).size(), 2u);
}

TEST(ClientInventory, SeenSinceAndExpiringCounts) {
  ClientInventory inv;
  merge(inv, {sighting(facts(1, 24h * 10))}, kNow - 24h * 8);  // seen 8 days ago
  merge(inv, {sighting(facts(2, 24h * 10)), sighting(facts(3, 24h * 20)), sighting(facts(4, 24h * 90))},
        kNow);
  EXPECT_EQ(inv.seen_since(kNow - 24h * 7).size(), 3u);
  EXPECT_EQ(inv.count_expiring(kNow - 24h * 7, 24h * 14, kNow), 1u);
  EXPECT_EQ(inv.count_expiring(kNow - 24h * 7, 24h * 30, kNow), 2u);
}

TEST(ClientInventory, SmallerBoundEvictsAtOnceAndZeroTurnsItOff) {
  ClientInventory inv(10);
  for (int i = 0; i < 10; ++i)
    merge(inv, {sighting(facts(i))}, kNow + std::chrono::seconds(i));
  inv.set_max_entries(4);
  EXPECT_EQ(inv.size(), 4u);
  EXPECT_EQ(subjects(inv.rows())[0], "device-9");
  inv.set_max_entries(0);
  EXPECT_FALSE(inv.enabled());
  merge(inv, {sighting(facts(20))});
  EXPECT_EQ(inv.size(), 0u);
}

TEST(ClientInventory, JsonForTheAdminApi) {
  ClientInventory inv;
  merge(inv,
        {sighting(facts(1, 24h * 20), "https://a.test", "alice", Reason::allowed, 2),
         sighting(facts(2, 24h * 300), "https://a.test", "", Reason::revoked, 1)},
        kNow);
  const auto all = inv.to_json(std::nullopt, kNow);
  EXPECT_EQ(all["size"], 2);
  EXPECT_EQ(all["max_entries"], 100000);
  ASSERT_EQ(all["clients"].size(), 2u);
  const auto soon = inv.to_json(24h * 30, kNow);
  ASSERT_EQ(soon["clients"].size(), 1u);
  const auto& row = soon["clients"][0];
  EXPECT_EQ(row["subject"], "CN=device-1,O=Example Devices,C=DE");
  EXPECT_EQ(row["count"], 2);
  EXPECT_EQ(row["days_left"], 20);
  EXPECT_EQ(row["last_route"], "https://a.test");
  EXPECT_EQ(row["last_consumer"], "alice");
  EXPECT_EQ(row["last_reason"], "allowed");
  EXPECT_EQ(row["first_seen"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(row["fingerprint"].get<std::string>().size(), 64u);
  EXPECT_EQ(soon["expiring_within_seconds"], 30 * 86400);
}

TEST(ClientInventory, ParsesExpiringWithin) {
  EXPECT_EQ(inventory::parse_expiring_within("30d"), std::chrono::seconds(30 * 86400));
  EXPECT_EQ(inventory::parse_expiring_within("12h"), std::chrono::seconds(12 * 3600));
  EXPECT_EQ(inventory::parse_expiring_within("90"), std::chrono::seconds(90));
  EXPECT_FALSE(inventory::parse_expiring_within("d"));
  EXPECT_FALSE(inventory::parse_expiring_within("-3d"));
  EXPECT_FALSE(inventory::parse_expiring_within("soon"));
}

TEST(WorkerRecorder, FoldsRepeatedRequestsAndMergesOnFlushOrWhenFull) {
  ClientInventory inv;
  inventory::WorkerRecorder recorder;
  const auto alice = facts(1);
  recorder.record(alice, "https://a.test", "alice", Reason::allowed);  // not attached: ignored
  recorder.attach(inv);
  for (int i = 0; i < 5; ++i)
    recorder.record(alice, "https://a.test", "alice", Reason::allowed);
  recorder.record(alice, "https://a.test", "", Reason::no_certificate);
  EXPECT_EQ(inv.size(), 0u);  // nothing shared before the tick
  recorder.flush(kNow);
  auto rows = inv.rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 6u);
  EXPECT_EQ(rows[0].last_reason, Reason::no_certificate);
  // A full batch merges by itself.
  for (std::size_t i = 0; i <= inventory::WorkerRecorder::kBatch; ++i)
    recorder.record(facts(static_cast<int>(100 + i)), "https://a.test", "", Reason::allowed);
  EXPECT_EQ(inv.size(), 1u + inventory::WorkerRecorder::kBatch);
}

// Memory per entry with realistic facts (subject, issuer, 40-digit serial, SAN): the table's entry, its
// index node and the facts it keeps alive. The figure is in docs/operations.md ("Client inventory").
TEST(ClientInventory, MemoryPerEntryIsBounded) {
  constexpr int kEntries = 20000;
  std::vector<std::shared_ptr<const auth::CertificateFacts>> made;
  const auto before = mallinfo2().uordblks;
  {
    ClientInventory inv(kEntries);
    for (int i = 0; i < kEntries; ++i)
      merge(inv, {sighting(facts(i), "https://app.example.com", "device-operator")});
    const auto after = mallinfo2().uordblks;
    const double per_entry = static_cast<double>(after - before) / kEntries;
    RecordProperty("bytes_per_entry", std::to_string(per_entry));
    std::printf("inventory: %.0f bytes per entry (%d entries)\n", per_entry, kEntries);
    EXPECT_LT(per_entry, 1024.0);
  }
  EXPECT_LT(mallinfo2().uordblks, before + 64 * 1024);  // all of it goes with the table
}

}  // namespace

namespace {

// The request path's cost: a keep-alive client (folded) and clients that alternate (a new sighting each
// time, merged when the batch fills). Printed for docs/operations.md, never asserted: timing targets
// belong in bench/, and a loaded machine must not fail the suite.
TEST(WorkerRecorder, RecordingIsCheap) {
  ClientInventory inv;
  inventory::WorkerRecorder recorder;
  recorder.attach(inv);
  const auto a = facts(1), b = facts(2);
  constexpr int kCalls = 1'000'000;
  const auto timed = [&](auto&& body) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i)
      body(i);
    recorder.flush(kNow);
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
           kCalls;
  };
  const double same =
      timed([&](int) { recorder.record(a, "https://app.example.com", "alice", Reason::allowed); });
  const double alternating = timed([&](int i) {
    recorder.record(i % 2 ? a : b, "https://app.example.com/api/v1", "device-operator", Reason::allowed);
  });
  std::printf("inventory: %.1f ns per request (keep-alive), %.1f ns (alternating clients)\n", same,
              alternating);
  EXPECT_EQ(inv.rows()[0].count + inv.rows()[1].count, 2u * kCalls);
}

}  // namespace
