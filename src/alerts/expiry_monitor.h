// Expiry alerts: scans the configured certificates and the client certificates seen in the last 7 days at
// start, after every reload and then every hour, and for each alert the ExpiryLedger finds due writes a
// JSON warning line to the error log ({"event":"certificate_expiry",...}) and queues it for the webhook.
//
// It runs on the server's main event loop (signals, reloads), never on a worker: a scan copies the
// inventory's recent rows under its mutex, which the workers only take on their tick. Not thread-safe:
// every call comes from the main loop's thread.
#pragma once

#include <vector>

#include "alerts/expiry_ledger.h"
#include "alerts/watched_certificates.h"
#include "alerts/webhook.h"
#include "config/config.h"
#include "inventory/client_inventory.h"
#include "net/asio.h"

namespace certgate::alerts {

class ExpiryMonitor {
 public:
  static constexpr std::chrono::hours kScanInterval{1};

  // `inventory`: the server's, which outlives the monitor.
  ExpiryMonitor(net::asio::any_io_executor executor, const inventory::ClientInventory& inventory);
  ExpiryMonitor(const ExpiryMonitor&) = delete;
  ExpiryMonitor& operator=(const ExpiryMonitor&) = delete;
  ~ExpiryMonitor();

  // At start and after each accepted reload: the generation's certificates (configured_certificates) and
  // its `alerts` settings. Scans at once and re-arms the hourly scan.
  void configure(std::vector<WatchedCertificate> configured, const config::AlertSettings& settings);
  // One scan at `now` (the timer passes the clock's time; tests pass their own).
  void scan(Clock::time_point now);
  void stop();

 private:
  void schedule();

  const inventory::ClientInventory& inventory_;
  std::vector<WatchedCertificate> configured_;
  ExpiryLedger ledger_;
  WebhookSender webhook_;
  net::asio::steady_timer timer_;
};

}  // namespace certgate::alerts
