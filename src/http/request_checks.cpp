#include "http/request_checks.h"

#include <boost/beast/core/string.hpp>
#include <cctype>

#include "http/request_target.h"

namespace certgate::http {
namespace {

namespace bhttp = boost::beast::http;

std::optional<HeaderRefusal> refuse(std::string_view detail, unsigned status = 400) {
  return HeaderRefusal{status, detail};
}

std::optional<HeaderRefusal> check_names(const RequestHeader& req, const HeaderRules& rules) {
  std::size_t count = 0;
  bool underscore = false;
  for (const auto& field : req) {
    ++count;
    underscore = underscore || field.name_string().find('_') != std::string_view::npos;
  }
  if (count > rules.max_headers) return refuse("more header fields than limits.max_headers", 431);
  if (underscore && rules.reject_underscores) return refuse("a header name with '_'");
  return std::nullopt;
}

// RFC 3986 authority characters without userinfo: reg-name or IP literal, optional port.
bool valid_host_value(std::string_view host) {
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=%:[]";
  if (host.empty()) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && kAllowed.find(c) == std::string_view::npos)
      return false;
  }
  return true;
}

// Host names agree without regard to case or a trailing dot; ports only when both name one.
bool same_authority(std::string_view a, std::string_view b) {
  if (host_without_port(a) != host_without_port(b)) return false;
  const auto port = [](std::string_view authority) {
    const auto bracket = authority.rfind(']');
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket))
      return std::string_view();
    return authority.substr(colon + 1);
  };
  return port(a).empty() || port(b).empty() || port(a) == port(b);
}

// RFC 9112 section 3.2: exactly one Host on HTTP/1.1, at most one on HTTP/1.0, and an absolute-form
// target's authority agreeing with it (routing and the 421 check read one name, so there must be one).
std::optional<HeaderRefusal> check_address(const RequestHeader& req, RequestAddress& address) {
  std::size_t hosts = 0;
  for (auto it = req.find(bhttp::field::host); it != req.end() && it->name() == bhttp::field::host; ++it) {
    ++hosts;
    address.host = std::string(it->value());
  }
  if (hosts > 1) return refuse("more than one Host header");
  if (hosts == 0 && req.version() >= 11) return refuse("no Host header in an HTTP/1.1 request");
  if (hosts == 1 && !valid_host_value(address.host)) return refuse("an invalid Host header");
  const auto target = req.target();
  if (target.starts_with('/')) {
    address.origin_target = std::string(target);
    return std::nullopt;
  }
  auto absolute = split_absolute_form(target);
  if (!absolute) return refuse("a request target that is neither origin-form nor absolute-form");
  if (!valid_host_value(absolute->authority)) return refuse("an invalid authority in the request target");
  if (hosts == 1 && !same_authority(absolute->authority, address.host))
    return refuse("a Host header that differs from the request target's authority");
  address.host = std::string(absolute->authority);
  address.origin_target = std::move(absolute->origin_form);
  return std::nullopt;
}

// RFC 9112 section 6: only a lone `chunked` is accepted (as nginx does). Anything else would be relayed
// with framing the upstream may read differently: `chunked, identity` or `xchunked` leave Beast without a
// body, so that body would be parsed as the next request; `gzip, chunked` would lose its gzip coding.
std::optional<HeaderRefusal> check_transfer_encoding(const RequestHeader& req) {
  std::size_t count = 0;
  std::string_view value;
  for (auto it = req.find(bhttp::field::transfer_encoding);
       it != req.end() && it->name() == bhttp::field::transfer_encoding; ++it) {
    ++count;
    value = it->value();
  }
  if (count == 0) return std::nullopt;
  if (req.version() < 11) return refuse("Transfer-Encoding in an HTTP/1.0 request");
  if (req.find(bhttp::field::content_length) != req.end())
    return refuse("both Transfer-Encoding and Content-Length");
  if (count > 1 || !boost::beast::iequals(value, "chunked"))
    return refuse("a Transfer-Encoding other than chunked");
  return std::nullopt;
}

}  // namespace

HeaderCheck check_request_header(const RequestHeader& req, const HeaderRules& rules) {
  HeaderCheck check;
  check.refusal = check_names(req, rules);
  if (!check.refusal) check.refusal = check_address(req, check.address);
  if (!check.refusal) check.refusal = check_transfer_encoding(req);
  return check;
}

}  // namespace certgate::http
