#include "proxy/health_probe.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>
#include <sstream>

#include "http/http_io.h"
#include "proxy/upstream_stream.h"

namespace certgate::proxy {
namespace {

namespace bhttp = boost::beast::http;
using net::error_code;

class Probe final : public Abortable {
 public:
  explicit Probe(net::asio::io_context& io) : stream(net::tcp::socket(io)), timer(io) {}
  void abort() override {
    aborted = true;
    error_code ec;
    stream.socket().cancel(ec);
    timer.cancel();
  }
  UpstreamStream stream;
  net::asio::steady_timer timer;
  bool aborted = false;  // timed out or cancelled: the result is a failure whatever comes back
  bool done = false;
};

net::awaitable<void> watchdog(std::shared_ptr<Probe> probe) {
  co_await probe->timer.async_wait(net::use_nothrow);
  if (!probe->done) probe->abort();
}

net::awaitable<bool> run_check(Probe& p, const net::tcp::endpoint& address, const UpstreamTarget& target,
                               const config::HealthCheck& check) {
  const std::array<net::tcp::endpoint, 1> to{address};
  auto [ec, connected] = co_await net::asio::async_connect(p.stream.socket(), to, net::use_nothrow);
  if (ec || p.aborted) co_return false;
  if (target.tls) {
    auto ssl = target.tls->new_connection();
    if (!ssl) co_return false;
    p.stream.start_tls(std::move(ssl));
    co_await p.stream.tls()->handshake(ec);
    if (ec || p.aborted) co_return false;
  }
  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, check.path, 11};
  request.set(bhttp::field::host, target.authority);
  request.set(bhttp::field::user_agent, "certgate-health-check");
  request.set(bhttp::field::connection, "close");
  std::ostringstream text;
  text << request;  // Beast's serializer
  const auto bytes = text.str();
  const std::array<net::asio::const_buffer, 1> out{net::asio::buffer(bytes)};
  co_await p.stream.write(out, ec);
  if (ec || p.aborted) co_return false;
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> parser;
  co_await http::read_header(p.stream, buffer, parser, ec);
  if (ec || p.aborted) co_return false;
  co_return parser.get().result_int() / 100 == 2;
}

}  // namespace

net::awaitable<bool> probe_endpoint(net::asio::io_context& io, net::tcp::endpoint address,
                                    const UpstreamTarget& target, const config::HealthCheck& check,
                                    AbortList& running) {
  auto probe = std::make_shared<Probe>(io);
  running.push_back(probe);
  probe->timer.expires_after(check.timeout);
  net::asio::co_spawn(io, watchdog(probe), net::asio::detached);
  const bool healthy = co_await run_check(*probe, address, target, check);
  probe->done = true;
  probe->timer.cancel();
  co_return healthy && !probe->aborted;
}

}  // namespace certgate::proxy
