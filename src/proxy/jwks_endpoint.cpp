#include "proxy/jwks_endpoint.h"

#include "http/error_response.h"

namespace certgate::proxy {

namespace bhttp = boost::beast::http;

std::optional<bhttp::response<bhttp::string_body>> jwks_response(const jwt::KeyRing* keys, bhttp::verb method,
                                                                 std::string_view path, bool keep_alive) {
  if (!keys || path != kJwksPath) return std::nullopt;
  if (method != bhttp::verb::get && method != bhttp::verb::head) {
    auto res = http::make_error_response(405, http::default_message(405), false, keep_alive);
    res.set(bhttp::field::allow, "GET, HEAD");
    return res;
  }
  bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/json");
  // Verifiers refetch on an unknown kid; a short cache keeps rotations quick to reach them.
  res.set(bhttp::field::cache_control, "public, max-age=300");
  res.body() = keys->jwks();
  res.keep_alive(keep_alive);
  res.prepare_payload();
  if (method == bhttp::verb::head) res.body().clear();  // Content-Length stays that of the document
  return res;
}

}  // namespace certgate::proxy
