// Appends a JSON string literal (quotes included) with RFC 8259 escaping.
#pragma once

#include <string>
#include <string_view>

namespace certgate::log {

void append_json_string(std::string& out, std::string_view text);

}  // namespace certgate::log
