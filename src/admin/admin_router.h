// Maps one authorized admin request (method and target) to its answer: status, content type and body.
#pragma once

#include <string>
#include <string_view>

#include "admin/backend.h"

namespace certgate::admin {

struct AdminResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// `method`: "GET", "POST"...; `target`: the request target as sent (path and query).
AdminResponse route_admin_request(Backend& backend, std::string_view method, std::string_view target);

}  // namespace certgate::admin
