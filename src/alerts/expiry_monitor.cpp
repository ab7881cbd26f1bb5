#include "alerts/expiry_monitor.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace certgate::alerts {

ExpiryMonitor::ExpiryMonitor(net::asio::any_io_executor executor, const inventory::ClientInventory& inventory)
    : inventory_(inventory), webhook_(executor), timer_(executor) {}

ExpiryMonitor::~ExpiryMonitor() {
  stop();
}

void ExpiryMonitor::configure(std::vector<WatchedCertificate> configured,
                              const config::AlertSettings& settings) {
  configured_ = std::move(configured);
  webhook_.configure(settings);
  scan(Clock::now());
  schedule();
}

void ExpiryMonitor::scan(Clock::time_point now) {
  auto watched = configured_;
  auto clients = recent_client_certificates(inventory_, now);
  watched.insert(watched.end(), std::make_move_iterator(clients.begin()),
                 std::make_move_iterator(clients.end()));
  for (const auto& alert : ledger_.due(watched, now)) {
    const auto line = alert_json(alert).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    spdlog::warn("{}", line);
    webhook_.post(line);
  }
}

void ExpiryMonitor::schedule() {
  timer_.expires_after(kScanInterval);
  timer_.async_wait([this](const net::error_code& ec) {
    if (ec) return;  // cancelled: re-armed by configure, or stopped
    scan(Clock::now());
    schedule();
  });
}

void ExpiryMonitor::stop() {
  timer_.cancel();
  webhook_.stop();
}

}  // namespace certgate::alerts
