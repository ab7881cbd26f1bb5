// Header hygiene between client and upstream: what the client may never set, what never crosses a
// proxy (hop-by-hop), and the X-Forwarded-* / X-Real-IP headers the upstream can rely on.
//
// Names are compared in any letter case and with '_' read as '-', because CGI, WSGI, Rack and PHP
// upstreams map both to the same variable (X_Client_Cert_Verify and X-Client-Cert-Verify are both
// HTTP_X_CLIENT_CERT_VERIFY): a look-alike of a gateway header is that header.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <span>
#include <string_view>

namespace certgate::http {

using Fields = boost::beast::http::fields;

// True for every header only the gateway may send upstream: certificate headers (X-Client-Cert*,
// Ssl-Client-Cert, Cf-Client-Cert-*, X-Forwarded-Client-Cert), identity headers (X-Consumer-*,
// X-Credential-Identifier, X-Anonymous-Consumer) and X-Certgate-* (the JWT assertion). Any case, '_'
// read as '-'.
bool is_gateway_header(std::string_view name);

// True for the gateway headers above and every header the gateway sets or frames itself: X-Forwarded-*,
// X-Request-Id, X-Real-IP, Forwarded, Host, Content-Length and the hop-by-hop headers. Configured static
// headers (set_request_headers) may not name them.
bool is_managed_header(std::string_view name);

// True for a name with '_' that reads as a header the gateway owns or manages once '_' is read as '-':
// the gateway headers above, the `also` names, X-Forwarded-*, X-Request-Id, X-Real-IP, Forwarded, and the
// hop-by-hop and framing headers. Such a header is removed whatever headers_with_underscores says.
bool is_underscore_lookalike(std::string_view name, std::span<const std::string_view> also = {});

struct RequestHeaderRules {
  // Configured header names that are the gateway's too (a route's escaped-PEM header name, the
  // trusted-input header); empty names are ignored.
  std::span<const std::string_view> also{};
  // headers_with_underscores: drop (every name with '_' goes) or allow (only look-alikes go).
  bool drop_underscores = true;
  // The peer is a trusted proxy: its Forwarded and X-Real-IP describe the real client and stay.
  bool trusted_proxy = false;
};

// Removes, in one pass over the fields: gateway headers (any copy, any case), underscore names as
// `rules` say, client-sent Forwarded and X-Real-IP (unless from a trusted proxy), and hop-by-hop headers
// (RFC 9110 section 7.6.1) including those named by Connection.
void strip_request_headers(Fields& fields, const RequestHeaderRules& rules = {});

// Removes hop-by-hop headers from an upstream response.
void strip_response_headers(Fields& fields);

// X-Forwarded-For gets the client address appended; -Proto and -Host are set by the gateway; X-Real-IP
// is the client address unless a trusted proxy's copy survived strip_request_headers.
void set_forwarded_headers(Fields& fields, std::string_view client_ip, std::string_view original_host);

}  // namespace certgate::http
