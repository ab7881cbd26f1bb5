// The request handler: everything between a parsed request header and the end of its response that does
// not depend on the HTTP version (the pure handler of Beast's advanced server examples; the router and
// upstream request of Envoy's HTTP connection manager). In order: the request's form (host, normalized
// target), the JWKS document, the route (404, 421, 413), authorization (401, 403, 495...), WebSocket
// upgrades, the upstream request's headers, then echo:// or the upstream exchange.
//
// One handler per client connection; it holds nothing per request, so a multiplexing connection can run
// several handle() calls at once.
#pragma once

#include <optional>

#include "http/request_checks.h"
#include "http/request_target.h"
#include "request/downstream.h"
#include "request/exchange_record.h"
#include "runtime/runtime.h"
#include "runtime/worker_context.h"

namespace certgate::request {

class RequestHandler {
 public:
  RequestHandler(runtime::WorkerContext& worker, const runtime::Runtime& runtime,
                 const runtime::ListenerRuntime& listener)
      : worker_(worker), runtime_(runtime), listener_(listener) {}

  // `codec_refusal`: what the protocol's own checks found wrong with the header (answered here, so it is
  // logged like every other refusal). Returns whether the connection may carry another request.
  net::awaitable<bool> handle(Downstream& downstream, ExchangeRecord& record,
                              const std::optional<http::HeaderRefusal>& codec_refusal = std::nullopt);

  // A request the gateway answers itself before authorization (400, 404, 408, 413, 421, 431).
  struct EarlyAnswer {
    unsigned status = 400;
    auth::Reason reason = auth::Reason::bad_request;
    std::string_view detail;  // for the error log; empty: nothing to log
    bool keep_open = false;
  };
  net::awaitable<bool> answer_early(Downstream& downstream, ExchangeRecord& record,
                                    const EarlyAnswer& answer);

 private:
  std::optional<EarlyAnswer> check_form(Downstream& downstream, ExchangeRecord& record,
                                        std::optional<http::RequestTarget>& target);
  std::optional<EarlyAnswer> find_route(Downstream& downstream, ExchangeRecord& record,
                                        const http::RequestTarget& target, bool can_keep);
  net::awaitable<bool> forward(Downstream& downstream, ExchangeRecord& record, bool upgrade);
  net::awaitable<bool> answer_echo(Downstream& downstream, ExchangeRecord& record);
  net::awaitable<bool> reply_body_failure(Downstream& downstream, ExchangeRecord& record,
                                          const net::error_code& ec);
  std::string request_id(Downstream& downstream);
  net::awaitable<bool> reply_error(Downstream& downstream, ExchangeRecord& record, unsigned status,
                                   std::string_view message, bool keep_open);
  void prepare_upstream_request(Downstream& downstream, const ExchangeRecord& record,
                                const auth::Decision& decision, const std::string& normalized_target,
                                bool upgrade);

  runtime::WorkerContext& worker_;
  const runtime::Runtime& runtime_;
  const runtime::ListenerRuntime& listener_;
};

}  // namespace certgate::request
