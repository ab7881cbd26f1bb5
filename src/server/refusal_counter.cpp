#include "server/refusal_counter.h"

#include <spdlog/spdlog.h>

namespace certgate::server {

void RefusalCounter::count(Clock::time_point now) {
  total_.fetch_add(1, std::memory_order_relaxed);
  pending_.fetch_add(1, std::memory_order_relaxed);
  report(now);
}

void RefusalCounter::report(Clock::time_point now) {
  if (pending_.load(std::memory_order_relaxed) == 0) return;
  auto last = last_line_.load(std::memory_order_relaxed);
  const auto ticks = now.time_since_epoch().count();
  if (ticks - last < interval_.count()) return;
  // Only the worker whose swap succeeds writes the line: at most one per interval.
  if (!last_line_.compare_exchange_strong(last, ticks, std::memory_order_relaxed)) return;
  write(pending_.exchange(0, std::memory_order_relaxed), "in the last second");
}

void RefusalCounter::flush() {
  write(pending_.exchange(0, std::memory_order_relaxed), "since the previous line");
}

void RefusalCounter::write(std::uint64_t n, std::string_view when) const {
  if (n == 0) return;
  spdlog::warn("{} ({} {} {}, {} since start)", what_, n, verb_, when, total());
}

}  // namespace certgate::server
