#include "http/header_rules.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/container/small_vector.hpp>
#include <string>

namespace certgate::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// A header name character as upstreams that turn names into variables see it.
char fold(char c) {
  if (c == '_') return '-';
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// `name` equals `lower` (lower case, written with '-') in any case and with '_' read as '-'.
bool folded_equals(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (fold(name[i]) != lower[i]) return false;
  }
  return true;
}

bool folded_starts_with(std::string_view name, std::string_view lower_prefix) {
  return name.size() >= lower_prefix.size() &&
         folded_equals(name.substr(0, lower_prefix.size()), lower_prefix);
}

// Framing (Content-Length, Transfer-Encoding) is rebuilt by the serializer, so it is hop-by-hop here.
bool is_hop_by_hop(std::string_view name) {
  static constexpr std::string_view kNames[] = {"connection", "keep-alive", "proxy-connection", "te",
                                                "trailer",    "upgrade",    "transfer-encoding"};
  for (auto n : kNames) {
    if (folded_equals(name, n)) return true;
  }
  return false;
}

// Headers that name the client; from anyone but a trusted proxy they are the client's own claim.
bool is_client_address_header(std::string_view name) {
  return folded_equals(name, "forwarded") || folded_equals(name, "x-real-ip");
}

bool is_also(std::string_view name, std::span<const std::string_view> also) {
  for (auto extra : also) {
    if (extra.empty() || name.size() != extra.size()) continue;
    bool same = true;
    for (std::size_t i = 0; same && i < name.size(); ++i)
      same = fold(name[i]) == fold(extra[i]);
    if (same) return true;
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
  return folded_starts_with(name, "x-client-cert") || folded_starts_with(name, "x-consumer-") ||
         folded_equals(name, "x-credential-identifier") || folded_equals(name, "x-anonymous-consumer") ||
         folded_starts_with(name, "cf-client-cert-") || folded_equals(name, "x-forwarded-client-cert") ||
         folded_equals(name, "ssl-client-cert") || folded_starts_with(name, "x-certgate-");
}

bool is_managed_header(std::string_view name) {
  return is_gateway_header(name) || folded_starts_with(name, "x-forwarded-") ||
         folded_equals(name, "x-request-id") || is_client_address_header(name) || is_hop_by_hop(name) ||
         folded_equals(name, "content-length") || folded_equals(name, "host");
}

bool is_underscore_lookalike(std::string_view name, std::span<const std::string_view> also) {
  if (name.find('_') == std::string_view::npos) return false;
  return is_gateway_header(name) || is_also(name, also) || folded_starts_with(name, "x-forwarded-") ||
         folded_equals(name, "x-request-id") || is_client_address_header(name) || is_hop_by_hop(name) ||
         folded_equals(name, "content-length");
}

void strip_request_headers(Fields& fields, const RequestHeaderRules& rules) {
  erase_if(fields, [&rules](std::string_view name) {
    if (is_hop_by_hop(name) || is_gateway_header(name) || is_also(name, rules.also)) return true;
    if (!rules.trusted_proxy && is_client_address_header(name)) return true;
    if (name.find('_') == std::string_view::npos) return false;
    return rules.drop_underscores || is_underscore_lookalike(name, rules.also);
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
  if (fields.find("X-Real-IP") == fields.end()) fields.set("X-Real-IP", client_ip);
}

}  // namespace certgate::http
