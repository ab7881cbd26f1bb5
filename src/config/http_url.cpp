#include "config/http_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace certgate::config {
namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
}

bool valid_host(std::string_view host, bool bracketed) {
  if (host.empty()) return false;
  return std::all_of(host.begin(), host.end(), [bracketed](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_' || (bracketed && (c == ':' || c == '%'));
  });
}

std::optional<HttpUrl> parse_after_scheme(std::string_view rest, bool https);

}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view text) {
  constexpr std::string_view scheme = "http://";
  if (!iequals_prefix(text, scheme)) return std::nullopt;
  return parse_after_scheme(text.substr(scheme.size()), false);
}

std::optional<HttpUrl> parse_web_url(std::string_view text) {
  constexpr std::string_view tls_scheme = "https://";
  if (iequals_prefix(text, tls_scheme)) return parse_after_scheme(text.substr(tls_scheme.size()), true);
  return parse_http_url(text);
}

std::string url_text(const HttpUrl& url) {
  std::string out = url.https ? "https://" : "http://";
  const bool v6 = url.host.find(':') != std::string::npos;
  out += v6 ? "[" + url.host + "]" : url.host;
  out += ":" + std::to_string(url.port) + url.target;
  return out;
}

namespace {

std::optional<HttpUrl> parse_after_scheme(std::string_view rest, bool https) {
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  HttpUrl url;
  url.https = https;
  if (https) url.port = 443;
  url.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (url.target.front() == '?') url.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view host = authority;
  std::string_view port;
  bool bracketed = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
    bracketed = true;
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!valid_host(host, bracketed)) return std::nullopt;
  url.host.resize(host.size());
  std::transform(host.begin(), host.end(), url.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      return std::nullopt;
    url.port = static_cast<uint16_t>(value);
  }
  for (unsigned char c : url.target) {
    if (c <= 0x20 || c == 0x7f) return std::nullopt;  // would break the request line
  }
  return url;
}

}  // namespace

std::string host_header(const HttpUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string out = v6 ? "[" + url.host + "]" : url.host;
  if (url.port != (url.https ? 443 : 80)) out += ":" + std::to_string(url.port);
  return out;
}

}  // namespace certgate::config
