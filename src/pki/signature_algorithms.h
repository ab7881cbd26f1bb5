// `mtls.allowed_signature_algorithms`: which algorithms may sign the certificates of a client's path.
// OpenSSL's security level (auth level 2: no SHA-1, no MD5) still applies first; this list narrows it
// further (e.g. to ecdsa-with-SHA256 only). The trust anchor's self-signature is not checked: it protects
// nothing, the anchor is trusted because the operator put it in the bundle.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pki/openssl_ptr.h"

namespace certgate::pki {

// Null when every certificate of `chain` (leaf first, trust anchor last) but the anchor is signed with one
// of `allowed` (OpenSSL NIDs), or when `allowed` is empty (no restriction); otherwise which certificate is
// signed with what, for the log.
std::optional<std::string> unlisted_signature_algorithm(const std::vector<X509Ptr>& chain,
                                                        std::span<const int> allowed);

// The OpenSSL short names of `nids`, comma-separated (for logs and `certgate check`).
std::string signature_algorithm_names(std::span<const int> nids);

}  // namespace certgate::pki
