#include "alerts/expiry_ledger.h"

#include <nlohmann/json.hpp>

namespace certgate::alerts {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

std::int64_t seconds_left(std::time_t not_after, Clock::time_point now) {
  return static_cast<std::int64_t>(not_after) - static_cast<std::int64_t>(Clock::to_time_t(now));
}

}  // namespace

std::int64_t days_left(std::time_t not_after, Clock::time_point now) {
  const auto left = seconds_left(not_after, now);
  return left >= 0 ? left / kSecondsPerDay : -((-left + kSecondsPerDay - 1) / kSecondsPerDay);
}

std::optional<int> threshold_reached(std::time_t not_after, Clock::time_point now) {
  const auto left = seconds_left(not_after, now);
  std::optional<int> reached;
  for (int days : kThresholdDays) {
    if (left <= days * kSecondsPerDay) reached = days;  // the list goes from wide to tight
  }
  return reached;
}

std::vector<ExpiryAlert> ExpiryLedger::due(std::span<const WatchedCertificate> certificates,
                                           Clock::time_point now) {
  std::erase_if(last_sent_, [now](const auto& entry) { return now - entry.second >= kRepeatAfter; });
  std::vector<ExpiryAlert> alerts;
  for (const auto& cert : certificates) {
    const auto threshold = threshold_reached(cert.not_after_time, now);
    if (!threshold) continue;
    if (!last_sent_.emplace(std::make_pair(cert.fingerprint, *threshold), now).second) continue;
    alerts.push_back({cert, *threshold, days_left(cert.not_after_time, now)});
  }
  return alerts;
}

nlohmann::ordered_json alert_json(const ExpiryAlert& alert) {
  const auto& c = alert.certificate;
  nlohmann::ordered_json j;
  j["event"] = "certificate_expiry";
  j["kind"] = c.kind;
  j["subject"] = c.subject;
  j["issuer"] = c.issuer;
  j["serial"] = c.serial;
  j["fingerprint"] = c.fingerprint;
  j["not_after"] = c.not_after;
  j["days_left"] = alert.days_left;
  j["threshold"] = alert.threshold_days;
  j["source"] = c.source;
  return j;
}

}  // namespace certgate::alerts
