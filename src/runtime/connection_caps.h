// A worker's share of the process's connection caps (limits.max_connections and
// max_handshaking_connections, after server/fd_budget.cpp fitted them to RLIMIT_NOFILE).
#pragma once

#include <cstddef>

namespace certgate::runtime {

struct ConnectionCaps {
  std::size_t max_connections = 0;
  std::size_t max_handshaking = 0;
};

}  // namespace certgate::runtime
