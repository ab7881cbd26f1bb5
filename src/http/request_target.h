// Normalizes the request path before routing, so that the path the gateway authorizes is the path
// the upstream receives: "/public/../admin", "//admin" or "/%61dmin" cannot slip past a route that
// protects "/admin".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace certgate::http {

struct RequestTarget {
  std::string path;   // normalized, starts with '/'
  std::string query;  // "" or "?..."
};

// RFC 3986 section 6.2.2: decodes percent-encoded unreserved characters, merges repeated slashes and
// removes dot segments. Rejects (nullopt) non-origin-form targets, malformed percent-encoding, and
// encoded '/', '\' or NUL, which upstreams decode inconsistently (a classic authorization bypass).
std::optional<RequestTarget> normalize_target(std::string_view target);

// "Host: Example.COM:8443" -> "example.com"; "[::1]:8443" -> "::1". Empty when malformed.
std::string host_without_port(std::string_view host_header);

}  // namespace certgate::http
