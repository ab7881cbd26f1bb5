#include "session/tcp_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>

#include "auth/authorizer.h"
#include "pki/cert_info.h"
#include "proxy/proxy_protocol.h"
#include "session/byte_relay.h"
#include "session/server_handshake.h"
#include "tls/handshake_verification.h"

namespace certgate::session {
namespace {

using net::error_code;

}  // namespace

TcpSession::TcpSession(runtime::WorkerContext& worker, std::shared_ptr<const runtime::Runtime> runtime,
                       const runtime::ListenerRuntime& listener, net::tcp::socket socket,
                       const net::tcp::endpoint& remote)
    : worker_(worker),
      runtime_(std::move(runtime)),
      listener_(listener),
      tls_(std::move(socket), listener.tls->new_connection(&handshake_)),
      tls_info_(tls_.ssl(), handshake_),
      client_(remote),
      upstream_(net::tcp::socket(worker.io)) {
  error_code ec;
  tls_.socket().set_option(net::tcp::no_delay(true), ec);
  worker_.connections.add(*this);
}

TcpSession::~TcpSession() = default;

net::awaitable<void> run_tcp_session(std::unique_ptr<TcpSession> session) {
  co_await session->run();
}

void TcpSession::on_deadline() {
  error_code ec;
  switch (phase_) {
    case Phase::handshake:
    case Phase::authorizing:
      tls_.socket().cancel(ec);
      break;
    case Phase::connecting:
      timed_out_ = true;
      upstream_.socket().cancel(ec);
      break;
    case Phase::relaying:
      timed_out_ = true;
      if (relay_) relay_->expire();
      break;
  }
}

// Established streams are left to finish (bounded by timeouts.shutdown, as nginx's stream module does).
void TcpSession::on_drain() {
  if (phase_ == Phase::handshake) {
    error_code ec;
    tls_.socket().cancel(ec);
  }
}

void TcpSession::on_yield() {
  abort();
}

void TcpSession::abort() {
  // shutdown(2), not close: a coroutine may still hold the descriptor, and a closed number could be reused.
  error_code ec;
  tls_.socket().cancel(ec);
  tls_.socket().shutdown(net::tcp::socket::shutdown_both, ec);
  upstream_.socket().cancel(ec);
  upstream_.socket().shutdown(net::tcp::socket::shutdown_both, ec);
}

void TcpSession::finish(unsigned status, auth::Reason reason) {
  record_.status = status;
  record_.reason = reason;
}

net::awaitable<void> TcpSession::run() {
  if (!tls_.ssl()) co_return;
  const auto& timeouts = runtime_->config().timeouts;
  const bool ok = co_await server_handshake(tls_, *this, handshake_, client_.address(), timeouts.handshake,
                                            worker_.metrics.handshakes);
  if (!ok) co_return;
  worker_.connections.established(*this);
  client_.established(tls_info_, worker_.auth.chains);
  record_.host = handshake_.sni.empty() ? listener_.no_sni_host : handshake_.sni;
  record_.route = listener_.router.match(record_.host, "/");
  if (co_await authorize() && co_await connect_upstream() && co_await send_proxy_header()) {
    phase_ = Phase::relaying;
    const auto& route = *record_.route->config;
    ByteRelay relay(tls_, upstream_, *this, route.idle_timeout.value_or(timeouts.idle));
    relay_ = &relay;
    co_await relay.run();
    relay_ = nullptr;
    finish(200, relay.timed_out() ? auth::Reason::idle_timeout : auth::Reason::allowed);
  } else {
    tls_.shutdown();
  }
  request::finish_exchange(worker_, client_, record_, tls_.bytes_read(), tls_.bytes_written());
}

net::awaitable<bool> TcpSession::authorize() {
  phase_ = Phase::authorizing;
  if (!record_
           .route) {  // the handshake refuses unknown names; a reload cannot change this connection's routes
    finish(404, auth::Reason::unknown_host);
    co_return false;
  }
  record_.peer = &client_.peer;
  decision_ = co_await auth::authorize({*record_.route, client_.peer, worker_.auth});
  record_.verify = decision_.verify;
  if (decision_.allow) co_return true;
  finish(decision_.status, decision_.reason);
  request::log_denial(client_, record_, decision_);
  co_return false;
}

net::awaitable<bool> TcpSession::connect_upstream() {
  phase_ = Phase::connecting;
  const auto& route = *record_.route;
  arm(runtime_->config().timeouts.upstream_connect);
  auto [ec, endpoint] =
      co_await net::asio::async_connect(upstream_.socket(), route.upstream_endpoints, net::use_nothrow);
  disarm();
  if (!ec) {
    upstream_.socket().set_option(net::tcp::no_delay(true), ec);
    co_return true;
  }
  finish(timed_out_ ? 504 : 502,
         timed_out_ ? auth::Reason::upstream_timeout : auth::Reason::upstream_unavailable);
  spdlog::warn("{} cannot connect to upstream {}: {}", client_.address(), route.config->to.text,
               timed_out_ ? "timed out" : ec.message());
  co_return false;
}

net::awaitable<bool> TcpSession::send_proxy_header() {
  const auto& route = *record_.route;
  if (route.config->tcp.proxy_protocol != config::ProxyProtocol::v2) co_return true;
  auto& peer = client_.peer;
  proxy::ProxyHeaderV2 h;
  error_code ec;
  h.source = tls_.socket().remote_endpoint(ec);
  h.destination = tls_.socket().local_endpoint(ec);
  h.authority = handshake_.sni;
  h.certificate_in_session = peer.present();
  h.certificate_on_connection = peer.present() && !tls_info_.resumed();
  if (decision_.certificate)
    h.verify = decision_.certificate->ok ? 0 : tls::x509_error_for(decision_.certificate->reason);
  h.tls_version = tls_info_.version();
  h.cipher = tls_info_.cipher();
  std::string common_name;
  if (peer.present()) {
    const auto names = pki::subject_attribute(peer.leaf(), NID_commonName);
    if (!names.empty()) common_name = names.front();
  }
  h.common_name = common_name;
  const auto header = proxy::encode_proxy_v2(h);
  const net::asio::const_buffer out(header.data(), header.size());
  arm(runtime_->config().timeouts.upstream_connect);
  co_await upstream_.write(std::span(&out, 1), ec);
  disarm();
  if (!ec) co_return true;
  finish(502, auth::Reason::upstream_unavailable);
  spdlog::warn("{} upstream {} failed: {}", client_.address(), route.config->to.text, ec.message());
  co_return false;
}

}  // namespace certgate::session
