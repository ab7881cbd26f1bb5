#include "config/loader.h"
#include "common/text.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/base64.h"
#include "config/admin_loader.h"
#include "config/forwarding_loader.h"
#include "config/identity_loader.h"
#include "config/operations_loader.h"
#include "config/policy_loader.h"
#include "config/responses_loader.h"
#include "config/revocation_loader.h"
#include "config/signature_algorithm_loader.h"
#include "config/tls_loader.h"
#include "config/upstream_loader.h"
#include "config/url.h"
#include "config/yaml_checks.h"
#include "config/yaml_reader.h"

namespace certgate::config {
namespace {

// Top-level keys whose value is a single scalar, and so can come from CERTGATE_<KEY>.
constexpr std::string_view kScalarTopLevelKeys[] = {"workers", "client_ca_file", "client_ca", "access_log",
                                                    "log_level"};

std::string env_name(std::string_view key) {
  std::string name = "CERTGATE_";
  for (char c : key)
    name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return name;
}

// Standard base64 as people paste it (wrapped lines): whitespace ignored; nullopt when malformed.
std::optional<std::string> decode_base64(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) compact.push_back(c);
  }
  return base64_decode(compact);
}

class Loader {
 public:
  explicit Loader(std::string file) : r_(std::move(file)) {}

  Config load(YAML::Node root) {
    cfg_.file = r_.file();
    if (!root.IsDefined() || root.IsNull()) throw ConfigError({r_.file(), 0}, "the config file is empty");
    check_yaml_tree(r_, root);
    r_.expect_map(root, "the config file",
                  {"workers", "listeners", "client_ca_file", "client_ca", "mtls", "consumers", "routes",
                   "timeouts", "limits", "headers_with_underscores", "access_log", "log_level", "tls",
                   // forwarding_loader.cpp
                   "jwt", "trusted_proxies", "client_certificate_header", "responses",
                   // admin_loader.cpp
                   "admin",
                   // operations_loader.cpp
                   "inventory", "alerts"});
    apply_environment(root);
    if (auto n = root["workers"]) cfg_.workers = integer_or_env(n, "workers", 0, 1024);
    if (auto n = root["access_log"])
      cfg_.logging.access_log = access_log_target(scalar_or_env(n, "access_log"));
    if (auto n = root["log_level"]) cfg_.logging.level = log_level(n);
    cfg_.client_ca = ca_source(root, "client_ca_file", "client_ca");
    if (auto n = root["mtls"]) cfg_.mtls = mtls_settings(n, "mtls", /*route_level=*/false);
    if (auto n = root["timeouts"]) timeouts(n);
    if (auto n = root["limits"]) limits(n);
    if (auto n = root["headers_with_underscores"]) cfg_.headers_with_underscores = underscore_headers(n);
    if (auto n = root["tls"]) cfg_.tls = load_tls_settings(r_, n);
    if (auto n = root["responses"]) cfg_.responses = read_responses(r_, n, cfg_.responses);
    if (auto n = root["admin"]) cfg_.admin = load_admin_settings(r_, n);
    load_forwarding_settings(r_, root, cfg_);
    load_operations_settings(r_, root, cfg_);
    const auto listeners_node = root["listeners"];
    if (!listeners_node) throw ConfigError({r_.file(), 1}, "'listeners' is required");
    r_.expect_sequence(listeners_node, "listeners");
    if (listeners_node.size() == 0) r_.fail(listeners_node, "at least one listener is required");
    for (const auto& l : listeners_node)
      cfg_.listeners.push_back(listener(l));
    check_listener_addresses();
    // Consumers first, whatever their place in the file: routes refer to them.
    if (auto n = root["consumers"]) cfg_.consumers = read_consumers(r_, n);
    const auto routes_node = root["routes"];
    if (!routes_node) throw ConfigError({r_.file(), 1}, "'routes' is required");
    r_.expect_sequence(routes_node, "routes");
    for (const auto& rn : routes_node)
      cfg_.routes.push_back(route(rn));
    check_duplicate_routes();
    check_listener_protocols(cfg_);
    return std::move(cfg_);
  }

 private:
  // Environment overrides replace the YAML value; errors then name the variable instead of a line.
  void apply_environment(YAML::Node& root) {
    for (auto key : kScalarTopLevelKeys) {
      const auto name = env_name(key);
      if (const char* value = std::getenv(name.c_str())) {
        root[std::string(key)] = std::string(value);
        from_env_.insert(std::string(key));
      }
    }
  }

  SourceMark mark_for(const YAML::Node& n, std::string_view key) const {
    if (from_env_.count(std::string(key))) return {"environment " + env_name(key), 0};
    return r_.mark(n);
  }

  std::string scalar_or_env(const YAML::Node& n, std::string_view key) const {
    if (!n.IsScalar()) throw ConfigError(mark_for(n, key), std::string(key) + " must be a single value");
    return n.Scalar();
  }

  int integer_or_env(const YAML::Node& n, std::string_view key, int min, int max) const {
    try {
      return r_.integer(n, key, min, max);
    } catch (const ConfigError& e) {
      throw ConfigError(mark_for(n, key), e.reason());
    }
  }

  // stdout | stderr | off, or a file (relative to the config file's directory).
  std::string access_log_target(const std::string& value) const {
    if (value == "stdout" || value == "stderr" || value == "off" || value.empty())
      return value.empty() ? "off" : value;
    std::filesystem::path path(value);
    if (path.is_relative()) path = std::filesystem::path(r_.file()).parent_path() / path;
    return path.lexically_normal().string();
  }

  std::string log_level(const YAML::Node& n) const {
    auto level = scalar_or_env(n, "log_level");
    static const std::set<std::string> known = {"trace", "debug", "info", "warn", "error"};
    if (!known.count(level)) {
      throw ConfigError(mark_for(n, "log_level"), "log_level must be trace, debug, info, warn or error");
    }
    return level;
  }

  CaSource ca_source(const YAML::Node& parent, const char* file_key, const char* inline_key) {
    CaSource out;
    const auto f = parent[file_key];
    const auto i = parent[inline_key];
    if (f && i) r_.fail(i, std::string("set either ") + file_key + " or " + inline_key + ", not both");
    if (f) {
      out.mark = mark_for(f, file_key);
      try {
        out.file = r_.readable_file(f, file_key);
      } catch (const ConfigError& e) {
        throw ConfigError(out.mark, e.reason());
      }
    } else if (i) {
      out.mark = mark_for(i, inline_key);
      out.inline_pem = decode_inline_pem(i, inline_key, out.mark);
    }
    return out;
  }

  // Inline trust is base64 of a PEM bundle (as Pomerium's client_ca), or the PEM text itself.
  std::string decode_inline_pem(const YAML::Node& n, std::string_view key, const SourceMark& mark) const {
    auto text = scalar_or_env(n, key);
    if (text.find("-----BEGIN") != std::string::npos) return text;
    auto decoded = decode_base64(text);
    if (!decoded || decoded->find("-----BEGIN") == std::string::npos) {
      throw ConfigError(mark, std::string(key) + " must be base64-encoded PEM (or PEM text)");
    }
    return *decoded;
  }

  MtlsMode mtls_mode(const YAML::Node& n) const {
    const auto text = r_.scalar(n, "mtls.mode");
    if (text == "off") return MtlsMode::off;
    if (text == "optional") return MtlsMode::optional;
    if (text == "required") return MtlsMode::required;
    if (text == "reject_connection") return MtlsMode::reject_connection;
    r_.fail(n, "mtls.mode must be off, optional, required or reject_connection (got '" + text + "')");
  }

  MtlsSettings mtls_settings(const YAML::Node& n, std::string_view what, bool route_level) {
    if (route_level) {
      r_.expect_map(n, what,
                    {"mode", "max_verify_depth", "send_ca_names", "ca_file", "ca", "crl_file", "crl_scope",
                     "revocation", "allowed_signature_algorithms"});
    } else {
      r_.expect_map(n, what,
                    {"mode", "max_verify_depth", "send_ca_names", "crl_file", "crl_scope", "revocation",
                     "allowed_signature_algorithms"});
    }
    MtlsSettings s;
    if (auto m = n["mode"]) s.mode = mtls_mode(m);
    if (auto d = n["max_verify_depth"]) s.max_verify_depth = r_.integer(d, "max_verify_depth", 1, 16);
    if (auto c = n["send_ca_names"]) s.send_ca_names = r_.boolean(c, "send_ca_names");
    if (route_level) s.ca = ca_source(n, "ca_file", "ca");
    read_revocation_keys(r_, n, s);
    if (auto a = n["allowed_signature_algorithms"])
      s.allowed_signature_algorithms = read_signature_algorithms(r_, a);
    return s;
  }

  void timeouts(const YAML::Node& n) {
    r_.expect_map(n, "timeouts",
                  {"handshake", "idle", "request_header", "request_body", "upstream_connect",
                   "upstream_response", "upstream_header", "shutdown"});
    auto& t = cfg_.timeouts;
    if (auto v = n["handshake"]) t.handshake = positive_duration(v, "timeouts.handshake");
    if (auto v = n["idle"]) t.idle = positive_duration(v, "timeouts.idle");
    if (auto v = n["request_header"]) t.request_header = positive_duration(v, "timeouts.request_header");
    if (auto v = n["request_body"]) t.request_body = positive_duration(v, "timeouts.request_body");
    if (auto v = n["upstream_connect"])
      t.upstream_connect = positive_duration(v, "timeouts.upstream_connect");
    if (auto v = n["upstream_response"])
      t.upstream_response = positive_duration(v, "timeouts.upstream_response");
    if (auto v = n["upstream_header"]) t.upstream_header = positive_duration(v, "timeouts.upstream_header");
    if (auto v = n["shutdown"]) t.shutdown = r_.duration(v, "timeouts.shutdown");
  }

  Duration positive_duration(const YAML::Node& n, std::string_view what) const {
    auto d = r_.duration(n, what);
    if (d.count() <= 0) r_.fail(n, std::string(what) + " must be greater than zero");
    return d;
  }

  void limits(const YAML::Node& n) {
    r_.expect_map(n, "limits",
                  {"max_header_bytes", "max_headers", "max_request_body", "min_request_body_rate",
                   "max_connections", "max_handshaking_connections", "max_connections_per_ip",
                   "max_requests_per_connection", "max_connection_age"});
    if (auto v = n["max_header_bytes"]) {
      cfg_.limits.max_header_bytes = r_.size(v, "limits.max_header_bytes");
      if (cfg_.limits.max_header_bytes < 1024) r_.fail(v, "limits.max_header_bytes must be at least 1KiB");
    }
    if (auto v = n["max_headers"])
      cfg_.limits.max_headers = static_cast<std::size_t>(r_.integer(v, "limits.max_headers", 1, 100000));
    if (auto v = n["max_request_body"])
      cfg_.limits.max_request_body = r_.size(v, "limits.max_request_body", /*zero_allowed=*/true);
    if (auto v = n["min_request_body_rate"]) {
      cfg_.limits.min_request_body_rate = r_.size(v, "limits.min_request_body_rate", /*zero_allowed=*/true);
    }
    if (auto v = n["max_connections"]) {
      cfg_.limits.connection_caps_written = true;
      cfg_.limits.max_connections =
          static_cast<std::size_t>(r_.integer(v, "limits.max_connections", 1, 10000000));
    }
    connection_limits(n);
  }

  void connection_limits(const YAML::Node& n) {
    auto& l = cfg_.limits;
    if (auto v = n["max_handshaking_connections"]) {
      l.connection_caps_written = true;
      l.max_handshaking_connections =
          static_cast<std::size_t>(r_.integer(v, "limits.max_handshaking_connections", 1, 10000000));
    }
    if (auto v = n["max_connections_per_ip"])
      l.max_connections_per_ip =
          static_cast<std::size_t>(r_.integer(v, "limits.max_connections_per_ip", 0, 10000000));
    if (auto v = n["max_requests_per_connection"]) {
      l.max_requests_per_connection =
          static_cast<std::size_t>(r_.integer(v, "limits.max_requests_per_connection", 0, 1000000000));
    }
    if (auto v = n["max_connection_age"]) l.max_connection_age = r_.duration(v, "limits.max_connection_age");
  }

  UnderscoreHeaders underscore_headers(const YAML::Node& n) const {
    const auto text = r_.scalar(n, "headers_with_underscores");
    if (text == "drop") return UnderscoreHeaders::drop;
    if (text == "reject") return UnderscoreHeaders::reject;
    if (text == "allow") return UnderscoreHeaders::allow;
    r_.fail(n, "headers_with_underscores must be drop, reject or allow (got '" + text + "')");
  }

  Listener listener(const YAML::Node& n) {
    r_.expect_map(n, "a listener", {"address", "protocol", "certificates", "default_host"});
    Listener l;
    l.mark = r_.mark(n);
    const auto addr = n["address"];
    if (!addr) r_.fail(n, "a listener needs 'address' (host:port)");
    l.address = r_.scalar(addr, "address");
    if (!split_host_port(l.address, l.host, l.port)) {
      r_.fail(addr, "listener address must be host:port (got '" + l.address + "')");
    }
    if (auto p = n["protocol"]) {
      const auto text = r_.scalar(p, "protocol");
      if (text == "tls") {
        l.protocol = ListenerProtocol::tls;
      } else if (text != "https") {
        r_.fail(p, "listener protocol must be https or tls (got '" + text + "')");
      }
    }
    if (auto d = n["default_host"]) l.default_host = ascii_lower(r_.scalar(d, "default_host"));
    const auto certs = n["certificates"];
    if (!certs) r_.fail(n, "a listener needs 'certificates'");
    r_.expect_sequence(certs, "certificates");
    if (certs.size() == 0) r_.fail(certs, "a listener needs at least one certificate");
    for (const auto& c : certs) {
      r_.expect_map(c, "a certificate", {"cert_file", "key_file"});
      if (!c["cert_file"] || !c["key_file"]) r_.fail(c, "a certificate needs cert_file and key_file");
      CertificateKeyPair pair;
      pair.cert_mark = r_.mark(c["cert_file"]);
      pair.key_mark = r_.mark(c["key_file"]);
      pair.cert_file = r_.readable_file(c["cert_file"], "cert_file");
      pair.key_file = r_.readable_file(c["key_file"], "key_file");
      l.certificates.push_back(std::move(pair));
    }
    return l;
  }

  void check_listener_addresses() const {
    std::set<std::string> seen;
    for (const auto& l : cfg_.listeners) {
      if (!seen.insert(l.host + ":" + std::to_string(l.port)).second) {
        throw ConfigError(l.mark, "listener address " + l.address + " is used twice");
      }
    }
  }

  // Pomerium's keys for TLS to the upstream; they apply to https:// upstreams only.
  void load_upstream_tls(const YAML::Node& n, Route& route) {
    static constexpr std::string_view kKeys[] = {"tls_custom_ca_file", "tls_upstream_server_name",
                                                 "tls_skip_verify", "tls_client_cert_file",
                                                 "tls_client_key_file"};
    if (!route.to.tls) {
      for (auto key : kKeys) {
        if (auto v = n[std::string(key)])
          r_.fail(v, std::string(key) + " applies to https:// upstreams only");
      }
      return;
    }
    auto& tls = route.upstream_tls;
    tls.mark = r_.mark(n);
    if (auto v = n["tls_custom_ca_file"]) tls.custom_ca_file = r_.readable_file(v, "tls_custom_ca_file");
    if (auto v = n["tls_upstream_server_name"]) tls.server_name = r_.scalar(v, "tls_upstream_server_name");
    if (auto v = n["tls_skip_verify"]) tls.skip_verify = r_.boolean(v, "tls_skip_verify");
    if (auto v = n["tls_client_cert_file"])
      tls.client_cert_file = r_.readable_file(v, "tls_client_cert_file");
    if (auto v = n["tls_client_key_file"]) tls.client_key_file = r_.readable_file(v, "tls_client_key_file");
    if (tls.client_cert_file.empty() != tls.client_key_file.empty())
      r_.fail(n, "tls_client_cert_file and tls_client_key_file go together");
  }

  std::optional<Duration> optional_duration(const YAML::Node& n, const char* key) const {
    const auto v = n[key];
    if (!v) return std::nullopt;
    const auto d = r_.duration(v, key);
    if (d.count() <= 0) r_.fail(v, std::string(key) + " must be greater than zero");
    return d;
  }

  // set_request_headers: static headers for the upstream (the gateway's own names are refused when the
  // generation is compiled, runtime/runtime.cpp, where the header rules are known).
  std::vector<HeaderToSet> request_headers_to_set(const YAML::Node& n) const {
    if (!n.IsMap()) r_.fail(n, "set_request_headers must be a map of header names to values");
    std::vector<HeaderToSet> out;
    for (const auto& item : n) {
      HeaderToSet h{r_.scalar(item.first, "a header name"), r_.scalar(item.second, "a header value"),
                    r_.mark(item.first)};
      const bool token =
          !h.name.empty() && h.name.find_first_not_of(
                                 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                 "!#$%&'*+-.^_`|~") == std::string::npos;
      if (!token) r_.fail(item.first, "'" + h.name + "' is not a valid header name");
      if (h.value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
        r_.fail(item.second, "a header value cannot hold line breaks or NUL");
      out.push_back(std::move(h));
    }
    return out;
  }

  Route route(const YAML::Node& n) {
    r_.expect_map(n, "a route",
                  {"from", "to", "mtls", "headers", "preserve_host", "allow_websockets", "max_request_body",
                   "identity", "policy", kTcpRouteKeys[0], "idle_timeout", "timeout", "set_request_headers",
                   "preserve_host_header", "tls_custom_ca_file", "tls_upstream_server_name",
                   "tls_skip_verify", "tls_client_cert_file", "tls_client_key_file",
                   // kBalancingKeys (config/upstream_loader.h)
                   "lb_policy", "passive_health", "health_check", "dns_refresh", "responses"});
    Route route;
    route.mark = r_.mark(n);
    const auto from = n["from"];
    const auto to = n["to"];
    if (!from) r_.fail(n, "a route needs 'from'");
    if (!to) r_.fail(n, "a route needs 'to'");
    route.from = r_.scalar(from, "from");
    std::string reason;
    auto f = parse_from_url(route.from, reason);
    if (!f) r_.fail(from, reason);
    route.host = f->host;
    route.path_prefix = f->path_prefix;
    route.port = f->port;
    load_upstreams(r_, n, route);
    load_tcp_route_options(r_, n, route);
    load_upstream_tls(n, route);
    if (auto p = n["preserve_host"]) route.preserve_host = r_.boolean(p, "preserve_host");
    if (auto p = n["preserve_host_header"]) {  // Pomerium's name for the same switch
      if (n["preserve_host"])
        r_.fail(p, "preserve_host_header and preserve_host are the same switch: write one");
      route.preserve_host = r_.boolean(p, "preserve_host_header");
    }
    route.timeout = optional_duration(n, "timeout");
    route.idle_timeout = optional_duration(n, "idle_timeout");
    if (auto h = n["set_request_headers"]) route.set_request_headers = request_headers_to_set(h);
    route.responses = cfg_.responses;
    if (auto r = n["responses"]) route.responses = read_responses(r_, r, cfg_.responses);
    if (auto w = n["allow_websockets"]) route.allow_websockets = r_.boolean(w, "allow_websockets");
    route.max_request_body = cfg_.limits.max_request_body;
    if (auto b = n["max_request_body"]) route.max_request_body = r_.size(b, "max_request_body", true);
    if (auto m = n["mtls"]) route.mtls_overrides = mtls_settings(m, "a route's mtls", /*route_level=*/true);
    if (auto h = n["headers"]) route.headers = load_route_headers(r_, h, cfg_);
    route.mtls = effective_mtls(route.mtls_overrides);
    if (route.mtls.mode != MtlsMode::off && route.mtls.ca.empty()) {
      r_.fail(n,
              "route " + route.from +
                  " uses mTLS but has no trust bundle: set client_ca_file (global) or mtls.ca_file (route)");
    }
    if (auto i = n["identity"]) route.identity = read_identity(r_, i, route, cfg_.consumers);
    if (auto p = n["policy"]) route.policy = read_policy(r_, p, route, cfg_.consumers);
    return route;
  }

  EffectiveMtls effective_mtls(const MtlsSettings& route) const {
    EffectiveMtls e;
    e.mode = route.mode.value_or(cfg_.mtls.mode.value_or(e.mode));
    e.max_verify_depth =
        route.max_verify_depth.value_or(cfg_.mtls.max_verify_depth.value_or(e.max_verify_depth));
    e.send_ca_names = route.send_ca_names.value_or(cfg_.mtls.send_ca_names.value_or(e.send_ca_names));
    e.ca = route.ca.empty() ? cfg_.client_ca : route.ca;
    merge_revocation(route, cfg_.mtls, e);
    e.allowed_signature_algorithms = route.allowed_signature_algorithms.value_or(
        cfg_.mtls.allowed_signature_algorithms.value_or(std::vector<int>{}));
    return e;
  }

  void check_duplicate_routes() const {
    std::map<std::string, const Route*> seen;
    for (const auto& r : cfg_.routes) {
      const auto key = r.host + (r.port ? ":" + std::to_string(*r.port) : "") + r.path_prefix;
      auto [it, inserted] = seen.emplace(key, &r);
      if (!inserted) {
        throw ConfigError(r.mark, "route " + r.from + " duplicates the route at line " +
                                      std::to_string(it->second->mark.line));
      }
    }
  }

  YamlReader r_;
  Config cfg_;
  std::set<std::string> from_env_;
};

}  // namespace

Config load_config_text(const std::string& text, const std::string& file) {
  check_yaml_text(text, file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError({file, e.mark.is_null() ? 0 : e.mark.line + 1}, "invalid YAML: " + e.msg);
  }
  return Loader(file).load(root);
}

Config load_config_file(const std::string& path) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  const std::string file = ec ? path : absolute.lexically_normal().string();
  std::ifstream in(file);
  if (!in) throw ConfigError({file, 0}, "cannot read the config file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_config_text(buffer.str(), file);
}

std::string to_string(MtlsMode mode) {
  switch (mode) {
    case MtlsMode::off:
      return "off";
    case MtlsMode::optional:
      return "optional";
    case MtlsMode::required:
      return "required";
    case MtlsMode::reject_connection:
      return "reject_connection";
  }
  return "?";
}

}  // namespace certgate::config
