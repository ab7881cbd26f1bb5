// The closed list of reason codes that explain every decision, in the access log and in
// X-Client-Cert-Verify: FAILED:<reason>. docs/reasons.md documents each one.
#pragma once

#include <cstdint>
#include <string_view>

namespace certgate {

enum class Reason : uint8_t {
  allowed,
  no_certificate,
  untrusted_issuer,
  expired,
  not_yet_valid,
  revoked,
  revocation_unknown,
  bad_purpose,
  depth_exceeded,
  ca_as_leaf,
  bad_signature,
  weak_key,
  invalid_certificate,
  consumer_not_found,
  policy_denied,
  unknown_host,
  no_route,
  misdirected_request,
  bad_request,
  upstream_unavailable,
  upstream_timeout,
  idle_timeout,
  request_timeout,
  body_too_large,
  upstream_truncated,
  websocket_not_allowed,
  upstream_tls_failed,
  bad_signature_algorithm,
};

std::string_view to_string(Reason reason);

}  // namespace certgate
