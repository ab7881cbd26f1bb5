#include "admin/admin_listener.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <sstream>

#include "admin/admin_router.h"
#include "admin/json_views.h"
#include "http/http_io.h"
#include "net/byte_stream.h"
#include "tls/tls_stream.h"

namespace certgate::admin {
namespace {

namespace bhttp = boost::beast::http;
using net::error_code;

// A whole admin exchange (handshake, request header, answer) must fit in this; a stalled client is cut.
constexpr auto kExchangeDeadline = std::chrono::seconds(10);
constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;

std::string serialize(bhttp::response<bhttp::string_body>& response) {
  std::ostringstream out;
  out << response;
  return out.str();
}

template <net::ByteStream Stream>
net::awaitable<void> exchange(Stream& stream, const SSL* ssl, const AdminAuth& auth, Backend& backend) {
  boost::beast::flat_buffer buffer;
  bhttp::request_parser<bhttp::empty_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  error_code ec;
  co_await http::read_header(stream, buffer, parser, ec);
  bhttp::response<bhttp::string_body> response;
  response.version(11);
  response.keep_alive(false);
  response.set(bhttp::field::cache_control, "no-store");
  AdminResponse answer;
  if (ec && !parser.is_header_done()) {
    if (!parser.got_some()) co_return;
    answer = {400, "application/json", error_json("bad request")};
  } else {
    const auto& req = parser.get();
    if (!auth.allows(req[bhttp::field::authorization], ssl)) {
      answer = {401, "application/json", error_json("unauthorized")};
      response.set(bhttp::field::www_authenticate, "Bearer realm=\"certgate-admin\"");
    } else {
      answer = route_admin_request(backend, req.method_string(), req.target());
    }
    if (req.method() == bhttp::verb::head) answer.body.clear();
  }
  response.result(answer.status);
  response.set(bhttp::field::content_type, answer.content_type);
  response.body() = std::move(answer.body);
  response.prepare_payload();
  const auto bytes = serialize(response);
  const std::array<net::asio::const_buffer, 1> out{net::asio::buffer(bytes)};
  co_await stream.write(out, ec);
}

}  // namespace

AdminListener::AdminListener(net::asio::io_context& io, const config::AdminSettings& settings,
                             Backend& backend)
    : io_(io),
      settings_(settings),
      backend_(backend),
      auth_(std::make_shared<const AdminAuth>(settings)),
      acceptor_(io) {}

void AdminListener::start() {
  const net::tcp::endpoint endpoint(net::asio::ip::make_address(settings_.host), settings_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  net::asio::co_spawn(io_, accept_loop(), net::asio::detached);
  spdlog::info("admin API listening on {} ({})", settings_.address,
               auth_->uses_tls() ? "TLS, admin client certificate" : "plain HTTP, bearer token");
}

void AdminListener::stop() {
  error_code ec;
  acceptor_.close(ec);
}

void AdminListener::use(std::shared_ptr<const AdminAuth> auth) {
  if (auth->uses_tls() != auth_->uses_tls())
    spdlog::info("admin API on {} now uses {}", settings_.address,
                 auth->uses_tls() ? "TLS, admin client certificate" : "plain HTTP, bearer token");
  auth_ = std::move(auth);
}

net::awaitable<void> AdminListener::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(net::use_nothrow);
    if (ec == net::asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) continue;
    net::asio::co_spawn(io_, serve(std::move(socket)), net::asio::detached);
  }
}

net::awaitable<void> AdminListener::serve(net::tcp::socket socket) {
  const auto auth = auth_;  // the connection keeps its settings
  net::asio::steady_timer deadline(io_, kExchangeDeadline);
  // Cleared when the exchange ends: a deadline handler already queued by then must not touch the socket.
  auto open = std::make_shared<bool>(true);
  auto cut_on_deadline = [&deadline, open](net::tcp::socket& s) {
    deadline.async_wait([&s, open](const error_code& ec) {
      if (ec || !*open) return;
      error_code ignored;
      s.close(ignored);
    });
  };
  if (auth->uses_tls()) {
    pki::SslPtr ssl(SSL_new(auth->tls_context()));
    if (!ssl) co_return;
    SSL_set_accept_state(ssl.get());
    tls::TlsStream stream(std::move(socket), std::move(ssl));
    cut_on_deadline(stream.socket());
    error_code ec;
    co_await stream.handshake(ec);
    if (!ec) {
      co_await exchange(stream, stream.ssl(), *auth, backend_);
      stream.shutdown();
    }
    *open = false;
  } else {
    net::PlainStream stream(std::move(socket));
    cut_on_deadline(stream.socket());
    co_await exchange(stream, nullptr, *auth, backend_);
    error_code ignored;
    stream.socket().shutdown(net::tcp::socket::shutdown_send, ignored);
    *open = false;
  }
  deadline.cancel();
}

}  // namespace certgate::admin
