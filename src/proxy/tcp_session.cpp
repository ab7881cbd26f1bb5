#include "proxy/tcp_session.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "auth/authorizer.h"
#include "pki/cert_info.h"
#include "proxy/proxy_protocol.h"
#include "tls/handshake_log.h"
#include "tls/handshake_verification.h"

namespace certgate::proxy {
namespace {

using net::error_code;
using namespace boost::asio::experimental::awaitable_operators;

constexpr std::size_t kChunk = 16 * 1024;

std::string endpoint_text(const net::tcp::endpoint& ep) {
  const auto ip = ep.address().to_string();
  return ep.address().is_v6() ? "[" + ip + "]:" + std::to_string(ep.port())
                              : ip + ":" + std::to_string(ep.port());
}

}  // namespace

TcpSession::TcpSession(server::WorkerContext& worker, std::shared_ptr<const server::Runtime> runtime,
                       const server::ListenerRuntime& listener, net::tcp::socket socket,
                       const net::tcp::endpoint& remote)
    : worker_(worker),
      runtime_(std::move(runtime)),
      listener_(listener),
      tls_(std::move(socket), listener.tls->new_connection(&handshake_)),
      upstream_(net::tcp::socket(worker.io)),
      started_(std::chrono::steady_clock::now()),
      idle_timeout_(runtime_->config().timeouts.idle) {
  error_code ec;
  client_address_ = endpoint_text(remote);
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
      abort();
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

void TcpSession::abort() {
  aborted_ = true;
  // shutdown(2), not close: a coroutine may still hold the descriptor, and a closed number could be reused.
  error_code ec;
  tls_.socket().cancel(ec);
  tls_.socket().shutdown(net::tcp::socket::shutdown_both, ec);
  upstream_.socket().cancel(ec);
  upstream_.socket().shutdown(net::tcp::socket::shutdown_both, ec);
}

void TcpSession::finish(unsigned status, auth::Reason reason) {
  status_ = status;
  reason_ = reason;
}

net::awaitable<void> TcpSession::run() {
  if (!tls_.ssl()) co_return;
  const auto& timeouts = runtime_->config().timeouts;
  error_code ec;
  arm(timeouts.handshake);
  co_await tls_.handshake(ec);
  disarm();
  if (ec) {
    tls::log_handshake_failure(client_address_, handshake_, tls_, ec);
    if (tls::TlsStream::sent_alert(ec)) {
      arm(tls::kLingerAfterAlert);
      co_await tls_.linger_after_failure();
      disarm();
    }
    co_return;
  }
  worker_.connections.established(*this);
  tls_version_ = SSL_get_version(tls_.ssl());
  resumed_ = SSL_session_reused(tls_.ssl()) == 1;
  host_ = handshake_.sni.empty() ? listener_.no_sni_host : handshake_.sni;
  route_ = listener_.router.match(host_, "/");
  if (route_ && route_->config->tcp.idle_timeout) idle_timeout_ = *route_->config->tcp.idle_timeout;
  if (co_await authorize() && co_await connect_upstream() && co_await send_proxy_header()) {
    phase_ = Phase::relaying;
    touch();
    co_await (client_to_upstream() && upstream_to_client());
    disarm();
    finish(200, timed_out_ ? auth::Reason::idle_timeout : auth::Reason::allowed);
  } else {
    tls_.shutdown();
  }
  log_connection();
}

net::awaitable<bool> TcpSession::authorize() {
  phase_ = Phase::authorizing;
  if (!route_) {  // the handshake refuses unknown names; a reload cannot change this connection's routes
    finish(404, auth::Reason::unknown_host);
    co_return false;
  }
  peer_ = auth::PeerCertificate::from_connection(tls_.ssl());
  if (handshake_.verified) {
    peer_.adopt(*handshake_.profile->handshake_trust, handshake_.profile->max_verify_depth,
                std::move(*handshake_.verified));
  }
  decision_ = co_await auth::authorize({*route_, peer_, worker_.auth});
  if (decision_.allow) co_return true;
  finish(decision_.status, decision_.reason);
  if (spdlog::should_log(spdlog::level::info)) {
    spdlog::info("denied {} sni={} host={} route={} reason={} subject=\"{}\" detail=\"{}\"", client_address_,
                 handshake_.sni, host_, route_->config->from, auth::to_string(decision_.reason),
                 peer_.present() ? peer_.facts().subject_dn : "", decision_.detail);
  }
  co_return false;
}

net::awaitable<bool> TcpSession::connect_upstream() {
  phase_ = Phase::connecting;
  arm(runtime_->config().timeouts.upstream_connect);
  auto [ec, endpoint] =
      co_await net::asio::async_connect(upstream_.socket(), route_->upstream_endpoints, net::use_nothrow);
  disarm();
  if (!ec) {
    upstream_.socket().set_option(net::tcp::no_delay(true), ec);
    co_return true;
  }
  finish(timed_out_ ? 504 : 502,
         timed_out_ ? auth::Reason::upstream_timeout : auth::Reason::upstream_unavailable);
  spdlog::warn("{} cannot connect to upstream {}: {}", client_address_, route_->config->to.text,
               timed_out_ ? "timed out" : ec.message());
  co_return false;
}

net::awaitable<bool> TcpSession::send_proxy_header() {
  if (route_->config->tcp.proxy_protocol != config::ProxyProtocol::v2) co_return true;
  ProxyHeaderV2 h;
  error_code ec;
  h.source = tls_.socket().remote_endpoint(ec);
  h.destination = tls_.socket().local_endpoint(ec);
  h.authority = handshake_.sni;
  h.certificate_in_session = peer_.present();
  h.certificate_on_connection = peer_.present() && !resumed_;
  if (decision_.certificate)
    h.verify = decision_.certificate->ok ? 0 : tls::x509_error_for(decision_.certificate->reason);
  h.tls_version = tls_version_;
  h.cipher = SSL_get_cipher_name(tls_.ssl());
  std::string common_name;
  if (peer_.present()) {
    const auto names = pki::subject_attribute(peer_.leaf(), NID_commonName);
    if (!names.empty()) common_name = names.front();
  }
  h.common_name = common_name;
  const auto header = encode_proxy_v2(h);
  const net::asio::const_buffer out(header.data(), header.size());
  arm(runtime_->config().timeouts.upstream_connect);
  co_await upstream_.write(std::span(&out, 1), ec);
  disarm();
  if (!ec) co_return true;
  finish(502, auth::Reason::upstream_unavailable);
  spdlog::warn("{} upstream {} failed: {}", client_address_, route_->config->to.text, ec.message());
  co_return false;
}

net::awaitable<void> TcpSession::client_to_upstream() {
  auto buffer = std::make_unique<std::array<char, kChunk>>();
  while (!aborted_) {
    error_code ec;
    const auto n = co_await tls_.read_some(net::asio::buffer(*buffer), ec);
    if (ec) {
      // The client is done sending (close_notify or FIN): pass the half-close on; answers still flow.
      if (ec == net::asio::error::eof && !aborted_) {
        upstream_.socket().shutdown(net::tcp::socket::shutdown_send, ec);
      } else {
        abort();
      }
      co_return;
    }
    touch();
    const net::asio::const_buffer out(buffer->data(), n);
    co_await upstream_.write(std::span(&out, 1), ec);
    if (ec || aborted_) {
      abort();
      co_return;
    }
    touch();
  }
}

net::awaitable<void> TcpSession::upstream_to_client() {
  auto buffer = std::make_unique<std::array<char, kChunk>>();
  while (!aborted_) {
    error_code ec;
    const auto n = co_await upstream_.read_some(net::asio::buffer(*buffer), ec);
    if (ec) {
      // The upstream is done sending: close_notify tells the client; the client may still send.
      if (ec == net::asio::error::eof && !aborted_) {
        tls_.shutdown();
      } else {
        abort();
      }
      co_return;
    }
    touch();
    const net::asio::const_buffer out(buffer->data(), n);
    co_await tls_.write(std::span(&out, 1), ec);
    if (ec || aborted_) {
      abort();
      co_return;
    }
    touch();
  }
}

void TcpSession::log_connection() {
  if (!worker_.access_log.enabled()) return;
  log::AccessRecord r;
  r.time = std::chrono::system_clock::now();
  r.client = client_address_;
  r.sni = handshake_.sni;
  r.host = host_;
  if (route_) {
    r.route = route_->config->from;
    r.upstream = route_->config->to.text;
  }
  r.status = status_;
  r.bytes_in = tls_.bytes_read();
  r.bytes_out = tls_.bytes_written();
  r.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
  r.tls_version = tls_version_;
  r.resumed = resumed_;
  if (peer_.present()) {
    r.cert_fingerprint = peer_.facts().fingerprint;
    r.cert_subject = peer_.facts().subject_dn;
  }
  r.verify = decision_.verify;
  r.reason = auth::to_string(reason_);
  worker_.access_log.log(r);
}

}  // namespace certgate::proxy
