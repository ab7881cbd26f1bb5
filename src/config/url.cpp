#include "config/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace certgate::config {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool parse_port(std::string_view text, uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

bool valid_host_chars(std::string_view host) {
  if (host.empty()) return false;
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == ':' || c == '*';
  });
}

}  // namespace

bool split_host_port(std::string_view text, std::string& host, uint16_t& port) {
  std::string_view h;
  std::string_view p;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  if (h.empty() || !parse_port(p, port)) return false;
  host = std::string(h);
  return true;
}

std::optional<FromUrl> parse_from_url(std::string_view text, std::string& reason) {
  // tls:// names a TLS (TCP) endpoint; it routes exactly like https://, by host only.
  std::string_view rest;
  if (text.starts_with("https://")) {
    rest = text.substr(8);
  } else if (text.starts_with("tls://")) {
    rest = text.substr(6);
  } else {
    reason = "route 'from' must start with https:// or tls:// (got '" + std::string(text) + "')";
    return std::nullopt;
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  FromUrl out;
  out.path_prefix = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.path_prefix.find_first_of("?#") != std::string::npos) {
    reason = "route 'from' must not contain a query or fragment";
    return std::nullopt;
  }
  std::string host;
  uint16_t port = 0;
  if (authority.find(':') != std::string_view::npos && split_host_port(authority, host, port)) {
    out.port = port;
  } else {
    host = std::string(authority);
  }
  out.host = lowercase(host);
  if (!valid_host_chars(out.host) || out.host.find(':') != std::string::npos) {
    reason = "route 'from' has an invalid host '" + std::string(authority) + "'";
    return std::nullopt;
  }
  auto star = out.host.find('*');
  if (star != std::string::npos && (star != 0 || out.host.size() < 3 || out.host[1] != '.' ||
                                    out.host.find('*', 1) != std::string::npos)) {
    reason = "a wildcard host must have the form *.example.com";
    return std::nullopt;
  }
  return out;
}

std::optional<Upstream> parse_to_url(std::string_view text, std::string& reason) {
  Upstream out;
  out.text = std::string(text);
  if (text == "echo://" || text == "echo:") {
    out.kind = UpstreamKind::echo;
    return out;
  }
  std::string_view rest;
  if (text.substr(0, 7) == "http://") {
    out.kind = UpstreamKind::http;
    rest = text.substr(7);
  } else if (text.substr(0, 8) == "https://") {
    out.kind = UpstreamKind::http;
    out.tls = true;
    rest = text.substr(8);
  } else if (text.substr(0, 6) == "tcp://") {
    out.kind = UpstreamKind::tcp;
    rest = text.substr(6);
  } else {
    reason =
        "route 'to' must be http://host:port[/base], https://host:port[/base], tcp://host:port or echo:// "
        "(got '" +
        std::string(text) + "')";
    return std::nullopt;
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.find(':') == std::string_view::npos && out.kind == UpstreamKind::http) {
    out.host = std::string(authority);
    out.port = out.tls ? 443 : 80;
  } else if (!split_host_port(authority, out.host, out.port)) {
    reason = "route 'to' needs host:port (got '" + std::string(authority) + "')";
    return std::nullopt;
  }
  if (!valid_host_chars(out.host) || out.host.find('*') != std::string::npos) {
    reason = "route 'to' has an invalid host '" + out.host + "'";
    return std::nullopt;
  }
  if (slash != std::string_view::npos) {
    if (out.kind == UpstreamKind::tcp) {
      reason = "a tcp:// upstream takes no path";
      return std::nullopt;
    }
    std::string base(rest.substr(slash));
    while (!base.empty() && base.back() == '/')
      base.pop_back();
    out.base_path = base;
  }
  return out;
}

}  // namespace certgate::config
