// Header hygiene between client and upstream: what the client may never set, what never crosses a
// proxy (hop-by-hop), and the X-Forwarded-* headers the upstream can rely on.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <span>
#include <string_view>

namespace certgate::http {

using Fields = boost::beast::http::fields;

// True for every header only the gateway may send upstream (docs/configuration.md, "What the upstream
// receives"): certificate headers, identity headers, forwarded-certificate formats and the JWT assertion. Any
// case.
bool is_gateway_header(std::string_view name);

// Removes gateway headers (any copy, any case) and hop-by-hop headers (RFC 9110 section 7.6.1),
// including those named by Connection, in one pass over the fields. `also`: configured header names
// that are the gateway's too (a route's escaped-PEM header name, the trusted-input header); empty
// names are ignored.
void strip_request_headers(Fields& fields, std::span<const std::string_view> also = {});

// Removes hop-by-hop headers from an upstream response.
void strip_response_headers(Fields& fields);

// X-Forwarded-For gets the client address appended; -Proto and -Host are set by the gateway.
void set_forwarded_headers(Fields& fields, std::string_view client_ip, std::string_view original_host);

}  // namespace certgate::http
