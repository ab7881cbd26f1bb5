// The textual encodings other gateways use to hand a client certificate to the upstream, so that
// applications written for them work behind certgate unchanged (docs/forwarding.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace certgate::http {

// nginx's ngx_escape_uri(..., NGX_ESCAPE_URI_COMPONENT): every byte except ALPHA, DIGIT, "-", ".", "_"
// and "~" becomes %XX (uppercase hex). Applied to a PEM certificate this is $ssl_client_escaped_cert,
// and also Envoy's URL-encoded PEM in X-Forwarded-Client-Cert (Cert=, Chain=).
std::string escape_uri_component(std::string_view bytes);

// Percent-decoding for certificates received in a header: %XX (either case) becomes the byte, every
// other byte stays as it is ('+' included: it is base64, not a space). nullopt on a malformed escape.
std::optional<std::string> unescape_percent(std::string_view text);

}  // namespace certgate::http
