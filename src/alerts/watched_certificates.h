// The certificates whose expiry certgate watches: every configured server certificate, CA and intermediate
// of a config generation, and the client certificates the inventory saw recently. Plain data, so that the
// alert logic, the metrics gauges and the admin API can use them without OpenSSL.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "inventory/client_inventory.h"
#include "runtime/runtime.h"

namespace certgate::alerts {

using Clock = std::chrono::system_clock;

// How far back a client certificate counts as in use: seen within the last 7 days.
inline constexpr std::chrono::hours kClientWindow{24 * 7};

struct WatchedCertificate {
  std::string kind;  // "server", "intermediate", "ca" (a self-issued CA) or "client"
  std::string subject;
  std::string issuer;
  std::string serial;
  std::string fingerprint;  // SHA-256, lowercase hex
  std::string not_after;    // RFC 3339
  std::time_t not_after_time = 0;
  std::string source;  // the file it was configured in ("inline client_ca", or "" for a client)
};

// Every server certificate (and the chain sent with it) of every listener and every certificate of every
// trust bundle, each once (by fingerprint; the first place it appears names its kind and source).
std::vector<WatchedCertificate> configured_certificates(const runtime::Runtime& runtime);

// The client certificates seen at or after `now - kClientWindow`.
std::vector<WatchedCertificate> recent_client_certificates(const inventory::ClientInventory& inventory,
                                                           Clock::time_point now);

// For the metrics: certgate_certificate_expiry_timestamp_seconds{kind,subject} per configured certificate,
// and the client certificates seen in the last 7 days that expire (or have expired) within 14 and 30 days.
struct ExpiryGauge {
  std::string kind;
  std::string subject;
  std::int64_t not_after_unix = 0;
};
struct ExpiryGauges {
  std::vector<ExpiryGauge> certificates;
  std::size_t clients_expiring_14d = 0;
  std::size_t clients_expiring_30d = 0;
};
ExpiryGauges expiry_gauges(const runtime::Runtime& runtime, const inventory::ClientInventory& inventory,
                           Clock::time_point now = Clock::now());

}  // namespace certgate::alerts
