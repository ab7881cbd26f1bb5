#include "alerts/watched_certificates.h"

#include <unordered_set>

#include "pki/cert_info.h"

namespace certgate::alerts {
namespace {

class Collector {
 public:
  void add(const X509* cert, std::string kind, const std::string& source) {
    auto fingerprint = pki::sha256_fingerprint_hex(cert);
    if (!seen_.insert(fingerprint).second) return;
    WatchedCertificate w;
    w.kind = std::move(kind);
    w.subject = pki::subject_dn(cert);
    w.issuer = pki::issuer_dn(cert);
    w.serial = pki::serial_hex(cert);
    w.fingerprint = std::move(fingerprint);
    w.not_after = pki::not_after_rfc3339(cert);
    w.not_after_time = pki::to_time_t(X509_get0_notAfter(cert)).value_or(0);
    w.source = source;
    out_.push_back(std::move(w));
  }
  // A CA certificate: a root ("ca") when it issued itself, else an intermediate.
  void add_ca(const X509* cert, const std::string& source) {
    add(cert, pki::is_self_issued(cert) ? "ca" : "intermediate", source);
  }
  std::vector<WatchedCertificate> take() { return std::move(out_); }

 private:
  std::unordered_set<std::string> seen_;
  std::vector<WatchedCertificate> out_;
};

// "file:/etc/ca.pem" -> "/etc/ca.pem"; "inline:..." -> "inline CA bundle".
std::string bundle_source(const std::string& key) {
  if (key.rfind("file:", 0) == 0) return key.substr(5);
  return "inline CA bundle";
}

}  // namespace

std::vector<WatchedCertificate> configured_certificates(const runtime::Runtime& runtime) {
  Collector collector;
  for (const auto& listener : runtime.listeners()) {
    const auto chains = listener.tls->served_chains();
    const auto& pairs = listener.config->certificates;
    for (std::size_t i = 0; i < chains.size(); ++i) {
      const std::string source = i < pairs.size() ? pairs[i].cert_file : "";
      if (chains[i].leaf) collector.add(chains[i].leaf, "server", source);
      if (!chains[i].chain) continue;
      for (int j = 0; j < sk_X509_num(chains[i].chain); ++j)
        collector.add_ca(sk_X509_value(chains[i].chain, j), source);
    }
  }
  for (const auto& [key, bundle] : runtime.trust_bundles()) {
    for (const auto& cert : bundle->certificates())
      collector.add_ca(cert.get(), bundle_source(key));
  }
  return collector.take();
}

std::vector<WatchedCertificate> recent_client_certificates(const inventory::ClientInventory& inventory,
                                                           Clock::time_point now) {
  std::vector<WatchedCertificate> out;
  for (auto& row : inventory.seen_since(now - kClientWindow)) {
    WatchedCertificate w;
    w.kind = "client";
    w.subject = std::move(row.subject);
    w.issuer = std::move(row.issuer);
    w.serial = std::move(row.serial);
    w.fingerprint = std::move(row.fingerprint);
    w.not_after = std::move(row.not_after);
    w.not_after_time = row.not_after_time;
    out.push_back(std::move(w));
  }
  return out;
}

ExpiryGauges expiry_gauges(const runtime::Runtime& runtime, const inventory::ClientInventory& inventory,
                           Clock::time_point now) {
  ExpiryGauges gauges;
  for (auto& c : configured_certificates(runtime))
    gauges.certificates.push_back({std::move(c.kind), std::move(c.subject), c.not_after_time});
  const auto since = now - kClientWindow;
  gauges.clients_expiring_14d = inventory.count_expiring(since, std::chrono::hours(24 * 14), now);
  gauges.clients_expiring_30d = inventory.count_expiring(since, std::chrono::hours(24 * 30), now);
  return gauges;
}

}  // namespace certgate::alerts
