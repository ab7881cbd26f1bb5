#include "proxy/router.h"

#include <algorithm>

#include "common/host_lookup.h"

namespace certgate::proxy {

bool prefix_matches(std::string_view prefix, std::string_view path) {
  if (!path.starts_with(prefix)) return false;
  return prefix.size() == path.size() || prefix.back() == '/' || path[prefix.size()] == '/';
}

void Router::add(const RouteRuntime* route) {
  auto& list = by_host_[route->config->host];
  list.push_back(route);
  std::stable_sort(list.begin(), list.end(), [](const RouteRuntime* a, const RouteRuntime* b) {
    return a->config->path_prefix.size() > b->config->path_prefix.size();
  });
}

const std::vector<const RouteRuntime*>* Router::routes_for(std::string_view host) const {
  return find_host(by_host_, host);
}

const RouteRuntime* Router::match(std::string_view host, std::string_view path) const {
  const auto* routes = routes_for(host);
  if (!routes) return nullptr;
  for (const auto* route : *routes) {
    if (prefix_matches(route->config->path_prefix, path)) return route;
  }
  return nullptr;
}

std::vector<std::string> Router::hosts() const {
  std::vector<std::string> out;
  for (const auto& [host, routes] : by_host_)
    out.push_back(host);
  return out;
}

}  // namespace certgate::proxy
