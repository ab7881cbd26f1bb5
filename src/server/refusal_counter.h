// Counts the connections one cap refused (or closed) and reports them in the error log at most once
// per interval, whatever the rate: a flood of refusals is one warn line a second, not one per
// connection, and never silence. Shared by every worker (atomics only: a refusal is on the accept path).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

namespace certgate::server {

class RefusalCounter {
 public:
  using Clock = std::chrono::steady_clock;

  // `what` starts the log line, e.g. "connection refused: max_connections"; `verb` names what the
  // count counts, e.g. "refused".
  RefusalCounter(std::string what, std::string verb, Clock::duration interval = std::chrono::seconds(1))
      : what_(std::move(what)), verb_(std::move(verb)), interval_(interval) {}

  // Counts one; logs at once when nothing was logged during the last interval.
  void count(Clock::time_point now = Clock::now());
  // Logs what was counted since the last line, if the interval has passed (called from every
  // worker's tick, so a burst's tail is reported within about a second).
  void report(Clock::time_point now);

  // Logs what is still unreported, whenever the last line was (at shutdown: nothing goes unsaid).
  void flush();

  std::uint64_t total() const { return total_.load(std::memory_order_relaxed); }

 private:
  void write(std::uint64_t n, std::string_view when) const;

  std::string what_;
  std::string verb_;
  Clock::duration interval_;
  std::atomic<std::uint64_t> total_{0};
  std::atomic<std::uint64_t> pending_{0};
  // Time of the last line, as a count of Clock ticks; the worker that swaps it in writes the line.
  std::atomic<Clock::rep> last_line_{std::numeric_limits<Clock::rep>::min() / 2};
};

// The caps' counters, owned by the Server and shared by its workers.
struct Refusals {
  RefusalCounter max_connections{"connection refused: limits.max_connections", "refused"};
  RefusalCounter max_handshaking{
      "handshaking connection closed to admit a newer one: limits.max_handshaking_connections", "closed"};
  RefusalCounter max_per_ip{"connection refused: limits.max_connections_per_ip", "refused"};
  RefusalCounter accept_failed{
      "accept failed (out of file descriptors or memory), accepting paused for 100 ms", "failures"};

  void report(RefusalCounter::Clock::time_point now) {
    max_connections.report(now);
    max_handshaking.report(now);
    max_per_ip.report(now);
    accept_failed.report(now);
  }
  void flush() {
    max_connections.flush();
    max_handshaking.flush();
    max_per_ip.flush();
    accept_failed.flush();
  }
};

}  // namespace certgate::server
