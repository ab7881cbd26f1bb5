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

// Which certificates of a verified path are checked for revocation: the client's own, or every one but
// the trust anchor.
enum class CrlScope { leaf, chain };

// What an answer other than "good" means (docs/revocation.md):
//   skip             no revocation checking at all;
//   ignore_ca_error  revoked rejects; unknown or unreachable passes with a warning (Kong's default);
//   strict           anything but a positive "good" rejects.
enum class RevocationMode { skip, ignore_ca_error, strict };

// `mtls.revocation` as written, global or per route; an unset key inherits.
struct RevocationOverrides {
  std::optional<RevocationMode> mode;
  std::optional<bool> ocsp;
  std::optional<bool> crl_distribution_points;
  std::optional<std::string> ocsp_responder;  // "" turns an inherited override off
  std::optional<Duration> cache_ttl;
  std::optional<Duration> timeout;
  std::optional<std::size_t> max_crl_size;
};

struct RevocationSettings {
  RevocationMode mode = RevocationMode::ignore_ca_error;
  bool ocsp = false;
  bool crl_distribution_points = false;
  std::string ocsp_responder;  // http:// URL used instead of the certificate's AIA OCSP URL; "" = AIA
  Duration cache_ttl = std::chrono::hours(1);
  Duration timeout = std::chrono::seconds(5);
  std::size_t max_crl_size = 10 * 1024 * 1024;  // also bounds an OCSP response
};

// A CRL file as written (`mtls.crl_file`); empty `file`: none.
struct CrlFileSource {
  std::string file;  // resolved absolute path
  SourceMark mark;
};

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
  std::optional<CrlFileSource> crl_file;
  std::optional<CrlScope> crl_scope;
  RevocationOverrides revocation;
};

// The global block with defaults applied, merged with a route's overrides.
struct EffectiveMtls {
  MtlsMode mode = MtlsMode::required;
  int max_verify_depth = 1;  // 1: leaf issued directly by a trust anchor (Pomerium / nginx semantics)
  bool send_ca_names = false;
  CaSource ca;
  CrlFileSource crl_file;
  CrlScope crl_scope = CrlScope::leaf;
  RevocationSettings revocation;
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
};

}  // namespace certgate::config
