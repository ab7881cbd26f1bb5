// The process: loads the config, starts the workers, and turns signals into actions.
//   SIGHUP          reload: a bad new config is logged and the old one keeps serving;
//   SIGTERM/SIGINT  drain: stop accepting, finish in-flight requests (bounded by timeouts.shutdown), exit 0.
// It also owns what outlives config generations: the session ticket keys and their rotation, and the
// revocation service (fetch thread, shared answer cache, CRL file watching, counters).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "admin/admin_listener.h"
#include "admin/backend.h"
#include "alerts/expiry_monitor.h"
#include "inventory/client_inventory.h"
#include "revocation/service.h"
#include "runtime/runtime.h"
#include "server/worker.h"

namespace certgate::server {

// The Server is the admin API's backend (admin::Backend, implemented in admin_backend.cpp and
// metrics_scrape.cpp); it owns the admin listener, which runs on the main event loop.
class Server final : private admin::Backend {
 public:
  explicit Server(std::string config_path) : config_path_(std::move(config_path)) {}
  // Blocks until the gateway has shut down. Returns the process exit code.
  int run();

 private:
  // SIGHUP and POST /reload: a rejected config keeps the running one (the result says why).
  admin::ReloadResult reload() override;
  // admin::Backend
  admin::StatusInfo status() override;
  std::vector<admin::RouteInfo> routes() override;
  std::vector<admin::CertificateInfo> certificates() override;
  std::vector<admin::ClientInfo> clients(std::optional<std::chrono::seconds> expiring_within) override;
  std::string clients_json(std::optional<std::chrono::seconds> expiring_within) override;
  std::string metrics_text() override;
  std::vector<runtime::Refusal> recent_refusals() override;
  std::uint64_t open_connections() const;
  void shut_down(net::asio::io_context& main_io);
  bool start_admin(net::asio::io_context& main_io);
  // Hands the accepted generation's ticket key settings to the key set and re-arms the rotation timer.
  void apply_resumption_settings();
  void schedule_ticket_rotation();
  // The generation's inventory bound and certificates for the expiry alerts (start and reload).
  void apply_operations_settings();

  std::string config_path_;
  std::shared_ptr<tls::ResumptionState> resumption_ = std::make_shared<tls::ResumptionState>();
  std::unique_ptr<net::asio::steady_timer> rotation_timer_;
  std::shared_ptr<const runtime::Runtime> runtime_;
  // Before the workers, which use them: destroyed after them.
  revocation::Service revocation_;  // the fetch thread; stopped in run() once the workers have ended
  Refusals refusals_;
  runtime::IpConnectionCounts per_ip_;
  // Every client certificate the workers have seen (they merge their sightings on their tick).
  inventory::ClientInventory inventory_;
  // On main_io; created in run(), reset before main_io goes.
  std::unique_ptr<alerts::ExpiryMonitor> expiry_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<admin::AdminListener> admin_;  // null unless the config has an admin block
  // For /status and the metrics; written and read on the main thread.
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  std::chrono::system_clock::time_point loaded_at_ = started_;
  std::uint64_t generation_ = 1;
  std::uint64_t reloads_succeeded_ = 0;
  std::uint64_t reloads_failed_ = 0;
};

// Reads and compiles a config file; throws config::ConfigError. `ticket_keys`, `previous`: see
// Runtime::build.
std::shared_ptr<const runtime::Runtime> load_runtime(
    const std::string& path, std::shared_ptr<tls::ResumptionState> resumption = nullptr,
    const runtime::Runtime* previous = nullptr);

}  // namespace certgate::server
