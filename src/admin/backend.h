// What the admin API asks of the running gateway. The server implements it (server/admin_backend.cpp);
// the admin module only renders the answers (JSON, Prometheus text, the HTML status page), so it needs
// nothing above runtime/. Every method is called on the admin listener's thread (the main event loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/worker_metrics.h"

namespace certgate::admin {

struct StatusInfo {
  std::string version;
  std::int64_t uptime_seconds = 0;
  std::uint64_t generation = 0;  // 1 at start, +1 per accepted reload
  std::string config_file;       // where the running generation came from
  std::int64_t loaded_at = 0;    // unix time of the running generation
  std::size_t workers = 0;
  std::uint64_t open_connections = 0;
};

struct RouteInfo {
  std::string from;
  std::string to;
  std::string mtls_mode;  // off, optional, required, reject_connection
  std::string consumers;  // "identity" when the route maps certificates to consumers, else ""
  std::size_t policy_rules = 0;
};

struct CertificateInfo {
  std::string kind;  // server, client_ca, admin_ca, admin_server, upstream_ca, upstream_client
  std::string subject;
  std::string issuer;
  std::string serial;
  std::string file;
  std::string used_by;         // the listener or route that names the file
  std::int64_t not_after = 0;  // unix time
  std::int64_t days_left = 0;  // rounded down; negative once expired
};

// One entry of the client-certificate inventory (filled once the inventory exists).
struct ClientInfo {
  std::string fingerprint;
  std::string subject;
  std::string issuer;
  std::string serial;
  std::int64_t not_after = 0;
  std::int64_t first_seen = 0;
  std::int64_t last_seen = 0;
  std::uint64_t count = 0;
  std::string last_route;
  std::string last_consumer;
  std::string last_reason;
};

struct ReloadResult {
  bool ok = false;
  std::string error;  // "file:line: reason" when the config was rejected
  std::uint64_t generation = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual StatusInfo status() = 0;
  virtual std::vector<RouteInfo> routes() = 0;
  virtual std::vector<CertificateInfo> certificates() = 0;
  // The status page's rows of the client inventory (the first 100). `expiring_within`: only certificates
  // whose not-after is that close (or past).
  virtual std::vector<ClientInfo> clients(std::optional<std::chrono::seconds> expiring_within) = 0;
  // GET /clients: the whole inventory as JSON ({"max_entries", "size", "clients": [...]}).
  virtual std::string clients_json(std::optional<std::chrono::seconds> expiring_within) = 0;
  virtual ReloadResult reload() = 0;
  virtual std::string metrics_text() = 0;
  // The last refusals and denials of every worker, newest first, at most kRefusalRing.
  virtual std::vector<runtime::Refusal> recent_refusals() = 0;
};

}  // namespace certgate::admin
