// Normalizes the request path before routing, so that the path the gateway authorizes is the path
// the upstream receives: "/public/../admin", "//admin", "/%61dmin", "/admin;x" or "/public/..;/admin"
// cannot slip past a route that protects "/admin".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace certgate::http {

struct RequestTarget {
  std::string path;   // normalized, starts with '/'; what the upstream receives
  std::string query;  // "" or "?..."
  // `path` without the ";parameters" of its segments ("/admin;jsessionid=1/x" -> "/admin/x"), as Tomcat
  // and Spring resolve it; empty when `path` has none. Routes match this path.
  std::string path_without_parameters;

  std::string_view routing_path() const {
    return path_without_parameters.empty() ? std::string_view(path)
                                           : std::string_view(path_without_parameters);
  }
};

// RFC 3986 section 6.2.2: decodes percent-encoded unreserved characters, merges repeated slashes and
// removes dot segments. Rejects (nullopt) non-origin-form targets, malformed percent-encoding, and
// encoded '/', '\' or NUL, which upstreams decode inconsistently (a classic authorization bypass).
// Also rejects segments whose name before ';' (or an encoded %3B) is empty, "." or "..": Tomcat and
// Spring drop the parameters and resolve "/public/..;/admin" to "/admin", other servers do not, so no
// single path could be both authorized and served.
std::optional<RequestTarget> normalize_target(std::string_view target);

// An absolute-form target ("https://app.example:8443/x?y", RFC 9112 section 3.2.2) split into its
// authority and the rest in origin form ("/" when the path is empty). Only http and https; nullopt for
// anything else, and for an empty authority or one with userinfo ("user@host").
struct AbsoluteTarget {
  std::string_view authority;
  std::string origin_form;
};
std::optional<AbsoluteTarget> split_absolute_form(std::string_view target);

// "Host: Example.COM:8443" -> "example.com"; "[::1]:8443" -> "::1". Empty when malformed.
std::string host_without_port(std::string_view host_header);

}  // namespace certgate::http
