#include "config/tls_loader.h"

namespace certgate::config {
namespace {

bool serves(const Listener& listener, const Route& route) {
  return !route.port || *route.port == listener.port;
}

ListenerProtocol protocol_for(const Route& route) {
  return route.to.kind == UpstreamKind::tcp ? ListenerProtocol::tls : ListenerProtocol::https;
}

}  // namespace

TlsSettings load_tls_settings(const YamlReader& r, const YAML::Node& n) {
  r.expect_map(n, "tls",
               {"session_resumption", "session_cache_size", "session_lifetime", "ticket_key_rotation",
                "ticket_keys_file"});
  TlsSettings s;
  const auto resumption = n["session_resumption"];
  if (resumption) {
    const auto text = r.scalar(resumption, "tls.session_resumption");
    if (text == "cache") {
      s.session_resumption = SessionResumption::cache;
    } else if (text == "tickets") {
      s.session_resumption = SessionResumption::tickets;
    } else if (text == "off") {
      s.session_resumption = SessionResumption::off;
    } else {
      r.fail(resumption, "tls.session_resumption must be cache, tickets or off (got '" + text + "')");
    }
  }
  if (auto v = n["session_cache_size"]) {
    s.session_cache_size = static_cast<std::size_t>(r.integer(v, "tls.session_cache_size", 0, 10000000));
  }
  if (auto v = n["session_lifetime"]) {
    s.session_lifetime = r.duration(v, "tls.session_lifetime");
    if (s.session_lifetime < std::chrono::seconds(1) || s.session_lifetime > std::chrono::hours(24 * 7))
      r.fail(v, "tls.session_lifetime must be between 1s and 168h (TLS 1.3's limit)");
  }
  if (auto v = n["ticket_key_rotation"]) {
    s.ticket_key_rotation = r.duration(v, "tls.ticket_key_rotation");
    if (s.ticket_key_rotation < std::chrono::seconds(1))
      r.fail(v, "tls.ticket_key_rotation must be at least 1s");
    if (s.ticket_key_rotation > std::chrono::hours(24 * 7))
      r.fail(v, "tls.ticket_key_rotation must be at most 168h (a ticket lives as long as its key)");
  }
  if (auto v = n["ticket_keys_file"]) {
    s.ticket_keys_mark = r.mark(v);
    s.ticket_keys_file = r.readable_file(v, "tls.ticket_keys_file");
    // Keys shared by several nodes only make sense for stateless tickets; a key file implies them.
    if (!resumption) {
      s.session_resumption = SessionResumption::tickets;
    } else if (s.session_resumption != SessionResumption::tickets) {
      r.fail(v, "tls.ticket_keys_file needs session_resumption: tickets");
    }
  }
  return s;
}

void load_tcp_route_options(const YamlReader& r, const YAML::Node& n, Route& route) {
  const bool tcp = route.to.kind == UpstreamKind::tcp;
  if (!tcp) {
    for (auto key : kTcpRouteKeys) {
      if (auto v = n[std::string(key)]) r.fail(v, std::string(key) + " applies to tcp:// routes only");
    }
    if (route.from.starts_with("tls://"))
      r.fail(n["from"], "a tls:// route forwards to a tcp:// upstream (got '" + route.to.text + "')");
    return;
  }
  if (route.path_prefix != "/")
    r.fail(n["from"], "a tcp:// route is chosen by SNI only; its 'from' takes no path");
  if (auto v = n["preserve_host"]) r.fail(v, "preserve_host applies to HTTP routes, not tcp:// ones");
  if (auto v = n["headers"]) r.fail(v, "headers apply to HTTP routes, not tcp:// ones");
  if (auto v = n["allow_websockets"])
    r.fail(v, "allow_websockets applies to HTTP routes; a tcp:// route relays any bytes");
  if (auto v = n["proxy_protocol"]) {
    const auto text = r.scalar(v, "proxy_protocol");
    if (text == "v2") {
      route.tcp.proxy_protocol = ProxyProtocol::v2;
    } else if (text != "off" && text != "none") {
      r.fail(v, "proxy_protocol must be v2 or off (got '" + text + "')");
    }
  }
  for (auto key : {"set_request_headers", "preserve_host_header", "timeout", "responses"}) {
    if (auto v = n[key]) r.fail(v, std::string(key) + " applies to HTTP routes, not tcp:// ones");
  }
}

void check_listener_protocols(const Config& cfg) {
  for (const auto& route : cfg.routes) {
    const auto wanted = protocol_for(route);
    bool candidate = false;
    bool served = false;
    for (const auto& listener : cfg.listeners) {
      if (!serves(listener, route)) continue;
      candidate = true;
      served = served || listener.protocol == wanted;
    }
    if (served || (!candidate && wanted == ListenerProtocol::https)) continue;
    const std::string port = route.port ? " on port " + std::to_string(*route.port) : "";
    throw ConfigError(route.mark, wanted == ListenerProtocol::tls
                                      ? "route " + route.from + " forwards to tcp:// and needs a listener" +
                                            port + " with protocol: tls"
                                      : "route " + route.from + " is an HTTP route and needs a listener" +
                                            port + " with protocol: https");
  }
}

}  // namespace certgate::config
