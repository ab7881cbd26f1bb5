#include "revocation/metrics.h"

namespace certgate::revocation {

Counters& CounterRegistry::add_block() {
  std::lock_guard lock(mutex_);
  blocks_.push_back(std::make_unique<Counters>());
  return *blocks_.back();
}

CounterSnapshot CounterRegistry::snapshot() const {
  CounterSnapshot out{};
  std::lock_guard lock(mutex_);
  for (const auto& block : blocks_) {
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
