// Small string helpers shared by the parsers of header values and config files.
#pragma once

#include <string>
#include <string_view>

namespace certgate {

// Without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110 section 5.6.3).
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// ASCII lower case: header names, host names and config keywords, never locale-dependent text.
inline std::string ascii_lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace certgate
