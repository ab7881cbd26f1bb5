// Revocation counters, ready for a /metrics endpoint. Each thread counts into its own cache line (no
// contention between workers); snapshot() sums them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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

void count(Counter counter);

using CounterSnapshot = std::array<uint64_t, kCounterCount>;
CounterSnapshot snapshot();
std::string_view name(Counter counter);
// "ocsp_fetches=3 ocsp_failures=0 ...", for the debug log.
std::string format(const CounterSnapshot& values);

}  // namespace certgate::revocation
