// The client-certificate inventory: every distinct client certificate the gateway has seen, with when,
// how often, and what the last request with it turned into (route, consumer, decision reason). Bounded:
// at most `max_entries` certificates, the least recently seen evicted first (LRU).
//
// Owned by the server and shared by the workers. Workers never write to it per request: each batches its
// sightings (inventory::WorkerRecorder) and merges them here on its 100 ms tick, under the one mutex.
// Readers (the admin API, the status page, expiry alerts, metrics) take the same mutex and copy out.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "auth/certificate_facts.h"
#include "common/reason.h"

namespace certgate::inventory {

using Clock = std::chrono::system_clock;

inline constexpr std::size_t kDefaultMaxEntries = 100000;

// What a worker noticed: `count` requests in a row with this certificate, route, consumer and result.
struct Sighting {
  std::shared_ptr<const auth::CertificateFacts> facts;  // shared with the worker's VerifiedChainCache
  std::string route;                                    // the route's `from`; "" before routing
  std::string consumer;                                 // "" without one
  Reason reason = Reason::allowed;
  std::uint32_t count = 0;
};

// One row, copied out for a reader.
struct ClientRecord {
  std::string fingerprint;  // SHA-256, lowercase hex
  std::string subject;      // RFC 2253
  std::string issuer;
  std::string serial;     // uppercase hex
  std::string not_after;  // RFC 3339
  std::time_t not_after_time = 0;
  Clock::time_point first_seen;
  Clock::time_point last_seen;
  std::uint64_t count = 0;  // requests
  std::string last_route;
  std::string last_consumer;
  Reason last_reason = Reason::allowed;
};

class ClientInventory {
 public:
  explicit ClientInventory(std::size_t max_entries = kDefaultMaxEntries) : max_entries_(max_entries) {}
  ClientInventory(const ClientInventory&) = delete;
  ClientInventory& operator=(const ClientInventory&) = delete;

  // `inventory.max_entries`, at start and on reload: a smaller bound evicts at once; 0 turns recording off
  // and empties the table.
  void set_max_entries(std::size_t max_entries);
  std::size_t max_entries() const { return max_entries_.load(std::memory_order_relaxed); }
  // Cheap enough for the request path (a relaxed load).
  bool enabled() const { return max_entries() > 0; }

  // A worker's batch, stamped `now` (first and last seen have the resolution of the worker's tick).
  void merge(std::span<const Sighting> batch, Clock::time_point now);

  // Rows for readers. `expiring_within`: only certificates whose not-after is at most that far from `now`
  // (already expired ones included), soonest first; otherwise every row, most recently seen first.
  // `limit`: at most that many rows (the status page shows the first ones).
  std::vector<ClientRecord> rows(std::optional<std::chrono::seconds> expiring_within = std::nullopt,
                                 Clock::time_point now = Clock::now(),
                                 std::size_t limit = static_cast<std::size_t>(-1)) const;
  // Rows of the certificates seen at or after `since` (expiry alerts: the last 7 days).
  std::vector<ClientRecord> seen_since(Clock::time_point since) const;
  // How many certificates seen at or after `since` have a not-after at most `within` from `now`.
  std::size_t count_expiring(Clock::time_point since, std::chrono::seconds within,
                             Clock::time_point now) const;
  std::size_t size() const;

  // GET /clients[?expiring_within=...]: {"max_entries", "size", "clients": [row, ...]}.
  nlohmann::json to_json(std::optional<std::chrono::seconds> expiring_within) const;
  nlohmann::json to_json(std::optional<std::chrono::seconds> expiring_within, Clock::time_point now) const;
  static nlohmann::json row_json(const ClientRecord& row, Clock::time_point now);

 private:
  struct Entry {
    std::shared_ptr<const auth::CertificateFacts> facts;
    Clock::time_point first_seen;
    Clock::time_point last_seen;
    std::uint64_t count = 0;
    const std::string* route = nullptr;  // interned in names_
    const std::string* consumer = nullptr;
    Reason reason = Reason::allowed;
  };
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  // The whole fingerprint: hashing only a prefix put every entry of a test's made-up fingerprints (leading
  // zeros) in one bucket, and the merge cost nothing measurable either way (merges run off the request path).
  struct FingerprintHash {
    std::size_t operator()(std::string_view fp) const noexcept { return std::hash<std::string_view>{}(fp); }
  };
  using Lru = std::list<Entry>;  // front: the most recently seen

  void touch(const Sighting& s, Clock::time_point now);
  void evict_beyond(std::size_t bound);
  // `current`: the entry's name so far, which usually stays the same (no lookup then).
  const std::string* intern(std::string_view name, const std::string* current);
  static ClientRecord record_of(const Entry& e);

  std::atomic<std::size_t> max_entries_;
  mutable std::mutex mutex_;
  Lru lru_;
  // Keyed by the fingerprint text inside the entry's own facts (immutable while the entry lives).
  std::unordered_map<std::string_view, Lru::iterator, FingerprintHash> index_;
  // Route and consumer names, kept once: a few per config, however many certificates refer to them.
  std::unordered_set<std::string, NameHash, std::equal_to<>> names_;
};

// "30d", "12h", "90m", "3600s" or plain seconds; nullopt when malformed (the admin API answers 400).
std::optional<std::chrono::seconds> parse_expiring_within(std::string_view text);

}  // namespace certgate::inventory
