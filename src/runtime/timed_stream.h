// Timeouts on a ByteStream without a timer per operation: every read and write arms the deadline of the
// Watched entry that owns the stream (a connection for the client side, an upstream exchange for the
// upstream side); the worker's tick fires it, and the owner's on_deadline cancels the socket and sets
// `timed_out`. With a timeout, the deadline moves with every operation (it bounds inactivity, not the
// transfer); with a fixed deadline it bounds the whole operation; with both, whichever comes first. With a
// BodyPace, reads also end at the pace's deadline. Once the side has timed out, its operations fail at once.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "net/byte_stream.h"
#include "runtime/connection_registry.h"

namespace certgate::runtime {

// The request body's deadline, which moves with the bytes read: `allowance` from `start`, plus a second
// for every `bytes_per_second` bytes (Apache's mod_reqtimeout MinRate). A client that drips its body
// cannot hold the connection (and the upstream connection the body goes to) for long.
struct BodyPace {
  Clock::time_point start;
  std::chrono::milliseconds allowance{};
  std::uint64_t bytes_per_second = 0;  // 0: no pace, only the per-read timeout
  std::uint64_t bytes = 0;

  std::optional<Clock::time_point> deadline() const {
    if (bytes_per_second == 0) return std::nullopt;
    return start + allowance + std::chrono::milliseconds(bytes * 1000 / bytes_per_second);
  }
};

template <net::ByteStream Stream>
class TimedStream {
 public:
  // `timeout`: per operation (0: none); `deadline`: for all operations together; `pace`: reads only.
  TimedStream(Stream& stream, Watched& owner, bool& timed_out, std::chrono::milliseconds timeout,
              std::optional<Clock::time_point> deadline = std::nullopt, BodyPace* pace = nullptr)
      : stream_(stream), owner_(owner), timed_out_(timed_out), limits_{timeout, deadline, pace} {}

  net::awaitable<std::size_t> read_some(net::asio::mutable_buffer buffer, net::error_code& ec) {
    if (timed_out_) {
      ec = net::asio::error::timed_out;
      co_return 0;
    }
    arm();
    const auto n = co_await stream_.read_some(buffer, ec);
    settle(ec);
    if (limits_.pace) limits_.pace->bytes += n;
    co_return n;
  }

  net::awaitable<void> write(std::span<const net::asio::const_buffer> buffers, net::error_code& ec) {
    if (timed_out_) {
      ec = net::asio::error::timed_out;
      co_return;
    }
    arm();
    co_await stream_.write(buffers, ec);
    settle(ec);
  }

 private:
  void arm() {
    auto deadline = limits_.deadline;
    if (limits_.pace) {
      if (const auto paced = limits_.pace->deadline()) deadline = paced;
    }
    if (deadline && limits_.timeout.count() > 0) {
      owner_.arm_until(std::min(*deadline, Clock::now() + limits_.timeout));
    } else if (deadline) {
      owner_.arm_until(*deadline);
    } else {
      owner_.arm(limits_.timeout);
    }
  }
  void settle(net::error_code& ec) {
    owner_.disarm();
    if (ec && timed_out_) ec = net::asio::error::timed_out;
  }

  struct Limits {
    std::chrono::milliseconds timeout;
    std::optional<Clock::time_point> deadline;
    BodyPace* pace;
  };
  Stream& stream_;
  Watched& owner_;
  bool& timed_out_;
  Limits limits_;
};

}  // namespace certgate::runtime
