// The process: loads the config, starts the workers, and turns signals into actions.
//   SIGHUP          reload: a bad new config is logged and the old one keeps serving (so does a change
//                   of the config file or a file it names, seen by the FileWatcher, and the admin API);
//   SIGTERM/SIGINT  drain: stop accepting, finish in-flight requests (bounded by timeouts.shutdown), exit 0.
// It also owns what outlives config generations: the session ticket keys and their rotation, and the
// revocation service (fetch thread, shared answer cache, CRL file watching, counters).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "admin/admin_listener.h"
#include "admin/backend.h"
#include "alerts/expiry_monitor.h"
#include "inventory/client_inventory.h"
#include "revocation/service.h"
#include "runtime/runtime.h"
#include "server/file_watcher.h"
#include "server/worker.h"

namespace certgate::server {

struct ReloadCounts {
  uint64_t ok = 0;
  uint64_t failed = 0;
};

// The Server is the admin API's backend (admin::Backend, implemented in admin_backend.cpp and
// metrics_scrape.cpp); it owns the admin listener, which runs on the main event loop.
class Server final : private admin::Backend {
 public:
  explicit Server(std::string config_path) : config_path_(std::move(config_path)) {}
  // Blocks until the gateway has shut down. Returns the process exit code.
  int run();

  // Reads the config and every file it names again and, if all of it loads, hands the new generation
  // to the workers; otherwise the running generation keeps serving and the error is logged. Only on the
  // main loop's thread (post it to main_io() from elsewhere). `trigger` says why, for the log.
  admin::ReloadResult reload(std::string_view trigger);
  // The main loop (signals, reloads, file watching, ticket rotation). Runs while run() does.
  net::asio::io_context& main_io() { return main_io_; }
  // Thread-safe: the generation serving new connections (1 at start, +1 per successful reload).
  uint64_t generation() const { return generation_.load(std::memory_order_relaxed); }
  // Thread-safe: reloads since start, by result.
  ReloadCounts reload_counts() const {
    return {reloads_ok_.load(std::memory_order_relaxed), reloads_failed_.load(std::memory_order_relaxed)};
  }

 private:
  // SIGHUP, a file change and POST /reload: a rejected config keeps the running one (the result says why).
  admin::ReloadResult reload() override { return reload("admin API"); }
  // admin::Backend
  admin::StatusInfo status() override;
  std::vector<admin::RouteInfo> routes() override;
  std::vector<admin::CertificateInfo> certificates() override;
  std::vector<admin::ClientInfo> clients(std::optional<std::chrono::seconds> expiring_within) override;
  std::string clients_json(std::optional<std::chrono::seconds> expiring_within) override;
  std::string metrics_text() override;
  std::vector<runtime::Refusal> recent_refusals() override;
  std::uint64_t open_connections() const;
  bool start_admin(net::asio::io_context& main_io);
  admin::ReloadResult reject_reload(std::string error, const std::vector<std::string>& named);
  // Watches the running generation's files, and `also`.
  void watch_files(const std::vector<std::string>& also = {});
  void shut_down();
  // Hands the accepted generation's ticket key settings to the key set and re-arms the rotation timer.
  void apply_resumption_settings();
  void schedule_ticket_rotation();
  // The generation's inventory bound and certificates for the expiry alerts (start and reload).
  void apply_operations_settings();

  std::string config_path_;
  net::asio::io_context main_io_;
  std::unique_ptr<FileWatcher> watcher_;  // on main_io_
  std::atomic<uint64_t> generation_{1};
  std::atomic<uint64_t> reloads_ok_{0};
  std::atomic<uint64_t> reloads_failed_{0};
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
  // For /status; written and read on the main thread.
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  std::chrono::system_clock::time_point loaded_at_ = started_;
};

// Reads and compiles a config file; throws config::ConfigError. `ticket_keys`, `previous`: see
// Runtime::build.
std::shared_ptr<const runtime::Runtime> load_runtime(
    const std::string& path, std::shared_ptr<tls::ResumptionState> resumption = nullptr,
    const runtime::Runtime* previous = nullptr);

}  // namespace certgate::server
