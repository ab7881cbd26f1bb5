// How long fetched revocation answers are reused, and the map that keeps them. Pure: no clock of its
// own and no locks; each user owns its map (a worker's local cache, the fetch thread's shared cache).
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <unordered_map>

#include "config/config.h"
#include "revocation/verdict.h"

namespace certgate::revocation {

// An answer already past its nextUpdate is not an answer; it is kept this long (at most cache_ttl) so
// that a publisher serving a stale CRL is not asked again on every request.
inline constexpr std::chrono::seconds kStaleRetry{60};

// Until when an answer fetched at `fetched` is reused: its nextUpdate, but never longer than `ttl`
// after the fetch. No nextUpdate: `ttl`. Already stale: kStaleRetry (capped by `ttl`).
WallClock::time_point cache_until(WallClock::time_point fetched, std::optional<std::time_t> next_update,
                                  config::Duration ttl);

template <class Value>
class AnswerCache {
 public:
  explicit AnswerCache(std::size_t purge_above = 4096) : purge_above_(purge_above) {}

  // The value stored under `key` while it is fresh; an expired entry is dropped.
  const Value* find(const std::string& key, WallClock::time_point now) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    if (it->second.expires <= now) {
      entries_.erase(it);
      return nullptr;
    }
    return &it->second.value;
  }

  void put(const std::string& key, Value value, WallClock::time_point expires, WallClock::time_point now) {
    if (expires <= now) return;
    if (entries_.size() >= purge_above_) purge(now);
    entries_.insert_or_assign(key, Entry{std::move(value), expires});
  }

  void purge(WallClock::time_point now) {
    std::erase_if(entries_, [now](const auto& item) { return item.second.expires <= now; });
  }

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Value value;
    WallClock::time_point expires;
  };
  std::unordered_map<std::string, Entry> entries_;
  std::size_t purge_above_;
};

}  // namespace certgate::revocation
