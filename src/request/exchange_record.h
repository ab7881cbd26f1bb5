// What one request turned into, for the access log and the "denied"/"refused" error log lines. Filled in
// as the request goes through the handler; written once at its end.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/decision.h"
#include "auth/peer_certificate.h"
#include "log/access_log.h"
#include "proxy/route.h"
#include "request/client_connection.h"
#include "runtime/worker_context.h"

namespace certgate::request {

struct ExchangeRecord {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::string method;
  std::string path;
  std::string host;
  std::string request_id;  // X-Request-Id: sent upstream, logged, shown on the gateway's own answers
  const proxy::RouteRuntime* route = nullptr;
  std::string_view upstream;  // the entry of the route's `to` the request went to (runtime's config)
  auth::PeerCertificate* peer = nullptr;  // the certificate the request was authorized with
  unsigned status = 0;
  auth::Reason reason = auth::Reason::allowed;
  std::string verify;
  std::string_view consumer;  // points into the runtime's config, which the connection holds
  int policy_rule = -1;
  std::uint64_t bytes_in_start = 0;
  std::uint64_t bytes_out_start = 0;
};

// The end of an exchange on `worker`: its count in the worker's metrics (a refusal also in the ring the
// status page shows), the client certificate's sighting for the inventory (record_client_certificate)
// and the access-log line (log_exchange).
void finish_exchange(runtime::WorkerContext& worker, ClientConnection& client, const ExchangeRecord& record,
                     std::uint64_t bytes_in, std::uint64_t bytes_out);

// The certificate the exchange was decided with, if any, with its route, consumer and reason.
void record_client_certificate(inventory::WorkerRecorder& recorder, ClientConnection& client,
                               const ExchangeRecord& record);

// One access-log line for the record; `bytes_in`/`bytes_out`: the client side's counters now, `elapsed`:
// since the request began.
void log_exchange(log::AccessLogger& log, ClientConnection& client, const ExchangeRecord& record,
                  std::uint64_t bytes_in, std::uint64_t bytes_out,
                  std::chrono::steady_clock::duration elapsed);

// "refused ... reason=... detail=..." at info: a request the gateway answered itself before
// authorization; the detail is for the operator, never the client.
void log_refusal(const ClientConnection& client, std::string_view host, std::string_view request_id,
                 auth::Reason reason, std::string_view detail);

// "denied ..." at info: authorization said no.
void log_denial(ClientConnection& client, const ExchangeRecord& record, const auth::Decision& decision);

}  // namespace certgate::request
