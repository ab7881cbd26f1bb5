// Revocation counters, ready for a /metrics endpoint. Each worker (and the fetch thread) counts into its
// own block on its own cache line (no contention between workers); the registry, owned by the
// revocation::Service, sums the blocks.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace certgate::revocation {

enum class Counter : std::size_t {
  ocsp_fetches,       // OCSP requests sent to a responder
  ocsp_failures,      // ... that gave no usable answer (network, HTTP status, bad or unverifiable response)
  ocsp_cache_hits,    // answers reused from a cache instead of asking the responder
  crl_dp_fetches,     // CRLs downloaded from a distribution point
  crl_dp_failures,    // ... that failed (network, HTTP status, size cap, parse, signature)
  crl_dp_cache_hits,  // CRLs reused from a cache instead of downloading
  crl_file_reloads,   // crl_file re-read after a change on disk
  crl_file_reload_failures,  // ... rejected (the previous CRLs stay)
  checks_good,               // path checks with the verdict good
  checks_revoked,            // ... revoked
  checks_unknown,            // ... unknown (passed or refused according to the mode)
  count_
};

inline constexpr std::size_t kCounterCount = static_cast<std::size_t>(Counter::count_);

using CounterSnapshot = std::array<uint64_t, kCounterCount>;

// One thread's counters. Only that thread counts, so a count is a relaxed load and store (no locked
// instruction); a snapshot may read them from any thread.
struct alignas(64) Counters {
  std::array<std::atomic<uint64_t>, kCounterCount> values{};

  void add(Counter counter) {
    auto& slot = values[static_cast<std::size_t>(counter)];
    slot.store(slot.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
};

// Every block that counts. A block lives as long as the registry, so the counts of a worker that has
// ended are kept.
class CounterRegistry {
 public:
  Counters& add_block();             // thread-safe
  CounterSnapshot snapshot() const;  // thread-safe: the sum over the blocks

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Counters>> blocks_;
};

std::string_view name(Counter counter);
// "ocsp_fetches=3 ocsp_failures=0 ...", for the debug log.
std::string format(const CounterSnapshot& values);

}  // namespace certgate::revocation
