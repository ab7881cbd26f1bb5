// An endpoint as logs show it: "ip:port", or "[ip6]:port".
#pragma once

#include <string>

#include "net/asio.h"

namespace certgate::net {

inline std::string endpoint_text(const tcp::endpoint& ep) {
  const auto ip = ep.address().to_string();
  return ep.address().is_v6() ? "[" + ip + "]:" + std::to_string(ep.port())
                              : ip + ":" + std::to_string(ep.port());
}

}  // namespace certgate::net
