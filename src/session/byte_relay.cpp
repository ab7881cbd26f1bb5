#include "session/byte_relay.h"

#include <array>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <memory>

namespace certgate::session {
namespace {

using net::error_code;
using namespace boost::asio::experimental::awaitable_operators;

constexpr std::size_t kChunk = 16 * 1024;

template <class Out>
net::awaitable<void> write_bytes(Out& out, std::span<const char> bytes, error_code& ec) {
  const net::asio::const_buffer buffer(bytes.data(), bytes.size());
  co_await out.write(std::span(&buffer, 1), ec);
}

}  // namespace

net::awaitable<void> ByteRelay::run(std::span<const char> client_early,
                                    std::span<const char> upstream_early) {
  touch();
  co_await (client_to_upstream(client_early) && upstream_to_client(upstream_early));
  owner_.disarm();
}

void ByteRelay::abort() {
  aborted_ = true;
  // shutdown(2), not close: a coroutine may still hold the descriptor, and a closed number could be reused.
  error_code ec;
  client_.socket().cancel(ec);
  client_.socket().shutdown(net::tcp::socket::shutdown_both, ec);
  upstream_.socket().cancel(ec);
  upstream_.socket().shutdown(net::tcp::socket::shutdown_both, ec);
}

// One direction: bytes already read first, then everything `in` sends, until it ends (its end is passed on
// by `pass_end`, so the other direction keeps flowing), an error or an abort.
template <class In, class Out, class PassEnd>
net::awaitable<void> ByteRelay::pump(In& in, Out& out, std::span<const char> early, PassEnd pass_end) {
  error_code ec;
  if (!early.empty()) {
    co_await write_bytes(out, early, ec);
    if (ec || aborted_) co_return abort();
    touch();
  }
  auto buffer = std::make_unique<std::array<char, kChunk>>();
  while (!aborted_) {
    const auto n = co_await in.read_some(net::asio::buffer(*buffer), ec);
    if (ec) {
      if (ec == net::asio::error::eof && !aborted_) {
        pass_end();
      } else {
        abort();
      }
      co_return;
    }
    touch();
    co_await write_bytes(out, {buffer->data(), n}, ec);
    if (ec || aborted_) co_return abort();
    touch();
  }
}

// The client is done sending (close_notify or FIN): the upstream gets FIN (or close_notify); answers still
// flow.
net::awaitable<void> ByteRelay::client_to_upstream(std::span<const char> early) {
  return pump(client_, upstream_, early, [this] { upstream_.shutdown_send(); });
}

// The upstream is done sending: close_notify tells the client; the client may still send.
net::awaitable<void> ByteRelay::upstream_to_client(std::span<const char> early) {
  return pump(upstream_, client_, early, [this] { client_.shutdown(); });
}

}  // namespace certgate::session
