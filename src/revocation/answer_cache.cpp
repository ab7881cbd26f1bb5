#include "revocation/answer_cache.h"

#include <algorithm>

namespace certgate::revocation {

WallClock::time_point cache_until(WallClock::time_point fetched, std::optional<std::time_t> next_update,
                                  config::Duration ttl) {
  const auto cap = fetched + ttl;
  if (!next_update) return cap;
  const auto next = WallClock::from_time_t(*next_update);
  if (next <= fetched)
    return std::min(cap, fetched + std::chrono::duration_cast<WallClock::duration>(kStaleRetry));
  return std::min(cap, next);
}

}  // namespace certgate::revocation
