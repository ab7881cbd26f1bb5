#include "request/request_handler.h"

#include <spdlog/spdlog.h>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "auth/authorizer.h"
#include "common/refusal_kind.h"
#include "http/header_rules.h"
#include "http/request_id.h"
#include "proxy/cert_forwarding.h"
#include "proxy/echo_upstream.h"
#include "proxy/jwks_endpoint.h"
#include "proxy/upstream_headers.h"
#include "request/upstream_exchange.h"

namespace certgate::request {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using net::error_code;

// A parse error the client should hear about (400), as opposed to a closed or reset connection.
bool is_http_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

bool wants_html(Downstream& downstream) {
  return http::prefers_html(downstream.request()[bhttp::field::accept]);
}

}  // namespace

// X-Request-Id: a trusted proxy's single, sane value is kept (it already names this request in the
// proxy's logs); anything else is replaced by a new id.
std::string RequestHandler::request_id(Downstream& downstream) {
  const auto& req = downstream.request();
  const bool trusted =
      downstream.connection().trusted_input.from_trusted_proxy() && req.count(http::kRequestIdHeader) == 1;
  return http::choose_request_id(req[http::kRequestIdHeader], trusted, worker_.request_ids);
}

net::awaitable<bool> RequestHandler::handle(Downstream& downstream, ExchangeRecord& ex,
                                            const std::optional<http::HeaderRefusal>& codec_refusal) {
  auto& req = downstream.request();
  ex.method = std::string(req.method_string());
  ex.path = std::string(req.target());
  ex.request_id = request_id(downstream);
  // A rejected request's unread body would be taken for the next request: close instead.
  const bool can_keep = downstream.body().done();

  std::optional<http::RequestTarget> target;
  ex.host = downstream.authority().empty() ? std::string(downstream.connection().sni())
                                           : http::host_without_port(downstream.authority());
  std::optional<EarlyAnswer> early;
  if (codec_refusal) {
    early = EarlyAnswer{codec_refusal->status, auth::Reason::bad_request, codec_refusal->detail};
  } else {
    early = check_form(downstream, ex, target);
  }
  if (!early) {
    if (auto jwks = proxy::jwks_response(runtime_.jwt_keys(), req.method(), target->path, can_keep)) {
      ex.status = jwks->result_int();
      co_return co_await downstream.respond(*jwks, can_keep);
    }
    early = find_route(downstream, ex, *target, can_keep);
  }
  if (early) co_return co_await answer_early(downstream, ex, *early);

  auto& client = downstream.connection();
  ex.peer = &client.trusted_input.certificate(req, client.peer);
  const auto decision = co_await auth::authorize({*ex.route, *ex.peer, worker_.auth});
  ex.verify = decision.verify;
  if (decision.identity.consumer) ex.consumer = decision.identity.consumer->username;
  if (decision.policy_rule) ex.policy_rule = static_cast<int>(decision.policy_rule->index);
  if (!decision.allow) {
    ex.reason = decision.reason;
    log_denial(client, ex, decision);
    co_return co_await reply_error(downstream, ex, decision.status, decision.message, can_keep);
  }
  const bool upgrade = beast::websocket::is_upgrade(req);
  if (upgrade && !ex.route->config->allow_websockets) {
    co_return co_await answer_early(downstream, ex,
                                    {403, auth::Reason::websocket_not_allowed,
                                     "a WebSocket upgrade on a route without allow_websockets", can_keep});
  }
  // certgate answers `Expect: 100-continue` itself, once the request is authorized (as nginx does).
  const bool expect_continue = beast::iequals(req[bhttp::field::expect], "100-continue");
  prepare_upstream_request(downstream, ex, decision, target->path + target->query, upgrade);
  if (expect_continue && !downstream.body().done()) {
    error_code ec;
    co_await downstream.send_continue(ec);
    if (ec) co_return false;
  }
  if (ex.route->config->to.kind == config::UpstreamKind::echo) co_return co_await answer_echo(downstream, ex);
  co_return co_await forward(downstream, ex, upgrade);
}

// The request's host and normalized target (the protocol's own framing checks came before).
std::optional<RequestHandler::EarlyAnswer> RequestHandler::check_form(
    Downstream& downstream, ExchangeRecord& ex, std::optional<http::RequestTarget>& target) {
  target = http::normalize_target(downstream.origin_target());
  if (!target)
    return EarlyAnswer{400, auth::Reason::bad_request, "a forbidden path encoding or path parameter"};
  if (ex.host.empty()) return EarlyAnswer{400, auth::Reason::bad_request, "no host name"};
  return std::nullopt;
}

// The route, and what it rules out before authorization: no route (404), a certificate presented to
// another host (421), a body above its max_request_body (413).
std::optional<RequestHandler::EarlyAnswer> RequestHandler::find_route(Downstream& downstream,
                                                                      ExchangeRecord& ex,
                                                                      const http::RequestTarget& target,
                                                                      bool can_keep) {
  ex.route = listener_.router.match(ex.host, target.routing_path());
  if (!ex.route) {
    const bool known = listener_.router.knows_host(ex.host);
    return EarlyAnswer{404, known ? auth::Reason::no_route : auth::Reason::unknown_host, {}, can_keep};
  }
  // The certificate was requested for the SNI's host; it must not be used for another host. (A
  // certificate from a trusted proxy's header was not requested by this handshake at all.)
  auto& client = downstream.connection();
  const auto sni = client.sni();
  if (ex.route->config->mtls.mode != config::MtlsMode::off && !client.trusted_input.active() &&
      !sni.empty() && ex.host != sni) {
    return EarlyAnswer{421, auth::Reason::misdirected_request, {}, can_keep};
  }
  // max_request_body: a declared length above it is refused before anything is read; a chunked body is
  // cut once its chunks add up to more (see reply_body_failure).
  if (const auto idle = ex.route->config->idle_timeout) downstream.set_idle_timeout(*idle);
  const auto max_body = ex.route->config->max_request_body;
  if (max_body > 0 && !downstream.limit_body(max_body))
    return EarlyAnswer{413, auth::Reason::body_too_large, "Content-Length above max_request_body"};
  return std::nullopt;
}

// A refusal for the request's form carries a detail: it goes to the error log (the reason to the access
// log), never to the client; such a connection closes, as its framing cannot be trusted.
net::awaitable<bool> RequestHandler::answer_early(Downstream& downstream, ExchangeRecord& ex,
                                                  const EarlyAnswer& answer) {
  ex.reason = answer.reason;
  if (!answer.detail.empty())
    log_refusal(downstream.connection(), ex.host, ex.request_id, answer.reason, answer.detail);
  co_return co_await reply_error(downstream, ex, answer.status, http::default_message(answer.status),
                                 answer.keep_open);
}

// The client's body broke off: too large for max_request_body (413), invalid chunked framing (400), too
// slow (408), or the client went away (nothing to answer). The connection closes in every case.
net::awaitable<bool> RequestHandler::reply_body_failure(Downstream& downstream, ExchangeRecord& ex,
                                                        const error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    co_return co_await answer_early(
        downstream, ex, {413, auth::Reason::body_too_large, "a chunked body above max_request_body"});
  }
  if (ec == net::asio::error::timed_out) {
    co_return co_await answer_early(
        downstream, ex,
        {408, auth::Reason::request_timeout, "the request body stalled or came slower than its pace"});
  }
  // A body cut short by the client closing is not a framing error: there is nobody left to answer.
  if (!is_http_error(ec) || ec == bhttp::error::partial_message) co_return false;
  const std::string detail = "invalid body framing: " + ec.message();
  co_return co_await answer_early(downstream, ex, {400, auth::Reason::bad_request, detail});
}

net::awaitable<bool> RequestHandler::reply_error(Downstream& downstream, ExchangeRecord& ex, unsigned status,
                                                 std::string_view message, bool keep_open) {
  // `responses:` may give a refusal of the client's credentials another status (495, 496...).
  const auto kind = refusal_kind(ex.reason);
  const auto& responses = ex.route ? ex.route->config->responses : runtime_.config().responses;
  status = responses.status_for(kind, status);
  auto res =
      http::make_error_response(status, message, wants_html(downstream), keep_open, ex.request_id, kind);
  ex.status = status;
  co_return co_await downstream.respond(res, keep_open);
}

void RequestHandler::prepare_upstream_request(Downstream& downstream, const ExchangeRecord& ex,
                                              const auth::Decision& decision,
                                              const std::string& normalized_target, bool upgrade) {
  auto& req = downstream.request();
  auto& client = downstream.connection();
  const auto& route = *ex.route->config;
  const auto& cfg = runtime_.config();
  const std::string original_host(req[bhttp::field::host]);
  const std::string upgrade_to = upgrade ? std::string(req[bhttp::field::upgrade]) : std::string();
  client.forwarding.request_host = ex.host;
  client.forwarding.incoming_xfcc.clear();
  if (client.trusted_input.from_trusted_proxy() && proxy::forwards_incoming_xfcc(route.headers))
    proxy::collect_incoming_xfcc(req, client.forwarding.incoming_xfcc);
  http::strip_request_headers(
      req, {.also = runtime_.extra_gateway_headers(),
            .drop_underscores = cfg.headers_with_underscores != config::UnderscoreHeaders::allow,
            .trusted_proxy = client.trusted_input.from_trusted_proxy()});
  req.erase(bhttp::field::expect);
  http::set_forwarded_headers(req, client.ip(), original_host.empty() ? ex.host : original_host);
  req.set(http::kRequestIdHeader, ex.request_id);  // every client copy goes; a trusted one was kept above
  proxy::add_upstream_headers(req, route, decision, *ex.peer, client.forwarding);
  for (const auto& header : route.set_request_headers)
    req.set(header.name, header.value);
  if (route.to.kind == config::UpstreamKind::http && !route.preserve_host) {
    req.set(bhttp::field::host, ex.route->upstream_authority);
  } else if (original_host.empty()) {
    req.set(bhttp::field::host, ex.host);
  }
  req.target(route.to.base_path + normalized_target);
  req.version(11);
  // The upgrade is hop-by-hop (stripped above): this hop asks for it again.
  if (upgrade) {
    req.set(bhttp::field::connection, "Upgrade");
    req.set(bhttp::field::upgrade, upgrade_to);
  }
  // The serializer frames the body again as the client framed it (chunked when its length is unknown).
  const auto framing = downstream.request_framing();
  if (framing.chunked) {
    req.chunked(true);
  } else if (framing.content_length) {
    req.content_length(*framing.content_length);
  }
}

net::awaitable<bool> RequestHandler::answer_echo(Downstream& downstream, ExchangeRecord& ex) {
  error_code ec;
  auto& body = downstream.body();
  const auto chunk = downstream.body_chunk();
  while (!body.done()) {  // the echo describes the request; its body is read and dropped
    co_await body.read(chunk, false, ec);
    if (ec) co_return co_await reply_body_failure(downstream, ex, ec);
  }
  const auto& req = downstream.request();
  http::StringResponse res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = proxy::echo_body(req.method_string(), req.target(), req);
  res.prepare_payload();
  ex.status = 200;
  co_return co_await downstream.respond(res, true);
}

net::awaitable<bool> RequestHandler::forward(Downstream& downstream, ExchangeRecord& ex, bool upgrade) {
  ExchangeResult result;
  {  // the exchange leaves the worker's registry before the client hears about a failure
    UpstreamExchange exchange(worker_, runtime_.config(), *ex.route, downstream.connection());
    result = co_await exchange.run(downstream, upgrade);
    ex.upstream = exchange.upstream_text();
  }
  using Kind = ExchangeResult::Kind;
  switch (result.kind) {
    case Kind::done:
      ex.status = result.status;
      co_return result.keep_open;
    case Kind::body_failed:
      co_return co_await reply_body_failure(downstream, ex, result.ec);
    case Kind::upstream_failed: {
      // 504 when the upstream timed out, 502 for anything else it did wrong; the connection then closes.
      const unsigned status = result.timed_out ? 504 : 502;
      ex.reason = result.timed_out    ? auth::Reason::upstream_timeout
                  : result.tls_failed ? auth::Reason::upstream_tls_failed
                                      : auth::Reason::upstream_unavailable;
      co_return co_await reply_error(downstream, ex, status, http::default_message(status), false);
    }
    case Kind::upstream_truncated:  // the client got part of a response: it must not look whole
      ex.status = result.status;
      ex.reason = auth::Reason::upstream_truncated;
      co_return false;
    case Kind::client_gone:
      ex.status = result.status;
      co_return false;
  }
  co_return false;
}

}  // namespace certgate::request
