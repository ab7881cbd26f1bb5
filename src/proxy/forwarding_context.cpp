#include "proxy/forwarding_context.h"

#include "pki/cert_info.h"

namespace certgate::proxy {

const std::vector<std::string>& ForwardingContext::local_uri_sans() {
  if (!local_uri_sans_) {
    local_uri_sans_ = std::make_unique<std::vector<std::string>>();
    if (local_certificate_) {
      for (auto& san : pki::subject_alt_names(local_certificate_)) {
        if (san.kind == pki::SubjectAltName::Kind::uri) local_uri_sans_->push_back(std::move(san.value));
      }
    }
  }
  return *local_uri_sans_;
}

}  // namespace certgate::proxy
