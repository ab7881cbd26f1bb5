#include "proxy/upstream_pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace certgate::proxy {
namespace {

// An idle HTTP connection must have nothing to read: readable means the upstream closed it (EOF)
// or sent something unsolicited; either way it is not reusable.
bool still_open(UpstreamStream& stream) {
  char byte;
  const ssize_t n = ::recv(stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::optional<UpstreamStream> UpstreamPool::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return std::nullopt;
  auto& list = it->second;
  while (!list.empty()) {
    Idle idle = std::move(list.back());  // most recently used: least likely to have been closed
    list.pop_back();
    if (still_open(idle.stream)) return std::move(idle.stream);
  }
  return std::nullopt;
}

void UpstreamPool::give_back(const std::string& key, UpstreamStream stream) {
  auto& list = idle_[key];
  if (list.size() >= kMaxIdlePerUpstream) return;  // closes it
  list.push_back({std::move(stream), Clock::now()});
}

void UpstreamPool::expire(Clock::time_point now, Clock::duration max_idle) {
  for (auto& [key, list] : idle_) {
    std::erase_if(list, [&](const Idle& idle) { return now - idle.since > max_idle; });
  }
}

}  // namespace certgate::proxy
