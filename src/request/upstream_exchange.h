// One request's exchange with its route's upstream: a pooled keep-alive connection or a new one, the
// request header and body (streamed from the downstream), the response header, and the response streamed
// back through the downstream; the connection goes back to the worker's pool when it can carry another
// request. A pooled connection the upstream closed just as it was taken is retried once on a new one when
// that is safe (RFC 9110 section 9.2.2). The exchange has its own deadline in the worker's registry, so
// several can be in flight on one client connection.
#pragma once

#include <optional>

#include "config/config.h"
#include "proxy/balancer.h"
#include "proxy/route.h"
#include "proxy/upstream_stream.h"
#include "request/downstream.h"
#include "runtime/worker_context.h"

namespace certgate::request {

struct ExchangeResult {
  enum class Kind {
    done,                // the response went to the client (keep_open says what next)
    body_failed,         // the client's body broke off (`ec`: too large, bad framing, too slow, gone)
    upstream_failed,     // nothing usable came from the upstream: the client gets 502 or 504
    upstream_truncated,  // the response broke off after the client got part of it
    client_gone,         // the client stopped reading the response
  };
  Kind kind = Kind::done;
  unsigned status = 0;  // the upstream's, when the client got it
  net::error_code ec;
  bool keep_open = false;
  bool timed_out = false;   // upstream_failed / upstream_truncated: because of a timeout
  bool tls_failed = false;  // upstream_failed: the TLS handshake with the upstream failed
};

class UpstreamExchange final : public runtime::Watched {
 public:
  UpstreamExchange(runtime::WorkerContext& worker, const config::Config& config,
                   const proxy::RouteRuntime& route, const ClientConnection& client);
  UpstreamExchange(const UpstreamExchange&) = delete;
  UpstreamExchange& operator=(const UpstreamExchange&) = delete;

  // `upgrade`: a WebSocket upgrade; after a 101 the downstream tunnels the bytes to this connection.
  net::awaitable<ExchangeResult> run(Downstream& downstream, bool upgrade);

  void on_deadline() override;
  // The entry of the route's `to` the request went to last ("" before one was picked); it lives in the
  // route's config generation.
  std::string_view upstream_text() const {
    return lease_ ? std::string_view(route_.upstreams.targets[lease_->target].text) : std::string_view();
  }

 private:
  net::awaitable<bool> connect(proxy::UpstreamStream& into);
  net::awaitable<bool> connect_to(proxy::UpstreamStream& into, const proxy::Balancer::Endpoint& endpoint);
  const proxy::UpstreamTarget& target() const { return balancer_->targets()[lease_->target]; }
  // https:// upstreams: the TLS handshake on the new connection, verified as the route says.
  net::awaitable<bool> start_tls(proxy::UpstreamStream& stream);
  net::awaitable<ExchangeResult> tunnel(Downstream& downstream, proxy::UpstreamStream& upstream,
                                        Response& response, const std::string& upgrade_to);
  ExchangeResult failed(std::string_view what, const net::error_code& ec);
  // `t`, or the route's timeout when that comes first.
  runtime::Clock::time_point earliest(runtime::Clock::time_point t) const {
    return deadline_ && *deadline_ < t ? *deadline_ : t;
  }

  runtime::WorkerContext& worker_;
  const config::Config& config_;
  const proxy::RouteRuntime& route_;
  const ClientConnection& client_;
  proxy::Balancer* balancer_ = nullptr;  // the worker's, for the route's upstreams
  proxy::Lease lease_;                   // the endpoint this request goes to
  net::tcp::socket* socket_ = nullptr;   // what a deadline cancels
  bool timed_out_ = false;
  bool tls_failed_ = false;
  bool tls_handshake_started_ = false;                  // a TLS failure is no reason to skip the endpoint
  std::optional<runtime::Clock::time_point> deadline_;  // the route's timeout
};

}  // namespace certgate::request
