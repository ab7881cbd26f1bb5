// Host + path-prefix routing. Exact hosts beat "*.parent" wildcards; within a host the longest
// prefix wins. A prefix matches on segment boundaries: "/api" matches "/api" and "/api/x", not "/apix".
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/route.h"

namespace certgate::proxy {

class Router {
 public:
  void add(const RouteRuntime* route);
  const RouteRuntime* match(std::string_view host, std::string_view path) const;
  bool knows_host(std::string_view host) const { return routes_for(host) != nullptr; }

  // Every route that can serve this host (for the TLS host profiles).
  const std::vector<const RouteRuntime*>* routes_for(std::string_view host) const;
  std::vector<std::string> hosts() const;

 private:
  std::unordered_map<std::string, std::vector<const RouteRuntime*>> by_host_;  // longest prefix first
};

bool prefix_matches(std::string_view prefix, std::string_view path);

}  // namespace certgate::proxy
