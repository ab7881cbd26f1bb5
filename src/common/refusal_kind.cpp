#include "common/refusal_kind.h"

namespace certgate {

// A switch without default: a new reason code fails to compile (-Werror=switch) until it is placed.
RefusalKind refusal_kind(Reason reason) {
  switch (reason) {
    case Reason::no_certificate:
      return RefusalKind::no_certificate;
    case Reason::untrusted_issuer:
    case Reason::expired:
    case Reason::not_yet_valid:
    case Reason::revoked:
    case Reason::revocation_unknown:
    case Reason::bad_purpose:
    case Reason::depth_exceeded:
    case Reason::ca_as_leaf:
    case Reason::bad_signature:
    case Reason::bad_signature_algorithm:
    case Reason::weak_key:
    case Reason::invalid_certificate:
    // A valid certificate that names nobody the gateway knows: to the person it is the same situation
    // (this certificate does not get them in; another one might).
    case Reason::consumer_not_found:
      return RefusalKind::invalid_certificate;
    case Reason::policy_denied:
    case Reason::websocket_not_allowed:
      return RefusalKind::forbidden;
    case Reason::allowed:
    case Reason::unknown_host:
    case Reason::no_route:
    case Reason::misdirected_request:
    case Reason::bad_request:
    case Reason::upstream_unavailable:
    case Reason::upstream_timeout:
    case Reason::idle_timeout:
    case Reason::request_timeout:
    case Reason::body_too_large:
    case Reason::upstream_truncated:
    case Reason::upstream_tls_failed:
      return RefusalKind::none;
  }
  return RefusalKind::none;
}

std::string_view to_string(RefusalKind kind) {
  switch (kind) {
    case RefusalKind::none:
      return "none";
    case RefusalKind::no_certificate:
      return "no_certificate";
    case RefusalKind::invalid_certificate:
      return "invalid_certificate";
    case RefusalKind::forbidden:
      return "forbidden";
  }
  return "none";
}

std::optional<RefusalKind> refusal_kind_from_name(std::string_view name) {
  for (auto kind : kConfigurableRefusalKinds) {
    if (to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

}  // namespace certgate
