// Header rules and request checks (http/request_checks, http/header_rules) on a request header that Beast
// parsed from the input, as the gateway gets it: check_request_header, then the strip and X-Forwarded-*
// steps, asserting what they promise (no gateway, hop-by-hop or look-alike header survives).
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "http/header_rules.h"
#include "http/request_checks.h"
#include "http/request_target.h"

namespace bhttp = boost::beast::http;
using certgate::http::Fields;

namespace {

// The first input byte picks the configuration; the rest is the request as the client sent it.
struct Options {
  bool reject_underscores;
  bool drop_underscores;
  bool trusted_proxy;
  std::size_t max_headers;
};

Options options_from(uint8_t bits) {
  return {(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, std::size_t{1} + (bits >> 3)};
}

std::vector<std::string> connection_tokens(const Fields& fields) {
  std::vector<std::string> tokens;
  for (const auto& field : fields) {
    if (field.name() != bhttp::field::connection) continue;
    for (auto token : bhttp::token_list{field.value()})
      tokens.emplace_back(token);
  }
  return tokens;
}

void check_stripped(const Fields& before, Fields fields, const Options& o) {
  static constexpr std::string_view kAlso[] = {"X-Route-Cert", ""};
  const auto named = connection_tokens(before);
  certgate::http::strip_request_headers(
      fields, {.also = kAlso, .drop_underscores = o.drop_underscores, .trusted_proxy = o.trusted_proxy});
  for (const auto& field : fields) {
    const auto name = field.name_string();
    FUZZ_CHECK(!certgate::http::is_gateway_header(name));
    FUZZ_CHECK(!boost::beast::iequals(name, "x-route-cert"));
    FUZZ_CHECK(!certgate::http::is_underscore_lookalike(name, kAlso));
    FUZZ_CHECK(!(o.drop_underscores && name.find('_') != std::string_view::npos));
    FUZZ_CHECK(field.name() != bhttp::field::connection && field.name() != bhttp::field::transfer_encoding);
    FUZZ_CHECK(o.trusted_proxy ||
               !(boost::beast::iequals(name, "forwarded") || boost::beast::iequals(name, "x-real-ip")));
    for (const auto& token : named)
      FUZZ_CHECK(!boost::beast::iequals(name, token));
  }
  certgate::http::set_forwarded_headers(fields, "192.0.2.1", "app.test");
  FUZZ_CHECK(fields.count("X-Forwarded-For") == 1 && fields.count("X-Forwarded-Proto") == 1);
  certgate::http::strip_response_headers(fields);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto options = options_from(data[0]);
  bhttp::request_parser<bhttp::empty_body> parser;
  parser.header_limit(64 * 1024);
  parser.eager(false);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data + 1, size - 1), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& req = parser.get();

  const auto check = certgate::http::check_request_header(
      req.base(), {.max_headers = options.max_headers, .reject_underscores = options.reject_underscores});
  if (check.refusal) {
    FUZZ_CHECK(check.refusal->status == 400 || check.refusal->status == 431);
    return 0;
  }
  FUZZ_CHECK(!check.address.origin_target.empty() && check.address.origin_target.front() == '/');
  certgate::http::normalize_target(check.address.origin_target);
  certgate::http::host_without_port(check.address.host);
  Fields fields = req.base();
  check_stripped(req.base(), std::move(fields), options);
  return 0;
}
