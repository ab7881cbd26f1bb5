// Host lookup with wildcards, shared by routing and the TLS host profiles: the exact host first, then
// "*.parent" (a wildcard covers exactly one label, as in certificates).
#pragma once

#include <string>
#include <string_view>

namespace certgate {

template <class Map>
auto find_host(const Map& map, std::string_view host) -> const typename Map::mapped_type* {
  if (auto it = map.find(std::string(host)); it != map.end()) return &it->second;
  const auto dot = host.find('.');
  if (dot == std::string_view::npos) return nullptr;
  std::string wildcard = "*";
  wildcard.append(host.substr(dot));
  if (auto it = map.find(wildcard); it != map.end()) return &it->second;
  return nullptr;
}

}  // namespace certgate
