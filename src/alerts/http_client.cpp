#include "alerts/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <vector>

#include "common/version.h"
#include "http/http_io.h"
#include "pki/pem.h"
#include "proxy/upstream_stream.h"

namespace certgate::alerts {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using net::error_code;

constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;

HttpResponse failure(std::string error) {
  HttpResponse r;
  r.error = std::move(error);
  return r;
}

// Cancels the connection's operations when the deadline passes; `fired` tells a timeout from other errors.
class Watchdog {
 public:
  Watchdog(proxy::UpstreamStream& stream, std::chrono::steady_clock::time_point at)
      : timer_(stream.socket().get_executor(), at) {
    timer_.async_wait([&stream, fired = fired_](const error_code& ec) {
      if (ec) return;  // cancelled: the exchange ended in time (the stream may be gone already)
      *fired = true;
      error_code ignored;
      stream.socket().cancel(ignored);  // the socket in use now: plain, or inside the TLS stream
      stream.socket().shutdown(net::tcp::socket::shutdown_both, ignored);
    });
  }
  ~Watchdog() { timer_.cancel(); }
  bool fired() const { return *fired_; }

 private:
  net::asio::steady_timer timer_;
  std::shared_ptr<bool> fired_ = std::make_shared<bool>(false);
};

net::awaitable<error_code> resolve(const config::HttpUrl& url, std::vector<net::tcp::endpoint>& out) {
  auto executor = co_await net::asio::this_coro::executor;
  error_code ec;
  const auto address = net::asio::ip::make_address(url.host, ec);
  if (!ec) {
    out.emplace_back(address, url.port);
    co_return error_code{};
  }
  net::tcp::resolver resolver(executor);
  auto [resolve_ec, results] =
      co_await resolver.async_resolve(url.host, std::to_string(url.port), net::use_nothrow);
  for (const auto& entry : results)
    out.push_back(entry.endpoint());
  co_return resolve_ec;
}

bhttp::request<bhttp::string_body> build_request(const HttpRequest& request) {
  bhttp::request<bhttp::string_body> req{request.method, request.url.target, 11};
  req.set(bhttp::field::host, config::host_header(request.url));
  req.set(bhttp::field::user_agent, std::string("certgate/") + std::string(kVersion));
  req.set(bhttp::field::connection, "close");
  if (!request.bearer_token.empty()) req.set(bhttp::field::authorization, "Bearer " + request.bearer_token);
  if (!request.content_type.empty()) req.set(bhttp::field::content_type, request.content_type);
  req.body() = request.body;
  req.prepare_payload();
  return req;
}

// Reads a whole response into `parser` (its body ends with the length, the chunks, or the close).
net::awaitable<void> read_response(proxy::UpstreamStream& stream,
                                   bhttp::response_parser<bhttp::string_body>& parser, error_code& ec) {
  beast::flat_buffer buffer;
  co_await http::read_header(stream, buffer, parser, ec);
  while (!ec && !parser.is_done()) {
    if (buffer.size() > 0) {
      const auto used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec || parser.is_done()) break;
      if (used > 0) continue;
    }
    const auto n = co_await stream.read_some(buffer.prepare(http::kReadChunk), ec);
    if (ec == net::asio::error::eof) {
      ec = {};
      parser.put_eof(ec);
      break;
    }
    buffer.commit(n);
  }
}

std::string describe(const error_code& ec, const Watchdog& watchdog) {
  if (watchdog.fired()) return "timed out";
  if (ec == bhttp::error::body_limit) return "the response is too large";
  return ec.message();
}

}  // namespace

std::shared_ptr<const tls::UpstreamTls> make_client_tls(const config::HttpUrl& url,
                                                        const std::string& ca_file,
                                                        const config::SourceMark& mark) {
  config::UpstreamTls settings;
  settings.custom_ca_file = ca_file;
  settings.mark = mark;
  return tls::UpstreamTls::build(settings, url.host);
}

net::awaitable<HttpResponse> http_request(const HttpRequest& request) {
  auto executor = co_await net::asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  std::vector<net::tcp::endpoint> endpoints;
  const auto resolve_ec = co_await resolve(request.url, endpoints);
  if (resolve_ec || endpoints.empty())
    co_return failure("cannot resolve " + request.url.host + ": " + resolve_ec.message());

  proxy::UpstreamStream stream{net::tcp::socket(executor)};
  Watchdog watchdog(stream, deadline);
  auto [connect_ec, endpoint] =
      co_await net::asio::async_connect(stream.socket(), endpoints, net::use_nothrow);
  if (connect_ec) co_return failure("cannot connect: " + describe(connect_ec, watchdog));
  error_code ec;
  if (request.url.https) {
    if (!request.tls) co_return failure("an https:// URL without a TLS context");
    auto ssl = request.tls->new_connection();
    if (!ssl) co_return failure("TLS: " + pki::take_openssl_errors());
    stream.start_tls(std::move(ssl));
    co_await stream.tls()->handshake(ec);
    if (ec) {
      std::string detail(stream.tls()->verification_error());
      if (detail.empty())
        detail = stream.tls()->last_error().empty() ? describe(ec, watchdog) : stream.tls()->last_error();
      co_return failure("TLS: " + detail);
    }
  }
  auto req = build_request(request);
  bhttp::serializer<true, bhttp::string_body> serializer(req);
  co_await http::write_ready(stream, serializer, ec);
  if (ec) co_return failure("cannot send the request: " + describe(ec, watchdog));

  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(request.max_body);
  co_await read_response(stream, parser, ec);
  if (ec) co_return failure("cannot read the response: " + describe(ec, watchdog));
  stream.shutdown_send();
  HttpResponse response;
  response.status = parser.get().result_int();
  response.body = std::move(parser.get().body());
  co_return response;
}

}  // namespace certgate::alerts
