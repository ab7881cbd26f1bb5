// The two operations the HTTP code needs from a connection, so the same relay code serves the TLS
// client side and the plain TCP upstream side.
#pragma once

#include <concepts>
#include <span>

#include "net/asio.h"

namespace certgate::net {

template <class S>
concept ByteStream = requires(S& s, asio::mutable_buffer mb, std::span<const asio::const_buffer> cb,
                              error_code& ec) {
  { s.read_some(mb, ec) } -> std::same_as<awaitable<std::size_t>>;
  { s.write(cb, ec) } -> std::same_as<awaitable<void>>;
};

// A plain TCP connection (upstream side).
class PlainStream {
 public:
  explicit PlainStream(tcp::socket socket) : socket_(std::move(socket)) {}

  awaitable<std::size_t> read_some(asio::mutable_buffer buffer, error_code& ec) {
    auto [e, n] = co_await socket_.async_read_some(buffer, use_nothrow);
    ec = e;
    co_return n;
  }

  awaitable<void> write(std::span<const asio::const_buffer> buffers, error_code& ec) {
    auto [e, n] = co_await asio::async_write(socket_, buffers, use_nothrow);
    ec = e;
  }

  tcp::socket& socket() { return socket_; }

 private:
  tcp::socket socket_;
};

}  // namespace certgate::net
