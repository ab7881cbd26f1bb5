// The gateway's own answers (401, 403, 404, 421, 495, 502, 504...): a fixed, reason-free message as JSON
// {"message": "...", "request_id": "..."}, or an HTML page (refusal_page.h) when the client's Accept
// header prefers text/html. The request id also goes in an X-Request-Id response header.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string_view>

#include "common/refusal_kind.h"

namespace certgate::http {

using StringResponse = boost::beast::http::response<boost::beast::http::string_body>;

// True when the Accept header ranks text/html above application/json (RFC 9110 section 12.5.1).
bool prefers_html(std::string_view accept);

// `request_id` empty: no id in the body or the headers. `kind` selects the HTML page's advice.
StringResponse make_error_response(unsigned status, std::string_view message, bool html, bool keep_alive,
                                   std::string_view request_id = {}, RefusalKind kind = RefusalKind::none);

// The default message for a status the gateway produces itself.
std::string_view default_message(unsigned status);

}  // namespace certgate::http
