// When an expiry alert is due (Cloudflare's 30 and 14 days): a certificate within 30 days of its not-after
// alerts with threshold 30, within 14 days with threshold 14 (only the tighter one; an expired certificate
// counts as within 14). The same certificate and threshold alert at most once in 24 hours, however often
// the scan runs. Pure logic with the time passed in, so tests need no clock.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "alerts/watched_certificates.h"

namespace certgate::alerts {

inline constexpr std::array<int, 2> kThresholdDays{30, 14};  // widest first
inline constexpr std::chrono::hours kRepeatAfter{24};

struct ExpiryAlert {
  WatchedCertificate certificate;
  int threshold_days = 0;
  std::int64_t days_left = 0;  // whole days to not-after, rounded down; negative once expired
};

// The tightest threshold `not_after` is within at `now`; nullopt when it is further than the widest.
std::optional<int> threshold_reached(std::time_t not_after, Clock::time_point now);
std::int64_t days_left(std::time_t not_after, Clock::time_point now);

class ExpiryLedger {
 public:
  // The alerts due for `certificates` at `now`, remembered as sent.
  std::vector<ExpiryAlert> due(std::span<const WatchedCertificate> certificates, Clock::time_point now);
  std::size_t remembered() const { return last_sent_.size(); }

 private:
  // (fingerprint, threshold) -> when it last alerted; entries older than kRepeatAfter are dropped.
  std::map<std::pair<std::string, int>, Clock::time_point> last_sent_;
};

// The alert as one JSON object (keys in this order): the log line's message and the webhook's body.
// {"event":"certificate_expiry","kind","subject","issuer","serial","fingerprint","not_after","days_left",
//  "threshold","source"}
nlohmann::ordered_json alert_json(const ExpiryAlert& alert);

}  // namespace certgate::alerts
