#include "request/exchange_record.h"

#include <spdlog/spdlog.h>

namespace certgate::request {

namespace {

// Only for requests that were refused or denied: the success path never takes the ring's lock.
void remember_refusal(runtime::WorkerMetrics& metrics, ClientConnection& client, const ExchangeRecord& ex) {
  runtime::Refusal r;
  r.time = std::chrono::system_clock::now();
  r.reason = ex.reason;
  r.status = ex.status;
  if (ex.route) r.route = ex.route->config->from;
  r.host = ex.host;
  r.client = client.address();
  if (auto& peer = ex.peer ? *ex.peer : client.peer; peer.present()) r.subject = peer.facts().subject_dn;
  metrics.refusals.push(std::move(r));
}

}  // namespace

// Counts the exchange in the worker's metrics (a refusal also in its ring for the status page), records
// the client certificate for the inventory, then writes the access-log line.
void finish_exchange(runtime::WorkerContext& worker, ClientConnection& client, const ExchangeRecord& ex,
                     std::uint64_t bytes_in, std::uint64_t bytes_out) {
  const auto elapsed = std::chrono::steady_clock::now() - ex.started;
  worker.metrics.count_request(
      ex.route ? ex.route->metrics_slot : runtime::kNoRouteSlot, ex.status, ex.reason,
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
  if (ex.reason != auth::Reason::allowed) [[unlikely]]
    remember_refusal(worker.metrics, client, ex);
  record_client_certificate(worker.inventory, client, ex);
  log_exchange(worker.access_log, client, ex, bytes_in, bytes_out, elapsed);
}

void record_client_certificate(inventory::WorkerRecorder& recorder, ClientConnection& client,
                               const ExchangeRecord& ex) {
  if (!recorder.enabled()) return;
  auto& peer = ex.peer ? *ex.peer : client.peer;
  if (!peer.leaf()) return;  // none, or an unreadable trusted header: nothing to identify it by
  recorder.record(peer.shared_facts(),
                  ex.route ? std::string_view(ex.route->config->from) : std::string_view(), ex.consumer,
                  ex.reason);
}

void log_exchange(log::AccessLogger& log, ClientConnection& client, const ExchangeRecord& ex,
                  std::uint64_t bytes_in, std::uint64_t bytes_out,
                  std::chrono::steady_clock::duration elapsed) {
  if (!log.enabled()) return;
  log::AccessRecord r;
  r.time = std::chrono::system_clock::now();
  r.client = client.address();
  r.sni = client.sni();
  r.host = ex.host;
  r.method = ex.method;
  r.path = ex.path;
  if (ex.route) {
    r.route = ex.route->config->from;
    r.upstream = ex.upstream.empty() ? std::string_view(ex.route->config->to.text) : ex.upstream;
  }
  r.status = ex.status;
  r.bytes_in = bytes_in - ex.bytes_in_start;
  r.bytes_out = bytes_out - ex.bytes_out_start;
  r.duration_ms = std::chrono::duration<double, std::milli>(elapsed).count();
  if (const auto* tls = client.tls()) {
    r.tls_version = tls->version();
    r.resumed = tls->resumed();
  }
  if (auto& peer = ex.peer ? *ex.peer : client.peer; peer.present()) {
    r.cert_fingerprint = peer.facts().fingerprint;
    r.cert_subject = peer.facts().subject_dn;
  }
  r.verify = ex.verify;
  r.reason = auth::to_string(ex.reason);
  r.consumer = ex.consumer;
  r.policy_rule = ex.policy_rule;
  r.request_id = ex.request_id;
  log.log(r);
}

void log_refusal(const ClientConnection& client, std::string_view host, std::string_view request_id,
                 auth::Reason reason, std::string_view detail) {
  spdlog::info("refused {} sni={} host={} reason={} detail=\"{}\" request_id={}", client.address(),
               client.sni(), host, auth::to_string(reason), detail, request_id);
}

void log_denial(ClientConnection& client, const ExchangeRecord& ex, const auth::Decision& decision) {
  if (!spdlog::should_log(spdlog::level::info)) return;
  auto& peer = ex.peer ? *ex.peer : client.peer;
  spdlog::info("denied {} sni={} host={} route={} reason={} subject=\"{}\" detail=\"{}\" request_id={}",
               client.address(), client.sni(), ex.host, ex.route ? ex.route->config->from : "",
               auth::to_string(decision.reason), peer.present() ? peer.facts().subject_dn : "",
               decision.detail, ex.request_id);
}

}  // namespace certgate::request
