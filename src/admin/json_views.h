// The admin API's JSON bodies, one function per endpoint.
#pragma once

#include <string>
#include <vector>

#include "admin/backend.h"

namespace certgate::admin {

std::string status_json(const StatusInfo& status);
std::string routes_json(const std::vector<RouteInfo>& routes);
std::string certificates_json(const std::vector<CertificateInfo>& certificates);
std::string reload_json(const ReloadResult& result);
std::string error_json(std::string_view message);

// "2027-01-31T12:00:00Z"
std::string utc_text(std::int64_t unix_seconds);

}  // namespace certgate::admin
