#include "revocation/http_fetch.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <vector>

#include "common/version.h"

namespace certgate::revocation {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace boost::asio::experimental::awaitable_operators;
using net::error_code;

constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;

HttpResult failure(std::string error) {
  HttpResult r;
  r.error = std::move(error);
  return r;
}

std::string describe(const error_code& ec) {
  if (ec == beast::error::timeout || ec == net::asio::error::timed_out) return "timed out";
  if (ec == bhttp::error::body_limit) return "body too large";
  return ec.message();
}

// The endpoints for `url`; an IP literal needs no resolver.
net::awaitable<error_code> resolve(const config::HttpUrl& url, net::asio::steady_timer& deadline,
                                   std::vector<net::tcp::endpoint>& out) {
  auto executor = co_await net::asio::this_coro::executor;
  error_code ec;
  const auto address = net::asio::ip::make_address(url.host, ec);
  if (!ec) {
    out.emplace_back(address, url.port);
    co_return error_code{};
  }
  net::tcp::resolver resolver(executor);
  auto outcome = co_await (resolver.async_resolve(url.host, std::to_string(url.port), net::use_nothrow) ||
                           deadline.async_wait(net::use_nothrow));
  if (outcome.index() == 1) co_return error_code(net::asio::error::timed_out);
  auto [resolve_ec, results] = std::get<0>(std::move(outcome));
  for (const auto& entry : results)
    out.push_back(entry.endpoint());
  co_return resolve_ec;
}

}  // namespace

net::awaitable<HttpResult> http_fetch(const HttpFetch& request) {
  auto executor = co_await net::asio::this_coro::executor;
  const auto deadline_at = std::chrono::steady_clock::now() + request.timeout;
  net::asio::steady_timer deadline(executor, deadline_at);

  std::vector<net::tcp::endpoint> endpoints;
  const auto resolve_ec = co_await resolve(request.url, deadline, endpoints);
  if (resolve_ec || endpoints.empty())
    co_return failure("cannot resolve " + request.url.host + ": " + describe(resolve_ec));

  beast::tcp_stream stream(executor);
  stream.expires_at(deadline_at);  // one budget for connect, write and read together
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, net::use_nothrow);
  if (connect_ec) co_return failure("cannot connect: " + describe(connect_ec));

  const bool post = !request.body.empty();
  bhttp::request<bhttp::string_body> req{post ? bhttp::verb::post : bhttp::verb::get, request.url.target, 11};
  req.set(bhttp::field::host, config::host_header(request.url));
  req.set(bhttp::field::user_agent, std::string("certgate/") + std::string(kVersion));
  req.set(bhttp::field::connection, "close");
  if (post) {
    req.set(bhttp::field::content_type, request.content_type);
    req.body() = request.body;
  }
  req.prepare_payload();
  auto [write_ec, written] = co_await bhttp::async_write(stream, req, net::use_nothrow);
  if (write_ec) co_return failure("cannot send the request: " + describe(write_ec));

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(request.max_body);
  auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, net::use_nothrow);
  if (read_ec == bhttp::error::body_limit)
    co_return failure("the response is larger than " + std::to_string(request.max_body) +
                      " bytes (max_crl_size)");
  if (read_ec) co_return failure("cannot read the response: " + describe(read_ec));
  error_code ignored;
  stream.socket().shutdown(net::tcp::socket::shutdown_both, ignored);
  auto& res = parser.get();
  if (res.result_int() != 200) co_return failure("HTTP " + std::to_string(res.result_int()));
  HttpResult ok;
  ok.ok = true;
  ok.body = std::move(res.body());
  co_return ok;
}

}  // namespace certgate::revocation
