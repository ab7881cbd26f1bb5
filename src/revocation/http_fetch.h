// One HTTP/1.1 exchange with a CRL publisher or an OCSP responder, over Beast. Bounded in time (the
// whole exchange, name resolution included) and in size (the response body).
#pragma once

#include <cstddef>
#include <string>

#include "config/config.h"
#include "config/http_url.h"
#include "net/asio.h"

namespace certgate::revocation {

struct HttpFetch {
  config::HttpUrl url;
  std::string body;          // POST when not empty
  std::string content_type;  // of the body
  config::Duration timeout{5000};
  std::size_t max_body = 10 * 1024 * 1024;
};

struct HttpResult {
  bool ok = false;    // a 200 response with a complete body within the limits
  std::string body;   // when ok
  std::string error;  // when not: "connection refused", "HTTP 404", "timed out", "larger than 10485760 bytes"
};

// Runs on the caller's executor (the revocation fetch thread).
net::awaitable<HttpResult> http_fetch(const HttpFetch& request);

}  // namespace certgate::revocation
