#include "http/request_target.h"

#include <boost/beast/core/string.hpp>
#include <cctype>
#include <vector>

namespace certgate::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Decodes %XX for unreserved characters and upper-cases the others; nullopt when forbidden.
std::optional<std::string> decode_unreserved(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '\\') return std::nullopt;
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= path.size()) return std::nullopt;
    const int hi = hex_value(path[i + 1]);
    const int lo = hex_value(path[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const auto value = static_cast<unsigned char>(hi * 16 + lo);
    if (value == '/' || value == '\\' || value == 0) return std::nullopt;
    if (is_unreserved(value)) {
      out.push_back(static_cast<char>(value));
    } else {
      out.push_back('%');
      out.push_back(kHex[value >> 4]);
      out.push_back(kHex[value & 0xF]);
    }
    i += 2;
  }
  return out;
}

// Splits on '/', drops empty and "." segments, resolves "..", and rejoins.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 1;  // path[0] == '/'
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    const auto segment = path.substr(start, slash - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = slash + 1;
  }
  const bool trailing_slash =
      path.size() > 1 && (path.back() == '/' || path.ends_with("/.") || path.ends_with("/.."));
  std::string out;
  for (auto segment : segments) {
    out.push_back('/');
    out.append(segment);
  }
  if (out.empty() || trailing_slash) out.push_back('/');
  return out;
}

// Where a segment's parameters start: a ';', or a %3B that a server may decode to one first.
std::size_t parameters_start(std::string_view segment) {
  const auto raw = segment.find(';');
  const auto encoded = segment.find("%3B");  // decode_unreserved upper-cases every escape it keeps
  return std::min(raw, encoded);
}

// False when a segment with parameters has an empty, "." or ".." name ("..;", ".;x", ";x").
bool parameters_are_unambiguous(std::string_view path) {
  std::size_t start = 1;  // path[0] == '/'
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    const auto segment = path.substr(start, slash - start);
    const auto params = parameters_start(segment);
    if (params != std::string_view::npos) {
      const auto name = segment.substr(0, params);
      if (name.empty() || name == "." || name == "..") return false;
    }
    start = slash + 1;
  }
  return true;
}

// Drops every segment's ";..." (only a raw ';': an encoded one is part of the name for Tomcat and Spring).
std::string without_parameters(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  bool in_parameters = false;
  for (char c : path) {
    if (c == '/') in_parameters = false;
    if (c == ';') in_parameters = true;
    if (!in_parameters) out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<RequestTarget> normalize_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  RequestTarget out;
  const auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) out.query = std::string(target.substr(q));
  if (const auto hash = out.query.find('#'); hash != std::string::npos) out.query.resize(hash);
  if (const auto hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  auto decoded = decode_unreserved(path);
  if (!decoded || !parameters_are_unambiguous(*decoded)) return std::nullopt;
  out.path = remove_dot_segments(*decoded);
  if (out.path.find(';') != std::string::npos) out.path_without_parameters = without_parameters(out.path);
  return out;
}

std::optional<AbsoluteTarget> split_absolute_form(std::string_view target) {
  const auto scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const auto scheme = target.substr(0, scheme_end);
  if (!boost::beast::iequals(scheme, "https") && !boost::beast::iequals(scheme, "http")) return std::nullopt;
  const auto rest = target.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  AbsoluteTarget out;
  out.authority = rest.substr(0, authority_end);
  if (out.authority.empty() || out.authority.find('@') != std::string_view::npos) return std::nullopt;
  const auto tail = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (tail.empty() || tail.front() != '/') out.origin_form = "/";
  out.origin_form.append(tail);
  return out;
}

std::string host_without_port(std::string_view host) {
  std::string out;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return {};
    out = std::string(host.substr(1, close - 1));
  } else {
    out = std::string(host.substr(0, host.find(':')));
  }
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace certgate::http
