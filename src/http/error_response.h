// The gateway's own answers (401, 403, 404, 421, 502, 504...): a fixed, reason-free message as JSON
// {"message": "..."}, or a small HTML page when the client's Accept header prefers text/html.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string_view>

namespace certgate::http {

using StringResponse = boost::beast::http::response<boost::beast::http::string_body>;

// True when the Accept header ranks text/html above application/json (RFC 9110 section 12.5.1).
bool prefers_html(std::string_view accept);

StringResponse make_error_response(unsigned status, std::string_view message, bool html, bool keep_alive);

// The default message for a status the gateway produces itself.
std::string_view default_message(unsigned status);

}  // namespace certgate::http
