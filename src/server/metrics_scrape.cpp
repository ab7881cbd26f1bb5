// GET /metrics: sums the per-worker counter blocks (runtime/worker_metrics.h), the revocation counters
// and the server's own (reloads, generation) into the Prometheus text format. Runs at scrape time on the
// main thread; the request path only ever touched its own worker's cells.
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "alerts/watched_certificates.h"
#include "common/version.h"
#include "metrics/exposition.h"
#include "server/server.h"

namespace certgate::server {
namespace {

using metrics::TextWriter;
using runtime::kReasonSlots;
using runtime::kRouteSlots;
using runtime::kStatusClasses;

constexpr std::array<std::string_view, kStatusClasses> kStatusClassNames = {"none", "1xx", "2xx",
                                                                            "3xx",  "4xx", "5xx"};

// Upstream failures are requests with these reasons; the kind is the reason without "upstream_".
constexpr std::array<std::pair<Reason, std::string_view>, 4> kUpstreamKinds = {{
    {Reason::upstream_unavailable, "unavailable"},
    {Reason::upstream_timeout, "timeout"},
    {Reason::upstream_truncated, "truncated"},
    {Reason::upstream_tls_failed, "tls_failed"},
}};

// One route's counts over every worker.
struct RouteTotals {
  bool seen = false;
  std::array<std::array<std::uint64_t, kReasonSlots>, kStatusClasses> requests{};
  std::array<std::uint64_t, metrics::DurationHistogram::kBuckets> buckets{};
  std::uint64_t sum_micros = 0;
};

std::vector<RouteTotals> sum_routes(const std::vector<std::unique_ptr<Worker>>& workers) {
  std::vector<RouteTotals> totals(kRouteSlots);
  for (const auto& worker : workers) {
    for (std::size_t slot = 0; slot < kRouteSlots; ++slot) {
      const auto* block = worker->metrics().find_route(slot);
      if (!block) continue;
      auto& t = totals[slot];
      t.seen = true;
      for (std::size_t c = 0; c < kStatusClasses; ++c) {
        for (std::size_t r = 0; r < kReasonSlots; ++r)
          t.requests[c][r] += block->requests[c][r].get();
      }
      for (std::size_t b = 0; b < t.buckets.size(); ++b)
        t.buckets[b] += block->duration.bucket(b);
      t.sum_micros += block->duration.sum_micros();
    }
  }
  return totals;
}

std::string route_label(const std::vector<std::string>& labels, std::size_t slot) {
  if (slot == runtime::kNoRouteSlot) return "none";
  if (slot == runtime::kOverflowRouteSlot || slot >= labels.size()) return "other";
  return labels[slot];
}

void write_requests(TextWriter& w, const std::vector<RouteTotals>& totals,
                    const std::vector<std::string>& labels) {
  w.family("certgate_requests_total", "counter",
           "Requests (and tcp:// sessions) by route, status class and reason code.");
  for (std::size_t slot = 0; slot < totals.size(); ++slot) {
    if (!totals[slot].seen) continue;
    const auto route = route_label(labels, slot);
    for (std::size_t c = 0; c < kStatusClasses; ++c) {
      for (std::size_t r = 0; r < kReasonSlots; ++r) {
        const auto n = totals[slot].requests[c][r];
        if (n == 0) continue;
        w.sample("certgate_requests_total",
                 {{"route", route}, {"status_class", kStatusClassNames[c]}, {"reason", to_string(Reason(r))}},
                 n);
      }
    }
  }
  w.family("certgate_request_duration_seconds", "histogram",
           "Time from the request header to the end of the answer, by route.");
  for (std::size_t slot = 0; slot < totals.size(); ++slot) {
    if (!totals[slot].seen) continue;
    w.histogram("certgate_request_duration_seconds", {{"route", route_label(labels, slot)}},
                metrics::kDurationBoundsMicros, totals[slot].buckets, totals[slot].sum_micros);
  }
  w.family("certgate_upstream_errors_total", "counter",
           "Requests that failed at the upstream, by route and kind (unavailable, timeout, truncated, "
           "tls_failed).");
  for (std::size_t slot = 0; slot < totals.size(); ++slot) {
    if (!totals[slot].seen) continue;
    for (const auto& [reason, kind] : kUpstreamKinds) {
      std::uint64_t n = 0;
      for (std::size_t c = 0; c < kStatusClasses; ++c)
        n += totals[slot].requests[c][static_cast<std::size_t>(reason)];
      if (n > 0)
        w.sample("certgate_upstream_errors_total", {{"route", route_label(labels, slot)}, {"kind", kind}}, n);
    }
  }
}

void write_handshakes(TextWriter& w, const std::vector<std::unique_ptr<Worker>>& workers) {
  constexpr std::array<std::string_view, 2> kResults = {"ok", "failed"};
  constexpr std::array<std::string_view, 4> kVersions = {"none", "TLSv1.2", "TLSv1.3", "other"};
  w.family("certgate_handshakes_total", "counter",
           "Client TLS handshakes by result, TLS version and resumption.");
  for (std::size_t r = 0; r < kResults.size(); ++r) {
    for (std::size_t v = 0; v < kVersions.size(); ++v) {
      for (std::size_t resumed = 0; resumed < 2; ++resumed) {
        std::uint64_t n = 0;
        for (const auto& worker : workers)
          n += worker->metrics().handshakes.handshakes[r][v][resumed].get();
        // Always the successful full and resumed TLS 1.3 handshakes, so that the series exist from the start.
        const bool always = r == 0 && v == 2;
        if (n == 0 && !always) continue;
        w.sample(
            "certgate_handshakes_total",
            {{"result", kResults[r]}, {"tls_version", kVersions[v]}, {"resumed", resumed ? "true" : "false"}},
            n);
      }
    }
  }
  std::uint64_t alerts = 0;
  for (const auto& worker : workers)
    alerts += worker->metrics().handshakes.alerts_sent.get();
  w.family("certgate_handshake_alerts_sent_total", "counter",
           "Failed client handshakes answered with a TLS alert.");
  w.sample("certgate_handshake_alerts_sent_total", {}, alerts);
}

void write_revocation(TextWriter& w, const revocation::CounterSnapshot& c) {
  using revocation::Counter;
  auto at = [&c](Counter counter) { return c[static_cast<std::size_t>(counter)]; };
  w.family("certgate_revocation_checks_total", "counter",
           "Revocation checks of verified client paths by result (good, revoked, unknown).");
  w.sample("certgate_revocation_checks_total", {{"result", "good"}}, at(Counter::checks_good));
  w.sample("certgate_revocation_checks_total", {{"result", "revoked"}}, at(Counter::checks_revoked));
  w.sample("certgate_revocation_checks_total", {{"result", "unknown"}}, at(Counter::checks_unknown));
  w.family("certgate_revocation_lookups_total", "counter",
           "Revocation answers by source (ocsp, crl_distribution_point, crl_file) and result.");
  const std::array<std::tuple<std::string_view, std::string_view, Counter>, 8> rows = {{
      {"ocsp", "fetched", Counter::ocsp_fetches},
      {"ocsp", "failed", Counter::ocsp_failures},
      {"ocsp", "cache_hit", Counter::ocsp_cache_hits},
      {"crl_distribution_point", "fetched", Counter::crl_dp_fetches},
      {"crl_distribution_point", "failed", Counter::crl_dp_failures},
      {"crl_distribution_point", "cache_hit", Counter::crl_dp_cache_hits},
      {"crl_file", "reloaded", Counter::crl_file_reloads},
      {"crl_file", "reload_failed", Counter::crl_file_reload_failures},
  }};
  for (const auto& [source, result, counter] : rows)
    w.sample("certgate_revocation_lookups_total", {{"source", source}, {"result", result}}, at(counter));
}

// Expiry: one series per configured certificate (the soonest not-after when a kind and subject repeat,
// e.g. a renewed CA beside the old one), and the recently seen client certificates close to expiry.
void write_expiry(TextWriter& w, const alerts::ExpiryGauges& gauges) {
  std::map<std::pair<std::string, std::string>, std::int64_t> soonest;
  for (const auto& g : gauges.certificates) {
    auto [it, fresh] = soonest.try_emplace({g.kind, g.subject}, g.not_after_unix);
    if (!fresh) it->second = std::min(it->second, g.not_after_unix);
  }
  w.family("certgate_certificate_expiry_timestamp_seconds", "gauge",
           "Not-after of every configured server certificate, CA and intermediate (unix time).");
  for (const auto& [key, not_after] : soonest)
    w.sample("certgate_certificate_expiry_timestamp_seconds", {{"kind", key.first}, {"subject", key.second}},
             not_after);
  w.family("certgate_client_certificates_expiring", "gauge",
           "Client certificates seen in the last 7 days that expire (or expired) within 14 or 30 days.");
  w.sample("certgate_client_certificates_expiring", {{"within", "14d"}},
           static_cast<std::uint64_t>(gauges.clients_expiring_14d));
  w.sample("certgate_client_certificates_expiring", {{"within", "30d"}},
           static_cast<std::uint64_t>(gauges.clients_expiring_30d));
}

}  // namespace

std::string Server::metrics_text() {
  TextWriter w;
  w.family("certgate_build_info", "gauge", "The running certgate's version.");
  w.sample("certgate_build_info", {{"version", kVersion}}, std::uint64_t{1});
  write_requests(w, sum_routes(workers_), runtime_->route_labels());
  write_handshakes(w, workers_);
  w.family("certgate_open_connections", "gauge", "Client connections open now, by listener.");
  const auto& listeners = runtime_->listeners();
  for (std::size_t i = 0; i < listeners.size() && i < runtime::kListenerSlots; ++i) {
    std::int64_t n = 0;
    for (const auto& worker : workers_)
      n += worker->metrics().open_connections(i).get();
    w.sample("certgate_open_connections", {{"listener", listeners[i].config->address}}, n);
  }
  write_revocation(w, revocation_.counters().snapshot());
  write_expiry(w, alerts::expiry_gauges(*runtime_, inventory_));
  w.family("certgate_config_reloads_total", "counter", "Config reloads (SIGHUP, POST /reload) by result.");
  w.sample("certgate_config_reloads_total", {{"result", "success"}}, reload_counts().ok);
  w.sample("certgate_config_reloads_total", {{"result", "failure"}}, reload_counts().failed);
  w.family("certgate_config_generation", "gauge",
           "The running config generation: 1 at start, +1 per reload.");
  w.sample("certgate_config_generation", {}, generation());
  w.family("certgate_uptime_seconds", "gauge", "Seconds since the process started.");
  w.sample("certgate_uptime_seconds", {},
           static_cast<std::uint64_t>(
               std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - started_)
                   .count()));
  return w.take();
}

}  // namespace certgate::server
