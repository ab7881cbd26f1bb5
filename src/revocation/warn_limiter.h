// Keeps a repeated warning (a responder that is down, an unknown status passed on every request) from
// flooding the log: a key is let through once per interval. Not thread-safe: one per thread.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

namespace certgate::revocation {

class WarnLimiter {
 public:
  explicit WarnLimiter(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  // True when `key` was not let through during the last interval.
  bool allow(const std::string& key, std::chrono::steady_clock::time_point now) {
    if (last_.size() > 1024) last_.clear();  // bounded; at worst a warning repeats early
    auto [it, inserted] = last_.try_emplace(key, now);
    if (inserted) return true;
    if (now - it->second < interval_) return false;
    it->second = now;
    return true;
  }

 private:
  std::chrono::steady_clock::duration interval_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_;
};

}  // namespace certgate::revocation
