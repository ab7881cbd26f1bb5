#include "admin/admin_router.h"

#include <algorithm>
#include <charconv>

#include "admin/json_views.h"
#include "admin/status_page.h"
#include "inventory/client_inventory.h"

namespace certgate::admin {
namespace {

constexpr std::size_t kPageRefusals = runtime::kRefusalRing;

AdminResponse json(unsigned status, std::string body) {
  return {status, "application/json", std::move(body)};
}

// The value of `name` in a query string (no percent-decoding: the only parameter is a duration).
std::optional<std::string_view> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

AdminResponse clients(Backend& backend, std::string_view query) {
  std::optional<std::chrono::seconds> within;
  if (const auto text = query_value(query, "expiring_within")) {
    within = inventory::parse_expiring_within(*text);
    if (!within) return json(400, error_json("expiring_within must be a duration like 30d"));
  }
  return json(200, backend.clients_json(within));
}

AdminResponse status_page(Backend& backend) {
  StatusPageData data{backend.status(), backend.routes(), backend.certificates(), backend.recent_refusals(),
                      backend.clients(std::nullopt)};
  if (data.refusals.size() > kPageRefusals) data.refusals.resize(kPageRefusals);
  return {200, "text/html; charset=utf-8", render_status_page(data)};
}

}  // namespace

AdminResponse route_admin_request(Backend& backend, std::string_view method, std::string_view target) {
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  const auto query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const bool get = method == "GET" || method == "HEAD";
  if (path == "/reload") {
    if (method != "POST") return json(405, error_json("use POST"));
    const auto result = backend.reload();
    return json(result.ok ? 200 : 422, reload_json(result));
  }
  if (path == "/" || path == "/metrics" || path == "/status" || path == "/routes" ||
      path == "/certificates" || path == "/clients") {
    if (!get) return json(405, error_json("use GET"));
  }
  if (path == "/") return status_page(backend);
  if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", backend.metrics_text()};
  if (path == "/status") return json(200, status_json(backend.status()));
  if (path == "/routes") return json(200, routes_json(backend.routes()));
  if (path == "/certificates") return json(200, certificates_json(backend.certificates()));
  if (path == "/clients") return clients(backend, query);
  return json(404, error_json("no such admin endpoint"));
}

}  // namespace certgate::admin
