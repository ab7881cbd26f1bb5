#include "inventory/client_inventory.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

#include "config/units.h"
#include "pki/cert_info.h"

namespace certgate::inventory {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

std::int64_t days_left(std::time_t not_after, Clock::time_point now) {
  const auto left = static_cast<std::int64_t>(not_after) - static_cast<std::int64_t>(Clock::to_time_t(now));
  // Whole days, rounded down (towards minus infinity for an expired certificate).
  return left >= 0 ? left / kSecondsPerDay : -((-left + kSecondsPerDay - 1) / kSecondsPerDay);
}

bool expires_within(std::time_t not_after, std::chrono::seconds within, Clock::time_point now) {
  return static_cast<std::int64_t>(not_after) <=
         static_cast<std::int64_t>(Clock::to_time_t(now)) + static_cast<std::int64_t>(within.count());
}

}  // namespace

void ClientInventory::set_max_entries(std::size_t max_entries) {
  std::lock_guard lock(mutex_);
  max_entries_.store(max_entries, std::memory_order_relaxed);
  evict_beyond(max_entries);
}

void ClientInventory::merge(std::span<const Sighting> batch, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto bound = max_entries();
  if (bound == 0) return;
  for (const auto& s : batch) {
    if (s.facts && !s.facts->fingerprint.empty()) touch(s, now);
  }
  evict_beyond(bound);
}

void ClientInventory::touch(const Sighting& s, Clock::time_point now) {
  auto found = index_.find(std::string_view(s.facts->fingerprint));
  if (found == index_.end()) {
    lru_.push_front(Entry{s.facts, now, now});
    found = index_.emplace(std::string_view(lru_.front().facts->fingerprint), lru_.begin()).first;
  } else if (found->second != lru_.begin()) {
    lru_.splice(lru_.begin(), lru_, found->second);
  }
  auto& e = lru_.front();
  e.last_seen = now;
  e.count += s.count;
  e.route = intern(s.route, e.route);
  e.consumer = intern(s.consumer, e.consumer);
  e.reason = s.reason;
}

void ClientInventory::evict_beyond(std::size_t bound) {
  while (lru_.size() > bound) {
    index_.erase(std::string_view(lru_.back().facts->fingerprint));
    lru_.pop_back();
  }
}

const std::string* ClientInventory::intern(std::string_view name, const std::string* current) {
  if (current && *current == name) return current;
  auto found = names_.find(name);
  if (found == names_.end()) found = names_.emplace(name).first;
  return &*found;
}

ClientRecord ClientInventory::record_of(const Entry& e) {
  ClientRecord r;
  r.fingerprint = e.facts->fingerprint;
  r.subject = e.facts->subject_dn;
  r.issuer = e.facts->issuer_dn;
  r.serial = e.facts->serial;
  r.not_after = e.facts->not_after;
  r.not_after_time = e.facts->not_after_time;
  r.first_seen = e.first_seen;
  r.last_seen = e.last_seen;
  r.count = e.count;
  r.last_route = *e.route;
  r.last_consumer = *e.consumer;
  r.last_reason = e.reason;
  return r;
}

std::vector<ClientRecord> ClientInventory::rows(std::optional<std::chrono::seconds> expiring_within,
                                                Clock::time_point now, std::size_t limit) const {
  std::vector<ClientRecord> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& e : lru_) {
      if (!expiring_within && out.size() >= limit) break;
      if (expiring_within && !expires_within(e.facts->not_after_time, *expiring_within, now)) continue;
      out.push_back(record_of(e));
    }
  }
  if (expiring_within) {
    std::stable_sort(out.begin(), out.end(), [](const ClientRecord& a, const ClientRecord& b) {
      return a.not_after_time < b.not_after_time;
    });
    if (out.size() > limit) out.resize(limit);
  }
  return out;
}

std::vector<ClientRecord> ClientInventory::seen_since(Clock::time_point since) const {
  std::vector<ClientRecord> out;
  std::lock_guard lock(mutex_);
  for (const auto& e : lru_) {
    if (e.last_seen < since) break;  // LRU order: everything after was seen earlier
    out.push_back(record_of(e));
  }
  return out;
}

std::size_t ClientInventory::count_expiring(Clock::time_point since, std::chrono::seconds within,
                                            Clock::time_point now) const {
  std::size_t n = 0;
  std::lock_guard lock(mutex_);
  for (const auto& e : lru_) {
    if (e.last_seen < since) break;
    if (expires_within(e.facts->not_after_time, within, now)) ++n;
  }
  return n;
}

std::size_t ClientInventory::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

nlohmann::json ClientInventory::row_json(const ClientRecord& row, Clock::time_point now) {
  return {
      {"fingerprint", row.fingerprint},
      {"subject", row.subject},
      {"issuer", row.issuer},
      {"serial", row.serial},
      {"not_after", row.not_after},
      {"days_left", days_left(row.not_after_time, now)},
      {"first_seen", pki::rfc3339(Clock::to_time_t(row.first_seen))},
      {"last_seen", pki::rfc3339(Clock::to_time_t(row.last_seen))},
      {"count", row.count},
      {"last_route", row.last_route},
      {"last_consumer", row.last_consumer},
      {"last_reason", std::string(to_string(row.last_reason))},
  };
}

nlohmann::json ClientInventory::to_json(std::optional<std::chrono::seconds> expiring_within) const {
  return to_json(expiring_within, Clock::now());
}

nlohmann::json ClientInventory::to_json(std::optional<std::chrono::seconds> expiring_within,
                                        Clock::time_point now) const {
  auto clients = nlohmann::json::array();
  std::size_t size = 0;
  {
    const auto all = rows(expiring_within, now);
    for (const auto& row : all)
      clients.push_back(row_json(row, now));
    size = this->size();
  }
  nlohmann::json out = {{"max_entries", max_entries()}, {"size", size}};
  if (expiring_within) out["expiring_within_seconds"] = expiring_within->count();
  out["clients"] = std::move(clients);
  return out;
}

std::optional<std::chrono::seconds> parse_expiring_within(std::string_view text) {
  if (!text.empty() && (text.back() == 'd' || text.back() == 'D')) {
    unsigned long days = 0;
    const auto digits = text.substr(0, text.size() - 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), days);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || days > 36500)
      return std::nullopt;
    return std::chrono::seconds(static_cast<std::int64_t>(days) * kSecondsPerDay);
  }
  const auto d = config::parse_duration(text);
  if (!d || d->count() < 0) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

}  // namespace certgate::inventory
