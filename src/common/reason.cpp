#include "common/reason.h"

namespace certgate {

std::string_view to_string(Reason reason) {
  switch (reason) {
    case Reason::allowed:
      return "allowed";
    case Reason::no_certificate:
      return "no_certificate";
    case Reason::untrusted_issuer:
      return "untrusted_issuer";
    case Reason::expired:
      return "expired";
    case Reason::not_yet_valid:
      return "not_yet_valid";
    case Reason::revoked:
      return "revoked";
    case Reason::revocation_unknown:
      return "revocation_unknown";
    case Reason::bad_purpose:
      return "bad_purpose";
    case Reason::depth_exceeded:
      return "depth_exceeded";
    case Reason::ca_as_leaf:
      return "ca_as_leaf";
    case Reason::bad_signature:
      return "bad_signature";
    case Reason::weak_key:
      return "weak_key";
    case Reason::invalid_certificate:
      return "invalid_certificate";
    case Reason::consumer_not_found:
      return "consumer_not_found";
    case Reason::policy_denied:
      return "policy_denied";
    case Reason::unknown_host:
      return "unknown_host";
    case Reason::no_route:
      return "no_route";
    case Reason::misdirected_request:
      return "misdirected_request";
    case Reason::bad_request:
      return "bad_request";
    case Reason::upstream_unavailable:
      return "upstream_unavailable";
    case Reason::upstream_timeout:
      return "upstream_timeout";
    case Reason::idle_timeout:
      return "idle_timeout";
    case Reason::request_timeout:
      return "request_timeout";
    case Reason::body_too_large:
      return "body_too_large";
    case Reason::upstream_truncated:
      return "upstream_truncated";
    case Reason::websocket_not_allowed:
      return "websocket_not_allowed";
    case Reason::upstream_tls_failed:
      return "upstream_tls_failed";
    case Reason::bad_signature_algorithm:
      return "bad_signature_algorithm";
  }
  return "invalid_certificate";
}

}  // namespace certgate
