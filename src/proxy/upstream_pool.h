// Idle keep-alive connections to upstreams, per worker (so no lock). A connection taken from the
// pool is checked for a close from the upstream side first; what still fails is retried by the
// caller when that is safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/upstream_stream.h"

namespace certgate::proxy {

class UpstreamPool {
 public:
  using Clock = std::chrono::steady_clock;

  std::optional<UpstreamStream> take(const std::string& key);
  void give_back(const std::string& key, UpstreamStream stream);
  // Closes connections idle for longer than `max_idle`.
  void expire(Clock::time_point now, Clock::duration max_idle);
  void clear() { idle_.clear(); }

 private:
  struct Idle {
    UpstreamStream stream;
    Clock::time_point since;
  };
  static constexpr std::size_t kMaxIdlePerUpstream = 128;
  std::unordered_map<std::string, std::vector<Idle>> idle_;
};

}  // namespace certgate::proxy
