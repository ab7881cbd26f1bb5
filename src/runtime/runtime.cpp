#include "runtime/runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/string.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "config/config_error.h"
#include "http/header_rules.h"
#include "pki/cert_info.h"
#include "runtime/host_profiles.h"
#include "runtime/worker_metrics.h"
#include "tls/upstream_tls.h"

namespace certgate::runtime {
namespace {

using net::error_code;

std::vector<net::tcp::endpoint> resolve_upstream(const config::Route& route, const config::Upstream& to) {
  net::asio::io_context io;
  net::tcp::resolver resolver(io);
  error_code ec;
  auto results = resolver.resolve(to.host, std::to_string(to.port), ec);
  if (ec || results.empty()) {
    throw config::ConfigError(route.mark, "cannot resolve upstream host '" + to.host + "': " + ec.message());
  }
  std::vector<net::tcp::endpoint> out;
  for (const auto& entry : results)
    out.push_back(entry.endpoint());
  return out;
}

bool is_address(const std::string& host) {
  error_code ec;
  net::asio::ip::make_address(host, ec);
  return !ec;
}

std::string authority(const config::Upstream& to) {
  const uint16_t default_port = to.tls ? 443 : 80;
  return to.port == default_port ? to.host : to.host + ":" + std::to_string(to.port);
}

bool serves(const config::Listener& listener, const config::Route& route) {
  if (route.port && *route.port != listener.port) return false;
  // tcp:// routes belong to TLS listeners, every other route to HTTPS listeners.
  return (route.to.kind == config::UpstreamKind::tcp) == (listener.protocol == config::ListenerProtocol::tls);
}

}  // namespace

std::shared_ptr<const Runtime> Runtime::build(config::Config config,
                                              std::shared_ptr<tls::ResumptionState> resumption,
                                              const Runtime* previous) {
  std::shared_ptr<Runtime> runtime(new Runtime());
  runtime->config_ = std::move(config);
  runtime->resumption_ = resumption ? std::move(resumption) : std::make_shared<tls::ResumptionState>();
  runtime->load_ticket_key_file();
  runtime->compile_routes();
  runtime->compile_listeners();
  runtime->compile_jwt_keys(previous);
  runtime->collect_gateway_headers();
  runtime->assign_metric_slots(previous);
  return runtime;
}

// Labels are bounded by the routes the config names (up to kRouteSlots - 2; more share "other"). A
// reload keeps every earlier label, so a counter never moves to another route's label.
void Runtime::assign_metric_slots(const Runtime* previous) {
  route_labels_ = previous ? previous->route_labels_ : std::vector<std::string>{""};
  for (auto& route : routes_) {
    const auto& label = route.config->from;
    const auto found = std::find(route_labels_.begin(), route_labels_.end(), label);
    if (found != route_labels_.end()) {
      route.metrics_slot = static_cast<std::size_t>(found - route_labels_.begin());
    } else if (route_labels_.size() < kOverflowRouteSlot) {
      route.metrics_slot = route_labels_.size();
      route_labels_.push_back(label);
    } else {
      route.metrics_slot = kOverflowRouteSlot;
    }
  }
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

void Runtime::load_ticket_key_file() {
  const auto& settings = config_.tls;
  if (settings.ticket_keys_file.empty()) return;
  std::ifstream in(settings.ticket_keys_file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  if (!in) {
    throw config::ConfigError(settings.ticket_keys_mark,
                              "cannot read ticket_keys_file " + settings.ticket_keys_file);
  }
  try {
    file_ticket_keys_ = tls::parse_ticket_keys(content.str());
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(settings.ticket_keys_mark,
                              "ticket_keys_file " + settings.ticket_keys_file + ": " + e.what() +
                                  " (expected raw 80-byte keys, or one base64 80-byte key per line)");
  }
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

// A CRL file is checked against the trust bundle of each route that uses it, so it is loaded once per
// (file, bundle) pair.
std::shared_ptr<revocation::CrlFile> Runtime::crl_file_for(
    const config::CrlFileSource& source, const std::shared_ptr<const pki::TrustBundle>& bundle) {
  const std::string key = source.file + '\n' + bundle->digest();
  for (std::size_t i = 0; i < crl_file_keys_.size(); ++i) {
    if (crl_file_keys_[i] == key) return crl_files_[i];
  }
  auto file = revocation::CrlFile::load(source, bundle);
  crl_files_.push_back(file);
  crl_file_keys_.push_back(key);
  return file;
}

void Runtime::compile_routes() {
  // The global bundle is checked even when every route overrides it: a bad CA file is an error.
  if (!config_.client_ca.empty()) bundle_for(config_.client_ca);
  consumers_ = std::make_unique<const auth::ConsumerDirectory>(config_.consumers);
  for (const auto& route : config_.routes) {
    for (const auto& header : route.set_request_headers) {
      // The upstream trusts these to come from the gateway's own checks.
      if (http::is_managed_header(header.name))
        throw config::ConfigError(
            header.mark,
            "'" + header.name + "' is the gateway's own header and cannot be set with set_request_headers");
    }
    proxy::RouteRuntime rt;
    rt.config = &route;
    rt.consumers = consumers_.get();
    if (route.mtls.mode != config::MtlsMode::off) {
      rt.trust = bundle_for(route.mtls.ca);
      if (!route.mtls.crl_file.file.empty()) rt.crl_file = crl_file_for(route.mtls.crl_file, rt.trust);
    }
    if (route.to.kind == config::UpstreamKind::http) {
      rt.upstreams = compile_upstreams(route);
      rt.upstream_authority = rt.upstreams.targets.front().authority;
    } else if (route.to.kind == config::UpstreamKind::tcp) {
      rt.upstream_endpoints = resolve_upstream(route, route.to);
    }
    routes_.push_back(std::move(rt));
  }
}

// Each entry of `to` gets its Host header, its pool key, its addresses (resolved now; a name fails the load
// when it does not resolve) and, for https://, its own TLS context (SNI and name check are per host).
proxy::UpstreamSet Runtime::compile_upstreams(const config::Route& route) {
  proxy::UpstreamSet set;
  set.settings = route.upstreams;
  for (const auto& to : route.upstreams.targets) {
    proxy::UpstreamTarget target;
    target.text = to.text;
    target.host = to.host;
    target.port = to.port;
    target.authority = authority(to);
    target.addresses = resolve_upstream(route, to);
    target.is_name = !is_address(to.host);
    target.pool_key = to.host + ":" + std::to_string(to.port);
    if (to.tls) {
      target.tls = tls::UpstreamTls::build(route.upstream_tls, to.host);
      if (route.upstream_tls.skip_verify && set.targets.empty()) {
        spdlog::warn("{}:{}: route {} does not verify its upstream's certificate (tls_skip_verify)",
                     route.mark.file, route.mark.line, route.from);
      }
      // Pooled TLS connections carry the route's TLS settings (client certificate, name, trust).
      target.pool_key = "https://" + target.pool_key + "#" +
                        std::to_string(reinterpret_cast<std::uintptr_t>(target.tls.get()));
    }
    set.key += target.pool_key + " ";
    set.targets.push_back(std::move(target));
  }
  const auto& b = route.upstreams;
  set.key += std::to_string(static_cast<int>(b.policy)) + " " + std::to_string(b.eject_for.count()) + " " +
             std::to_string(b.dns_refresh.count());
  if (const auto& hc = b.health_check) {
    set.key += " " + hc->path + " " + std::to_string(hc->interval.count()) + " " +
               std::to_string(hc->timeout.count()) + " " + std::to_string(hc->healthy) + " " +
               std::to_string(hc->unhealthy);
  }
  return set;
}

std::vector<const proxy::UpstreamSet*> Runtime::upstream_sets() const {
  std::vector<const proxy::UpstreamSet*> out;
  for (const auto& route : routes_) {
    if (!route.upstreams.targets.empty()) out.push_back(&route.upstreams);
  }
  return out;
}

void Runtime::compile_listeners() {
  for (const auto& listener : config_.listeners) {
    ListenerRuntime lr;
    lr.config = &listener;
    std::vector<const proxy::RouteRuntime*> served;
    for (const auto& route : routes_) {
      if (!serves(listener, *route.config)) continue;
      lr.router.add(&route);
      served.push_back(&route);
    }
    auto profiles = build_host_profiles(listener, lr.router, served);
    lr.no_sni_host = std::move(profiles.no_sni_host);
    lr.tls =
        std::make_unique<tls::ServerTls>(listener, config_.tls, std::move(profiles.profiles), *resumption_);
    listeners_.push_back(std::move(lr));
  }
}

}  // namespace certgate::runtime
