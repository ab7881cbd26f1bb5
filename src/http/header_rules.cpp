#include "http/header_rules.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/container/small_vector.hpp>
#include <string>

namespace certgate::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && beast::iequals(s.substr(0, prefix.size()), prefix);
}

// Framing (Content-Length, Transfer-Encoding) is rebuilt by the serializer, so it is hop-by-hop here.
bool is_hop_by_hop(std::string_view name) {
  static constexpr std::string_view kNames[] = {"connection", "keep-alive", "proxy-connection", "te",
                                                "trailer",    "upgrade",    "transfer-encoding"};
  for (auto n : kNames) {
    if (beast::iequals(name, n)) return true;
  }
  return false;
}

// Removes what `drop` selects and the headers the Connection header(s) name (they apply to this hop only).
// The names are views into the Connection values, so those fields are removed last.
template <class Drop>
void erase_if(Fields& fields, Drop drop) {
  boost::container::small_vector<std::string_view, 8> listed;
  for (auto it = fields.find(bhttp::field::connection);
       it != fields.end() && it->name() == bhttp::field::connection; ++it) {
    for (auto token : bhttp::token_list{it->value()})
      listed.push_back(token);
  }
  for (auto it = fields.begin(); it != fields.end();) {
    const auto name = it->name_string();
    bool named = false;
    for (auto token : listed)
      named = named || beast::iequals(name, token);
    if (it->name() != bhttp::field::connection && (named || drop(name))) {
      it = fields.erase(it);
    } else {
      ++it;
    }
  }
  fields.erase(bhttp::field::connection);
}

}  // namespace

bool is_gateway_header(std::string_view name) {
  return starts_with_nocase(name, "x-client-cert") || starts_with_nocase(name, "x-consumer-") ||
         beast::iequals(name, "x-credential-identifier") || beast::iequals(name, "x-anonymous-consumer") ||
         starts_with_nocase(name, "cf-client-cert-") || beast::iequals(name, "x-forwarded-client-cert") ||
         starts_with_nocase(name, "x-certgate-");
}

void strip_request_headers(Fields& fields, std::span<const std::string_view> also) {
  erase_if(fields, [also](std::string_view name) {
    if (is_hop_by_hop(name) || is_gateway_header(name)) return true;
    for (auto extra : also) {
      if (!extra.empty() && beast::iequals(name, extra)) return true;
    }
    return false;
  });
}

void strip_response_headers(Fields& fields) {
  erase_if(fields, is_hop_by_hop);
}

void set_forwarded_headers(Fields& fields, std::string_view client_ip, std::string_view original_host) {
  std::string forwarded_for;
  for (auto it = fields.find("X-Forwarded-For");
       it != fields.end() && beast::iequals(it->name_string(), "X-Forwarded-For"); ++it) {
    if (!forwarded_for.empty()) forwarded_for += ", ";
    forwarded_for.append(it->value());
  }
  if (!forwarded_for.empty()) forwarded_for += ", ";
  forwarded_for.append(client_ip);
  fields.set("X-Forwarded-For", forwarded_for);
  fields.set("X-Forwarded-Proto", "https");
  fields.set("X-Forwarded-Host", original_host);
}

}  // namespace certgate::http
