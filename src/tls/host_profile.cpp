#include "tls/host_profile.h"

#include "common/host_lookup.h"

namespace certgate::tls {

const HostProfile* HostProfiles::find(std::string_view host) const {
  return find_host(by_host_, host);
}

}  // namespace certgate::tls
