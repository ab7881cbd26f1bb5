// The one URL shape revocation sources use: plain `http://host[:port][/path][?query]` (RFC 5280 and
// RFC 6960 publish CRLs and OCSP over HTTP, not HTTPS, to avoid a circular dependency on TLS). It lives
// in config, below revocation, because the config loader validates `revocation.ocsp.responder` with it.
// The same shape with `https://` serves outbound calls that may use TLS (`alerts.webhook_url`, the admin
// URL of `certgate clients`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace certgate::config {

struct HttpUrl {
  std::string host;    // without brackets for IPv6
  uint16_t port = 80;  // default for http://
  std::string target;  // "/" at least; the query is kept, a fragment dropped
  bool https = false;  // only from parse_web_url
};

// nullopt for anything but a well-formed http:// URL (https://, ldap://, user info, bad ports).
std::optional<HttpUrl> parse_http_url(std::string_view text);

// http:// or https:// (default port 443); nullopt for anything else.
std::optional<HttpUrl> parse_web_url(std::string_view text);

// The URL back as text (for logs): "https://host:port/target".
std::string url_text(const HttpUrl& url);

// The Host header value: "host" or "host:port" ("[v6]:port").
std::string host_header(const HttpUrl& url);

}  // namespace certgate::config
