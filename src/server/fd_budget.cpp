#include "server/fd_budget.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>

namespace certgate::server {

std::size_t descriptors_needed(const ConnectionCaps& caps) {
  return 2 * caps.max_connections + caps.max_handshaking + kReservedDescriptors;
}

ConnectionCaps fit_caps(const ConnectionCaps& wanted, std::size_t available) {
  if (descriptors_needed(wanted) <= available) return wanted;
  const std::size_t usable = available > kReservedDescriptors ? available - kReservedDescriptors : 0;
  ConnectionCaps caps;
  caps.max_handshaking = std::max<std::size_t>(1, std::min(wanted.max_handshaking, usable / 4));
  const std::size_t left = usable > caps.max_handshaking ? usable - caps.max_handshaking : 0;
  caps.max_connections = std::max<std::size_t>(1, std::min(wanted.max_connections, left / 2));
  return caps;
}

ConnectionCaps apply_file_limit(const ConnectionCaps& wanted, bool written_in_config) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
  const auto needed = static_cast<rlim_t>(descriptors_needed(wanted));
  if (limit.rlim_cur < needed && limit.rlim_cur < limit.rlim_max) {
    // Up to what the caps need, or all the hard limit allows (nginx's worker_rlimit_nofile, automatic).
    rlimit raised = limit;
    raised.rlim_cur = std::min(needed, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  const auto caps = fit_caps(wanted, static_cast<std::size_t>(limit.rlim_cur));
  if (caps.max_connections != wanted.max_connections || caps.max_handshaking != wanted.max_handshaking) {
    spdlog::log(
        written_in_config ? spdlog::level::warn : spdlog::level::info,
        "open file limit (RLIMIT_NOFILE) is {} (hard limit {}), below the {} descriptors the connection "
        "limits need: limits.max_connections lowered from {} to {}, limits.max_handshaking_connections "
        "from {} to {}; raise the limit (ulimit -n, LimitNOFILE=) to serve more",
        limit.rlim_cur, limit.rlim_max, needed, wanted.max_connections, caps.max_connections,
        wanted.max_handshaking, caps.max_handshaking);
  }
  return caps;
}

}  // namespace certgate::server
