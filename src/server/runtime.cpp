#include "server/runtime.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/string.hpp>
#include <set>

#include "config/config_error.h"
#include "http/header_rules.h"
#include "pki/cert_info.h"

namespace certgate::server {
namespace {

using net::error_code;

std::vector<net::tcp::endpoint> resolve_upstream(const config::Route& route) {
  net::asio::io_context io;
  net::tcp::resolver resolver(io);
  error_code ec;
  auto results = resolver.resolve(route.to.host, std::to_string(route.to.port), ec);
  if (ec || results.empty()) {
    throw config::ConfigError(route.mark,
                              "cannot resolve upstream host '" + route.to.host + "': " + ec.message());
  }
  std::vector<net::tcp::endpoint> out;
  for (const auto& entry : results)
    out.push_back(entry.endpoint());
  return out;
}

std::string authority(const config::Upstream& to) {
  return to.port == 80 ? to.host : to.host + ":" + std::to_string(to.port);
}

// What distinguishes one host's TLS behaviour from another's: whether it asks for a certificate,
// and the trust bundles behind it. Tickets are bound to it.
tls::HostProfile profile_for(const std::vector<const proxy::RouteRuntime*>& routes, std::string_view label) {
  tls::HostProfile profile;
  std::set<std::string> digests;
  for (const auto* route : routes) {
    if (route->config->mtls.mode == config::MtlsMode::off || !route->trust) continue;
    profile.request_client_cert = true;
    digests.insert(pki::hex_lower(reinterpret_cast<const unsigned char*>(route->trust->digest().data()),
                                  route->trust->digest().size()));
  }
  profile.session_context = std::string(label) + (profile.request_client_cert ? "|mtls" : "|plain");
  for (const auto& d : digests)
    profile.session_context += "|" + d;
  return profile;
}

}  // namespace

std::shared_ptr<const Runtime> Runtime::build(config::Config config, const Runtime* previous) {
  std::shared_ptr<Runtime> runtime(new Runtime());
  runtime->config_ = std::move(config);
  runtime->compile_routes();
  runtime->compile_listeners();
  runtime->compile_jwt_keys(previous);
  runtime->collect_gateway_headers();
  return runtime;
}

void Runtime::compile_jwt_keys(const Runtime* previous) {
  bool needed = config_.jwt.configured;
  for (const auto& route : config_.routes)
    needed = needed || route.headers.jwt_assertion;
  if (needed) jwt_keys_ = jwt::KeyRing::build(config_.jwt, previous ? previous->jwt_keys() : nullptr);
}

void Runtime::collect_gateway_headers() {
  const auto add = [this](std::string_view name) {
    if (http::is_gateway_header(name)) return;
    for (auto known : extra_gateway_headers_) {
      if (boost::beast::iequals(known, name)) return;
    }
    extra_gateway_headers_.push_back(name);
  };
  for (const auto& route : config_.routes) {
    if (route.headers.escaped_pem) add(route.headers.escaped_pem_header);
  }
  if (config_.client_certificate_header) add(config_.client_certificate_header->name);
}

std::shared_ptr<const pki::TrustBundle> Runtime::bundle_for(const config::CaSource& source) {
  const std::string key = source.file.empty() ? "inline:" + source.inline_pem : "file:" + source.file;
  for (const auto& [k, bundle] : bundles_) {
    if (k == key) return bundle;
  }
  auto bundle = pki::TrustBundle::load(source);
  bundles_.emplace_back(key, bundle);
  return bundle;
}

void Runtime::compile_routes() {
  // The global bundle is checked even when every route overrides it: a bad CA file is an error.
  if (!config_.client_ca.empty()) bundle_for(config_.client_ca);
  for (const auto& route : config_.routes) {
    proxy::RouteRuntime rt;
    rt.config = &route;
    if (route.mtls.mode != config::MtlsMode::off) rt.trust = bundle_for(route.mtls.ca);
    if (route.to.kind == config::UpstreamKind::http) {
      rt.upstream_endpoints = resolve_upstream(route);
      rt.upstream_authority = authority(route.to);
      rt.pool_key = route.to.host + ":" + std::to_string(route.to.port);
    }
    routes_.push_back(std::move(rt));
  }
}

void Runtime::compile_listeners() {
  for (const auto& listener : config_.listeners) {
    ListenerRuntime lr;
    lr.config = &listener;
    std::vector<const proxy::RouteRuntime*> served;
    for (const auto& route : routes_) {
      if (route.config->port && *route.config->port != listener.port) continue;
      lr.router.add(&route);
      served.push_back(&route);
    }
    tls::HostProfiles profiles;
    for (const auto& host : lr.router.hosts())
      profiles.add(host, profile_for(*lr.router.routes_for(host), host));
    if (!listener.default_host.empty()) {
      const auto* routes = lr.router.routes_for(listener.default_host);
      if (!routes) {
        throw config::ConfigError(
            listener.mark, "default_host '" + listener.default_host + "' is not the host of any route");
      }
      profiles.set_no_sni(profile_for(*routes, listener.default_host));
    } else {
      // Without SNI (clients that connect by IP address) a certificate is requested when any route of
      // the listener may need one; each request is still checked against its own route's bundle.
      profiles.set_no_sni(profile_for(served, "(no sni)"));
    }
    lr.tls = std::make_unique<tls::ServerTls>(listener, std::move(profiles));
    listeners_.push_back(std::move(lr));
  }
}

}  // namespace certgate::server
