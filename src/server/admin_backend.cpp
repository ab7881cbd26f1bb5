// The Server's side of the admin API (admin::Backend): status, routes, configured certificates and the
// recent refusals of every worker. Runs on the main thread, like reloads.
#include <openssl/x509.h>

#include <algorithm>
#include <set>

#include "common/version.h"
#include "config/loader.h"
#include "pki/cert_info.h"
#include "pki/pem.h"
#include "server/server.h"

namespace certgate::server {
namespace {

using Clock = std::chrono::system_clock;

std::int64_t unix_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Collects each configured certificate once per (kind, file, fingerprint).
class CertificateList {
 public:
  explicit CertificateList(std::int64_t now) : now_(now) {}

  // `leaf_kind` for the first certificate of the file; the rest of a chain file are intermediates.
  void add_pem(const std::string& pem, const std::string& file, std::string_view leaf_kind,
               std::string_view rest_kind, const std::string& used_by) {
    std::vector<pki::X509Ptr> certs;
    try {
      certs = pki::parse_certificates(pem, file);
    } catch (const std::exception&) {
      return;  // changed on disk since the load: the next reload reports it
    }
    for (std::size_t i = 0; i < certs.size(); ++i)
      add(certs[i].get(), file, i == 0 ? leaf_kind : rest_kind, used_by);
  }
  void add_file(const std::string& file, std::string_view leaf_kind, std::string_view rest_kind,
                const std::string& used_by) {
    if (file.empty()) return;
    std::string pem;
    try {
      pem = pki::read_file(file);
    } catch (const std::exception&) {
      return;
    }
    add_pem(pem, file, leaf_kind, rest_kind, used_by);
  }
  void add_source(const config::CaSource& source, std::string_view kind, const std::string& used_by) {
    if (!source.file.empty()) {
      add_file(source.file, kind, kind, used_by);
    } else if (!source.inline_pem.empty()) {
      add_pem(source.inline_pem, "(inline)", kind, kind, used_by);
    }
  }
  std::vector<admin::CertificateInfo> take() { return std::move(list_); }

 private:
  void add(const X509* cert, const std::string& file, std::string_view kind, const std::string& used_by) {
    const auto fingerprint = pki::sha256_fingerprint_hex(cert);
    if (!seen_.insert(std::string(kind) + "|" + file + "|" + fingerprint).second) return;
    admin::CertificateInfo info;
    info.kind = kind;
    info.subject = pki::subject_dn(cert);
    info.issuer = pki::issuer_dn(cert);
    info.serial = pki::serial_hex(cert);
    info.file = file;
    info.used_by = used_by;
    info.not_after = pki::to_time_t(X509_get0_notAfter(cert)).value_or(0);
    const auto left = info.not_after - now_;
    info.days_left = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
    list_.push_back(std::move(info));
  }

  std::int64_t now_;
  std::set<std::string> seen_;
  std::vector<admin::CertificateInfo> list_;
};

}  // namespace

admin::StatusInfo Server::status() {
  admin::StatusInfo s;
  s.version = std::string(kVersion);
  s.uptime_seconds = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count();
  s.generation = generation();
  s.config_file = runtime_->config().file;
  s.loaded_at = unix_seconds(loaded_at_);
  s.workers = workers_.size();
  s.open_connections = open_connections();
  return s;
}

std::uint64_t Server::open_connections() const {
  std::int64_t total = 0;
  for (const auto& worker : workers_) {
    for (std::size_t i = 0; i < runtime_->listeners().size() && i < runtime::kListenerSlots; ++i)
      total += worker->metrics().open_connections(i).get();
  }
  return total > 0 ? static_cast<std::uint64_t>(total) : 0;
}

std::vector<admin::RouteInfo> Server::routes() {
  std::vector<admin::RouteInfo> out;
  for (const auto& route : runtime_->config().routes) {
    admin::RouteInfo info;
    info.from = route.from;
    info.to = route.to.text;
    info.mtls_mode = config::to_string(route.mtls.mode);
    info.consumers = route.identity ? "identity" : "";
    info.policy_rules = route.policy.size();
    out.push_back(std::move(info));
  }
  return out;
}

// Every certificate the running config names: listener certificates and their chains, client CAs
// (global and per route), upstream CAs and client certificates, and the admin listener's own.
std::vector<admin::CertificateInfo> Server::certificates() {
  const auto& cfg = runtime_->config();
  CertificateList list(unix_seconds(Clock::now()));
  for (const auto& listener : cfg.listeners) {
    for (const auto& pair : listener.certificates)
      list.add_file(pair.cert_file, "server", "intermediate", "listener " + listener.address);
  }
  list.add_source(cfg.client_ca, "client_ca", "client_ca_file");
  for (const auto& route : cfg.routes) {
    if (route.mtls.mode != config::MtlsMode::off)
      list.add_source(route.mtls.ca, "client_ca", "route " + route.from);
    list.add_file(route.upstream_tls.custom_ca_file, "upstream_ca", "upstream_ca", "route " + route.from);
    list.add_file(route.upstream_tls.client_cert_file, "upstream_client", "intermediate",
                  "route " + route.from);
  }
  list.add_file(cfg.admin.client_ca_file, "admin_ca", "admin_ca", "admin");
  list.add_file(cfg.admin.cert_file, "admin_server", "intermediate", "admin");
  return list.take();
}

// The inventory's first rows for the status page (most recently seen first, or soonest to expire with
// `expiring_within`); the whole table is GET /clients.
std::vector<admin::ClientInfo> Server::clients(std::optional<std::chrono::seconds> expiring_within) {
  constexpr std::size_t kPageRows = 100;
  std::vector<admin::ClientInfo> out;
  for (auto& row : inventory_.rows(expiring_within, Clock::now(), kPageRows)) {
    admin::ClientInfo c;
    c.fingerprint = std::move(row.fingerprint);
    c.subject = std::move(row.subject);
    c.issuer = std::move(row.issuer);
    c.serial = std::move(row.serial);
    c.not_after = static_cast<std::int64_t>(row.not_after_time);
    c.first_seen = unix_seconds(row.first_seen);
    c.last_seen = unix_seconds(row.last_seen);
    c.count = row.count;
    c.last_route = std::move(row.last_route);
    c.last_consumer = std::move(row.last_consumer);
    c.last_reason = std::string(to_string(row.last_reason));
    out.push_back(std::move(c));
  }
  return out;
}

std::string Server::clients_json(std::optional<std::chrono::seconds> expiring_within) {
  return inventory_.to_json(expiring_within).dump() + "\n";
}

std::vector<runtime::Refusal> Server::recent_refusals() {
  std::vector<runtime::Refusal> all;
  for (const auto& worker : workers_) {
    auto some = worker->metrics().refusals.snapshot();
    all.insert(all.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.time > b.time; });
  if (all.size() > runtime::kRefusalRing) all.resize(runtime::kRefusalRing);
  return all;
}

}  // namespace certgate::server
