// The admin listener's HTML status page (GET /): status, routes, certificates coloured by days left, the
// last refusals with their reason codes, and the client-certificate inventory. Rendered on the server,
// every value HTML-escaped, a small inline stylesheet that also fits a phone's width, no scripts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "admin/backend.h"

namespace certgate::admin {

struct StatusPageData {
  StatusInfo status;
  std::vector<RouteInfo> routes;
  std::vector<CertificateInfo> certificates;
  std::vector<runtime::Refusal> refusals;  // newest first
  std::vector<ClientInfo> clients;
};

std::string render_status_page(const StatusPageData& data);

}  // namespace certgate::admin
