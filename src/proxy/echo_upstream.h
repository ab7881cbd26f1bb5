// The built-in `echo://` upstream: answers with what an upstream would have received, like
// Pomerium's verify service, so the identity headers can be seen end to end.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <string>
#include <string_view>

namespace certgate::proxy {

// {"method": "...", "path": "...", "headers": {"lowercased-name": "value", ...}}; repeated headers are
// joined with ", ".
std::string echo_body(std::string_view method, std::string_view path,
                      const boost::beast::http::fields& fields);

}  // namespace certgate::proxy
