#include "tls/host_profile.h"

namespace certgate::tls {

const HostProfile* HostProfiles::find(std::string_view host) const {
  if (auto it = by_host_.find(std::string(host)); it != by_host_.end()) return &it->second;
  const auto dot = host.find('.');
  if (dot == std::string_view::npos) return nullptr;
  std::string wildcard = "*";
  wildcard.append(host.substr(dot));
  if (auto it = by_host_.find(wildcard); it != by_host_.end()) return &it->second;
  return nullptr;
}

}  // namespace certgate::tls
