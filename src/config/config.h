// The validated configuration, as plain data. Loading and checking live in loader.cpp; turning it into
// live objects (trust stores, TLS contexts, routing tables) lives in server/runtime.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace certgate::config {

using Duration = std::chrono::milliseconds;

// Where a value came from, so that later checks can still say "file:line: reason".
struct SourceMark {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown (defaults, environment)
};

enum class MtlsMode { off, optional, required, reject_connection };

// A trust bundle as written in the config: a file or inline (base64 or plain) PEM.
struct CaSource {
  std::string file;        // resolved absolute path, or empty
  std::string inline_pem;  // decoded PEM text, or empty
  SourceMark mark;
  bool empty() const { return file.empty() && inline_pem.empty(); }
};

// Every key of the global `mtls` block; a route's block overrides key by key.
struct MtlsSettings {
  std::optional<MtlsMode> mode;
  std::optional<int> max_verify_depth;
  std::optional<bool> send_ca_names;
  CaSource ca;  // route-level `ca_file` / `ca` (the global one is `client_ca_file` / `client_ca`)
};

// The global block with defaults applied, merged with a route's overrides.
struct EffectiveMtls {
  MtlsMode mode = MtlsMode::required;
  int max_verify_depth = 1;  // 1: leaf issued directly by a trust anchor (Pomerium / nginx semantics)
  bool send_ca_names = false;
  CaSource ca;
};

struct CertificateKeyPair {
  std::string cert_file;
  std::string key_file;
  SourceMark cert_mark;  // the cert_file line
  SourceMark key_mark;   // the key_file line
};

enum class ListenerProtocol { https, tls };

struct Listener {
  std::string address;  // host:port as written
  std::string host;
  uint16_t port = 0;
  ListenerProtocol protocol = ListenerProtocol::https;
  std::vector<CertificateKeyPair> certificates;
  std::string default_host;  // the host profile used when a client sends no SNI (empty: see docs)
  SourceMark mark;
};

enum class UpstreamKind { http, echo, tcp };

struct Upstream {
  UpstreamKind kind = UpstreamKind::http;
  std::string host;
  uint16_t port = 0;
  std::string base_path;  // "" or "/base" (no trailing slash)
  std::string text;       // as written, for logs
};

struct RouteHeaders {
  bool identity = true;  // certificate and identity headers to the upstream
};

enum class ProxyProtocol { none, v2 };

// Options of a route to a tcp:// upstream (served by a `protocol: tls` listener).
struct TcpRouteOptions {
  ProxyProtocol proxy_protocol = ProxyProtocol::none;
  std::optional<Duration> idle_timeout;  // unset: timeouts.idle
};

struct Route {
  std::string from;              // as written
  std::string host;              // lowercased, no port
  std::string path_prefix;       // "/" at least
  std::optional<uint16_t> port;  // only listeners on this port serve the route
  Upstream to;
  bool preserve_host = false;
  MtlsSettings mtls_overrides;
  EffectiveMtls mtls;  // resolved at load time
  RouteHeaders headers;
  TcpRouteOptions tcp;
  SourceMark mark;
};

struct Timeouts {
  Duration handshake = std::chrono::seconds(10);
  Duration idle = std::chrono::seconds(60);
  Duration request_header = std::chrono::seconds(30);
  Duration upstream_connect = std::chrono::seconds(5);
  Duration upstream_response = std::chrono::seconds(60);
  Duration shutdown = std::chrono::seconds(30);
};

struct Limits {
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_connections = 100000;  // per process
};

struct Logging {
  std::string access_log = "stdout";  // stdout | stderr | off | a file path
  std::string level = "info";         // trace | debug | info | warn | error
};

// The top-level `tls` block: session resumption (docs/tls.md).
struct TlsSettings {
  bool session_tickets = true;
  // How often generated ticket keys rotate; also the ticket lifetime.
  Duration ticket_key_rotation = std::chrono::hours(1);
  std::string ticket_keys_file;  // resolved path; empty: keys are generated and rotated in memory
  SourceMark ticket_keys_mark;
};

struct Config {
  std::string file;  // the config file, absolute
  int workers = 0;   // 0: number of cores
  std::vector<Listener> listeners;
  CaSource client_ca;  // global trust
  MtlsSettings mtls;   // global defaults
  std::vector<Route> routes;
  Timeouts timeouts;
  Limits limits;
  Logging logging;
  TlsSettings tls;
};

}  // namespace certgate::config
