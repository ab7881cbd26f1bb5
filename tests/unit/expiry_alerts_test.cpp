// Expiry alerts: thresholds (30 and 14 days), once per certificate and threshold per day with an injected
// clock, the JSON line, and the webhook's backoff.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alerts/expiry_ledger.h"
#include "alerts/webhook.h"

using namespace certgate;
using namespace std::chrono_literals;
using alerts::Clock;

namespace {

const Clock::time_point kStart = Clock::from_time_t(1'800'000'000);

alerts::WatchedCertificate cert(const std::string& name, Clock::time_point not_after,
                                std::string kind = "ca") {
  alerts::WatchedCertificate c;
  c.kind = std::move(kind);
  c.subject = "CN=" + name;
  c.issuer = "CN=" + name;
  c.serial = "01";
  c.fingerprint = name + "-fingerprint";
  c.not_after = "2027-01-15T08:00:00Z";
  c.not_after_time = Clock::to_time_t(not_after);
  c.source = "ca.pem";
  return c;
}

TEST(ExpiryLedger, ThresholdReached) {
  EXPECT_EQ(alerts::threshold_reached(Clock::to_time_t(kStart + 24h * 31), kStart), std::nullopt);
  EXPECT_EQ(alerts::threshold_reached(Clock::to_time_t(kStart + 24h * 30), kStart), 30);
  EXPECT_EQ(alerts::threshold_reached(Clock::to_time_t(kStart + 24h * 20), kStart), 30);
  EXPECT_EQ(alerts::threshold_reached(Clock::to_time_t(kStart + 24h * 14), kStart), 14);
  EXPECT_EQ(alerts::threshold_reached(Clock::to_time_t(kStart + 1h), kStart), 14);
  EXPECT_EQ(alerts::threshold_reached(Clock::to_time_t(kStart - 24h * 3), kStart), 14);
  EXPECT_EQ(alerts::days_left(Clock::to_time_t(kStart + 24h * 20 - 5s), kStart), 19);
  EXPECT_EQ(alerts::days_left(Clock::to_time_t(kStart - 1s), kStart), -1);
}

TEST(ExpiryLedger, OncePerCertificateAndThresholdPerDay) {
  alerts::ExpiryLedger ledger;
  const std::vector certs = {cert("ca20", kStart + 24h * 20), cert("ca40", kStart + 24h * 40),
                             cert("ca10", kStart + 24h * 10, "server")};
  auto first = ledger.due(certs, kStart);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].certificate.subject, "CN=ca20");
  EXPECT_EQ(first[0].threshold_days, 30);
  EXPECT_EQ(first[0].days_left, 20);
  EXPECT_EQ(first[1].certificate.subject, "CN=ca10");
  EXPECT_EQ(first[1].threshold_days, 14);
  // Hourly scans of the same day: nothing new.
  for (int hour = 1; hour < 24; ++hour)
    EXPECT_TRUE(ledger.due(certs, kStart + std::chrono::hours(hour)).empty()) << hour;
  // A day later, each again.
  EXPECT_EQ(ledger.due(certs, kStart + 24h).size(), 2u);
  // ca20 reaches 14 days six days after the start: the 14-day threshold alerts at once (ca10 has its
  // daily repeat in the same scan).
  auto later = ledger.due(certs, kStart + 24h * 6 + 1s);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].certificate.subject, "CN=ca20");
  EXPECT_EQ(later[0].threshold_days, 14);
  EXPECT_EQ(later[1].certificate.subject, "CN=ca10");
  EXPECT_TRUE(ledger.due(certs, kStart + 24h * 6 + 2h).empty());
  // ca40 enters the 30-day window after ten days.
  auto tenth = ledger.due(certs, kStart + 24h * 10 + 2s);
  bool ca40 = false;
  for (const auto& a : tenth)
    ca40 = ca40 || (a.certificate.subject == "CN=ca40" && a.threshold_days == 30);
  EXPECT_TRUE(ca40);
  EXPECT_LE(ledger.remembered(), 3u);  // older entries are dropped
}

TEST(ExpiryLedger, AlertJson) {
  alerts::ExpiryLedger ledger;
  const std::vector certs = {cert("ca20", kStart + 24h * 20)};
  const auto json = alerts::alert_json(ledger.due(certs, kStart).at(0));
  EXPECT_EQ(json["event"], "certificate_expiry");
  EXPECT_EQ(json["kind"], "ca");
  EXPECT_EQ(json["subject"], "CN=ca20");
  EXPECT_EQ(json["not_after"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(json["days_left"], 20);
  EXPECT_EQ(json["threshold"], 30);
  EXPECT_EQ(json["source"], "ca.pem");
  EXPECT_EQ(json["fingerprint"], "ca20-fingerprint");
}

TEST(WebhookSender, BackoffDoublesUpToFiveMinutes) {
  EXPECT_EQ(alerts::WebhookSender::backoff(1), 1s);
  EXPECT_EQ(alerts::WebhookSender::backoff(2), 2s);
  EXPECT_EQ(alerts::WebhookSender::backoff(4), 8s);
  EXPECT_EQ(alerts::WebhookSender::backoff(9), 256s);
  EXPECT_EQ(alerts::WebhookSender::backoff(10), 300s);
  EXPECT_EQ(alerts::WebhookSender::backoff(40), 300s);
}

}  // namespace
