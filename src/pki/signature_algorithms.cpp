#include "pki/signature_algorithms.h"

#include <algorithm>

#include "pki/cert_info.h"

namespace certgate::pki {

std::optional<std::string> unlisted_signature_algorithm(const std::vector<X509Ptr>& chain,
                                                        std::span<const int> allowed) {
  if (allowed.empty() || chain.empty()) return std::nullopt;
  // The last certificate is the trust anchor (its self-signature is exempt); a one-certificate path
  // (a self-signed leaf can never verify) has nothing to check.
  for (std::size_t depth = 0; depth + 1 < chain.size(); ++depth) {
    const X509* cert = chain[depth].get();
    const int nid = X509_get_signature_nid(cert);
    if (std::find(allowed.begin(), allowed.end(), nid) != allowed.end()) continue;
    const char* name = nid == NID_undef ? "an unknown algorithm" : OBJ_nid2sn(nid);
    return "the certificate at depth " + std::to_string(depth) + " (" + subject_dn(cert) +
           ") is signed with " + name + ", which mtls.allowed_signature_algorithms does not list (" +
           signature_algorithm_names(allowed) + ")";
  }
  return std::nullopt;
}

std::string signature_algorithm_names(std::span<const int> nids) {
  std::string out;
  for (int nid : nids) {
    if (!out.empty()) out += ", ";
    out += OBJ_nid2sn(nid);
  }
  return out;
}

}  // namespace certgate::pki
