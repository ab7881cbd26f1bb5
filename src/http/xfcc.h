// X-Forwarded-Client-Cert in Envoy's syntax: elements separated by ',', each a ';'-separated list of
// key=value pairs; a value containing ',', ';', '=' or '"' is double-quoted. Keys are case-insensitive.
// Envoy documents only '"' -> '\"' inside quotes; certgate also writes '\' as '\\', so that a value
// never has two readings (an RFC 2253 subject can hold both). docs/forwarding.md has the details.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certgate::http {

struct XfccPair {
  std::string key;    // as written
  std::string value;  // unquoted and unescaped
};
using XfccElement = std::vector<XfccPair>;

// Appends `key=value` to `element`, after a ';' unless it is the first pair. Envoy always quotes
// Subject, Cert and Chain: pass always_quote for those.
void append_xfcc_pair(std::string& element, std::string_view key, std::string_view value,
                      bool always_quote = false);

// The elements of a header value (several header lines joined with ","); nullopt when malformed.
std::optional<std::vector<XfccElement>> parse_xfcc(std::string_view header);

// The first value of `key` (any case) in `element`, or nullptr.
const std::string* xfcc_value(const XfccElement& element, std::string_view key);

}  // namespace certgate::http
