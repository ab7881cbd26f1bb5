#include "revocation/metrics.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace certgate::revocation {
namespace {

struct alignas(64) ThreadCounters {
  std::array<std::atomic<uint64_t>, kCounterCount> values{};
};

// Threads register their counters once; the blocks live until the process ends so that counts of
// finished threads are kept.
struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<ThreadCounters>> blocks;
};

// Never destroyed: a thread may still count while static objects are torn down at exit.
Registry& registry() {
  static auto* r = new Registry();
  return *r;
}

ThreadCounters& mine() {
  thread_local ThreadCounters* counters = [] {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.blocks.push_back(std::make_unique<ThreadCounters>());
    return r.blocks.back().get();
  }();
  return *counters;
}

}  // namespace

void count(Counter counter) {
  auto& slot = mine().values[static_cast<std::size_t>(counter)];
  // Only this thread writes the slot: a relaxed load and store, no locked instruction.
  slot.store(slot.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

CounterSnapshot snapshot() {
  CounterSnapshot out{};
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& block : r.blocks) {
    for (std::size_t i = 0; i < kCounterCount; ++i)
      out[i] += block->values[i].load(std::memory_order_relaxed);
  }
  return out;
}

std::string_view name(Counter counter) {
  static constexpr std::string_view kNames[] = {
      "ocsp_fetches",    "ocsp_failures",     "ocsp_cache_hits",  "crl_dp_fetches",
      "crl_dp_failures", "crl_dp_cache_hits", "crl_file_reloads", "crl_file_reload_failures",
      "checks_good",     "checks_revoked",    "checks_unknown"};
  static_assert(std::size(kNames) == kCounterCount);
  return kNames[static_cast<std::size_t>(counter)];
}

std::string format(const CounterSnapshot& values) {
  std::string out;
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    if (!out.empty()) out += ' ';
    out += name(static_cast<Counter>(i));
    out += '=';
    out += std::to_string(values[i]);
  }
  return out;
}

}  // namespace certgate::revocation
