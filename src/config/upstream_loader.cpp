#include "config/upstream_loader.h"

#include "config/url.h"

namespace certgate::config {
namespace {

Upstream one_upstream(const YamlReader& r, const YAML::Node& n) {
  std::string reason;
  auto u = parse_to_url(r.scalar(n, "to"), reason);
  if (!u) r.fail(n, reason);
  return *u;
}

std::string scheme(const Upstream& u) {
  switch (u.kind) {
    case UpstreamKind::echo:
      return "echo://";
    case UpstreamKind::tcp:
      return "tcp://";
    case UpstreamKind::http:
      break;
  }
  return u.tls ? "https://" : "http://";
}

// A list: every entry of one scheme and base path (the request target is built before an upstream is
// picked), and only http:// or https:// (a tcp:// stream or echo:// has nothing to balance yet).
std::vector<Upstream> upstream_list(const YamlReader& r, const YAML::Node& n) {
  if (n.size() == 0) r.fail(n, "'to' is an empty list: give at least one upstream");
  std::vector<Upstream> out;
  for (const auto& item : n) {
    auto u = one_upstream(r, item);
    if (u.kind != UpstreamKind::http)
      r.fail(item, "a list in 'to' takes http:// or https:// upstreams only (got '" + u.text + "')");
    if (!out.empty() && scheme(u) != scheme(out.front()))
      r.fail(item, "the upstreams of a list must share one scheme ('" + out.front().text + "' and '" +
                       u.text + "' differ)");
    if (!out.empty() && u.base_path != out.front().base_path)
      r.fail(item, "the upstreams of a list must share one base path ('" + out.front().text + "' and '" +
                       u.text + "' differ)");
    out.push_back(std::move(u));
  }
  return out;
}

LbPolicy lb_policy(const YamlReader& r, const YAML::Node& n) {
  const auto text = r.scalar(n, "lb_policy");
  if (text == "round_robin") return LbPolicy::round_robin;
  if (text == "least_request") return LbPolicy::least_request;
  if (text == "random") return LbPolicy::random;
  r.fail(n, "lb_policy must be round_robin, least_request or random (got '" + text + "')");
}

Duration positive(const YamlReader& r, const YAML::Node& n, std::string_view what) {
  const auto d = r.duration(n, what);
  if (d.count() <= 0) r.fail(n, std::string(what) + " must be greater than zero");
  return d;
}

HealthCheck health_check(const YamlReader& r, const YAML::Node& n) {
  r.expect_map(n, "health_check", {"path", "interval", "timeout", "healthy", "unhealthy"});
  HealthCheck hc;
  const auto path = n["path"];
  if (!path) r.fail(n, "health_check needs 'path' (for example /healthz)");
  hc.path = r.scalar(path, "health_check.path");
  if (!hc.path.starts_with('/') || hc.path.find_first_of(std::string(" \t\r\n\0#", 6)) != std::string::npos)
    r.fail(path, "health_check.path must be a path starting with / (got '" + hc.path + "')");
  if (auto v = n["interval"]) hc.interval = positive(r, v, "health_check.interval");
  if (auto v = n["timeout"]) hc.timeout = positive(r, v, "health_check.timeout");
  if (auto v = n["healthy"]) hc.healthy = r.integer(v, "health_check.healthy", 1, 100);
  if (auto v = n["unhealthy"]) hc.unhealthy = r.integer(v, "health_check.unhealthy", 1, 100);
  if (hc.timeout > hc.interval) r.fail(n, "health_check.timeout must not exceed health_check.interval");
  return hc;
}

}  // namespace

void load_upstreams(const YamlReader& r, const YAML::Node& n, Route& route) {
  const auto to = n["to"];
  if (to.IsSequence()) {
    route.upstreams.targets = upstream_list(r, to);
  } else {
    route.upstreams.targets.push_back(one_upstream(r, to));
  }
  route.to = route.upstreams.targets.front();
  if (route.to.kind != UpstreamKind::http) {
    route.upstreams.targets.clear();  // echo:// and tcp:// are not balanced
    for (auto key : kBalancingKeys) {
      if (auto v = n[std::string(key)])
        r.fail(v, std::string(key) + " applies to http:// and https:// upstreams only");
    }
    return;
  }
  auto& b = route.upstreams;
  if (auto v = n["lb_policy"]) b.policy = lb_policy(r, v);
  if (auto v = n["passive_health"]) {
    r.expect_map(v, "passive_health", {"eject_for"});
    if (auto e = v["eject_for"]) b.eject_for = r.duration(e, "passive_health.eject_for");
  }
  if (auto v = n["health_check"]) b.health_check = health_check(r, v);
  if (auto v = n["dns_refresh"]) b.dns_refresh = positive(r, v, "dns_refresh");
}

}  // namespace certgate::config
