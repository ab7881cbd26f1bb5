// One outbound HTTP/1.1 request over http:// or https:// with Beast, for the operations side: the expiry
// alert webhook and `certgate clients` calling the admin API. Never used on the request path. Bounded in
// time (the whole exchange, name resolution included) and in response size. TLS uses tls::UpstreamTls (the
// system trust store or a CA file, the URL's host checked and sent as SNI) and tls::TlsStream.
#pragma once

#include <boost/beast/http/verb.hpp>

#include <cstddef>
#include <memory>
#include <string>

#include "config/config.h"
#include "config/http_url.h"
#include "net/asio.h"
#include "tls/upstream_tls.h"

namespace certgate::alerts {

struct HttpRequest {
  config::HttpUrl url;
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string body;
  std::string content_type;                     // of the body
  std::string bearer_token;                     // "Authorization: Bearer <token>" when not empty
  std::shared_ptr<const tls::UpstreamTls> tls;  // required for an https:// URL (make_client_tls)
  config::Duration timeout{5000};
  std::size_t max_body = 64 * 1024 * 1024;
};

struct HttpResponse {
  unsigned status = 0;  // 0: no response (see error)
  std::string body;
  std::string error;  // "cannot connect: Connection refused", "timed out", "TLS: certificate verify failed"
};

// The client TLS context for `url`: `ca_file` empty means the system trust store. Throws
// config::ConfigError (with `mark`) for an unreadable CA file.
std::shared_ptr<const tls::UpstreamTls> make_client_tls(const config::HttpUrl& url,
                                                        const std::string& ca_file,
                                                        const config::SourceMark& mark);

// Runs on the caller's executor.
net::awaitable<HttpResponse> http_request(const HttpRequest& request);

}  // namespace certgate::alerts
