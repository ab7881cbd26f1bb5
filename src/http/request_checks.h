// What certgate checks in a request header once Beast has parsed it, before routing: what RFC 9112
// asks of a server that Beast leaves to the application (exactly one Host; a Transfer-Encoding the
// gateway can relay without ambiguity), and the configured header limits. A request that fails is
// answered with an error and the connection closes: its framing cannot be trusted.
#pragma once

#include <boost/beast/http/message.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace certgate::http {

using RequestHeader = boost::beast::http::request_header<>;

struct HeaderRules {
  std::size_t max_headers = 100;    // limits.max_headers
  bool reject_underscores = false;  // headers_with_underscores: reject
};

// Why a request header is refused: 400 or 431, and a detail for the error log (never for the client).
struct HeaderRefusal {
  unsigned status = 400;
  std::string_view detail;
};

// Whom the request is for: the authority of an absolute-form target, else the Host header (empty for an
// HTTP/1.0 request without one), and the target in origin form.
struct RequestAddress {
  std::string host;
  std::string origin_target;
};

// The address of an acceptable request header, or why it is refused.
struct HeaderCheck {
  std::optional<HeaderRefusal> refusal;
  RequestAddress address;
};

HeaderCheck check_request_header(const RequestHeader& req, const HeaderRules& rules);

}  // namespace certgate::http
