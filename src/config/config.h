// The validated configuration, as plain data. Loading and checking live in loader.cpp; turning it into
// live objects (trust stores, TLS contexts, routing tables) lives in server/runtime.cpp.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/refusal_kind.h"
#include "config/http_url.h"

namespace re2 {
class RE2;
}

namespace certgate::config {

using Duration = std::chrono::milliseconds;

// Where a value came from, so that later checks can still say "file:line: reason".
struct SourceMark {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown (defaults, environment)
};

enum class MtlsMode { off, optional, required, reject_connection };

// `responses:` (global, and per route over the global one): the status each refusal kind answers with.
struct Responses {
  std::array<unsigned, 4> status{};  // indexed by RefusalKind; 0: the built-in status

  // The configured status of `kind`, else `builtin` (also for RefusalKind::none).
  unsigned status_for(RefusalKind kind, unsigned builtin) const {
    const unsigned configured = status[static_cast<std::size_t>(kind)];
    return kind == RefusalKind::none || configured == 0 ? builtin : configured;
  }
};

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
  std::optional<std::vector<int>> allowed_signature_algorithms;  // OpenSSL NIDs
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
  // The signature algorithms (OpenSSL NIDs) every certificate of the path but the trust anchor must be
  // signed with; empty: any that OpenSSL's security level accepts.
  std::vector<int> allowed_signature_algorithms;
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
  bool tls = false;  // https://
  std::string host;
  uint16_t port = 0;
  std::string base_path;  // "" or "/base" (no trailing slash)
  std::string text;       // as written, for logs
};

// How a route with several upstream endpoints (a list in `to`, or a name with several addresses) picks one.
enum class LbPolicy { round_robin, least_request, random };

// Active health checks (`health_check`): a GET of `path` to every endpoint each `interval`; a 2xx within
// `timeout` is a success. `unhealthy` failures in a row mark the endpoint down, `healthy` successes up.
struct HealthCheck {
  std::string path;
  Duration interval = std::chrono::seconds(5);
  Duration timeout = std::chrono::seconds(2);
  int healthy = 2;
  int unhealthy = 3;
};

// The upstreams of an http:// or https:// route and how requests are spread over them (docs/configuration.md,
// "Several upstreams").
struct UpstreamBalancing {
  std::vector<Upstream> targets;  // every entry of `to` (one for the single-string form), one scheme
  LbPolicy policy = LbPolicy::round_robin;
  // Passive health: an endpoint that refuses a connection or does not accept it in time is skipped this
  // long (passive_health.eject_for; 0: never skipped, only the next one tried).
  Duration eject_for = std::chrono::seconds(10);
  std::optional<HealthCheck> health_check;
  Duration dns_refresh = std::chrono::seconds(30);  // host names are resolved again this often
};

// Envoy's forward_client_cert_details modes (docs/forwarding.md).
enum class XfccMode { sanitize, forward_only, append_forward, sanitize_set };

// Which keys certgate's own X-Forwarded-Client-Cert element carries; By and Hash are always there
// (as Envoy's set_current_client_cert_details).
struct XfccSettings {
  XfccMode mode = XfccMode::sanitize_set;
  bool cert = true;
  bool chain = false;
  bool subject = true;
  bool uri = true;
  bool dns = true;
};

// --- consumers and identity (docs/identity-and-policy.md) ------------------------------------------------

// A manual mapping: a certificate whose subject name (a SAN value or the CN) is `subject_name` belongs to the
// consumer; with `ca`, only when that CA is in the certificate's verified chain.
struct Credential {
  std::string subject_name;
  CaSource ca;  // the credential's ca_file, or empty: any CA the route trusts
  SourceMark mark;
};

struct Consumer {
  std::string id;  // a UUID: as given, or derived from the username (UUIDv5, see consumer_uuid)
  std::string username;
  std::string email;
  std::string custom_id;
  std::vector<std::string> groups;
  std::string groups_header;  // the groups joined by ", " (X-Consumer-Groups)
  std::vector<Credential> credentials;
  SourceMark mark;
};

enum class CertificateAttribute { none, subject, common_name, email, san_dns, san_uri };
enum class ConsumerAttribute { username, email, custom_id };
enum class GroupBy { common_name, distinguished_name };

// A route's `identity` block: how a verified certificate maps to a consumer.
struct IdentitySettings {
  CertificateAttribute certificate_attribute = CertificateAttribute::common_name;
  ConsumerAttribute consumer_attribute = ConsumerAttribute::username;
  std::optional<std::size_t> anonymous;         // index into Config::consumers
  std::optional<std::size_t> default_consumer;  // index into Config::consumers
  bool skip_consumer_lookup = false;
  GroupBy authenticated_group_by = GroupBy::common_name;
  SourceMark mark;
};

// --- policy (docs/identity-and-policy.md) ------------------------------------------------------------------

enum class PolicyField : uint8_t {
  valid_certificate,
  common_name,
  subject,
  issuer,
  email,
  domain,
  san_email,
  san_dns,
  san_uri,
  san_ip,
  fingerprint,
  spki_hash,
  consumer,
  group,
};

enum class MatchKind : uint8_t { is, starts_with, ends_with, contains, in, regex };

struct StringMatcher {
  MatchKind kind = MatchKind::is;
  std::string value;                      // is, starts_with, ends_with, contains; regex: its source
  std::vector<std::string> values;        // in
  std::shared_ptr<const re2::RE2> regex;  // compiled at load time; matches the whole value
};

// A node of a policy rule: a criterion, or a logical operator over a list of nodes. The operators mean what
// they mean in Pomerium: and = all match, or = any matches, not = none matches, nor = not all match.
struct PolicyCondition {
  enum class Kind : uint8_t { criterion, all_of, any_of, none_of, not_all_of };
  Kind kind = Kind::criterion;
  PolicyField field = PolicyField::valid_certificate;
  bool expected = true;                   // valid_certificate
  std::vector<StringMatcher> matchers;    // one attribute value must satisfy all of them
  std::vector<PolicyCondition> children;  // operators
  SourceMark mark;
};

enum class PolicyAction : uint8_t { allow, deny };

struct PolicyRule {
  PolicyAction action = PolicyAction::allow;
  std::size_t index = 0;  // the item's position in the route's policy list (0-based)
  PolicyCondition condition;
  SourceMark mark;
};

struct RouteHeaders {
  bool identity = true;  // certificate and identity headers to the upstream
  // headers.client_cert: the certificate itself, in the formats other gateways use.
  bool escaped_pem = false;                          // nginx $ssl_client_escaped_cert
  std::string escaped_pem_header = "X-Client-Cert";  // authentik's nginx setup uses ssl-client-cert
  bool cloudflare = false;                           // Cf-Client-Cert-Der-Base64 + Cf-Client-Cert-Sha256
  std::optional<XfccSettings> xfcc;                  // X-Forwarded-Client-Cert
  bool jwt_assertion = false;                        // X-Certgate-Jwt-Assertion
  Duration jwt_ttl = std::chrono::minutes(5);
};

// The signing key and claims of X-Certgate-Jwt-Assertion (top-level `jwt` block).
struct JwtSettings {
  bool configured = false;       // the block is present (the JWKS is then served even without routes)
  std::string signing_key_file;  // EC P-256 PEM; empty: a key generated at start
  SourceMark signing_key_mark;
  std::string issuer;  // empty: https://<request host>[:port]
  Duration ttl = std::chrono::minutes(5);
};

// An address block from `trusted_proxies`, IPv4 stored IPv4-mapped so that one comparison fits both.
struct AddressBlock {
  std::array<unsigned char, 16> address{};
  int prefix_bits = 128;  // of the 128-bit (mapped) address
  std::string text;       // as written
};

enum class CertificateHeaderFormat { escaped_pem, base64_der, xfcc };

// Trusted-header input: the header a TLS-terminating load balancer puts the client certificate in.
struct ClientCertificateHeader {
  std::string name;
  CertificateHeaderFormat format = CertificateHeaderFormat::escaped_pem;
};

enum class ProxyProtocol { none, v2 };

// Options of a route to a tcp:// upstream (served by a `protocol: tls` listener).
struct TcpRouteOptions {
  ProxyProtocol proxy_protocol = ProxyProtocol::none;
};

// One of a route's set_request_headers.
struct HeaderToSet {
  std::string name;
  std::string value;
  SourceMark mark;
};

// TLS towards an https:// upstream (Pomerium's key names).
struct UpstreamTls {
  std::string custom_ca_file;    // tls_custom_ca_file; empty: the system trust store
  std::string server_name;       // tls_upstream_server_name; empty: the upstream's host
  bool skip_verify = false;      // tls_skip_verify: only when written
  std::string client_cert_file;  // tls_client_cert_file: certgate's certificate towards the upstream
  std::string client_key_file;   // tls_client_key_file
  SourceMark mark;               // the route's, for errors found when the files are read
};

struct Route {
  std::string from;              // as written
  std::string host;              // lowercased, no port
  std::string path_prefix;       // "/" at least
  std::optional<uint16_t> port;  // only listeners on this port serve the route
  Upstream to;                   // the first (or only) upstream; its scheme and base path are the route's
  UpstreamBalancing upstreams;   // http:// and https:// routes: all of `to`
  bool preserve_host = false;
  bool allow_websockets = false;  // WebSocket upgrades are authorized like any request, then tunnelled
  MtlsSettings mtls_overrides;
  EffectiveMtls mtls;  // resolved at load time
  RouteHeaders headers;
  std::optional<IdentitySettings> identity;  // no block: no consumer lookup
  std::vector<PolicyRule> policy;            // empty: see docs/identity-and-policy.md (implicit policy)
  TcpRouteOptions tcp;
  // Envoy's and Pomerium's route timeouts: `timeout` bounds a request from the moment it goes upstream to
  // the end of its response; `idle_timeout` replaces timeouts.idle for the route's requests, WebSocket
  // tunnels and tcp:// streams. Unset: no route timeout, timeouts.idle.
  std::optional<Duration> timeout;
  std::optional<Duration> idle_timeout;
  std::vector<HeaderToSet> set_request_headers;  // set on every upstream request
  Responses responses;                           // the global `responses:` with the route's over it
  UpstreamTls upstream_tls;                      // for https:// upstreams
  std::size_t max_request_body = 0;  // the route's max_request_body, else limits.max_request_body; 0: none
  SourceMark mark;
};

struct Timeouts {
  Duration handshake = std::chrono::seconds(10);
  Duration idle = std::chrono::seconds(60);
  Duration request_header = std::chrono::seconds(30);
  // The request body's initial allowance; each limits.min_request_body_rate bytes received add a second
  // (Apache's mod_reqtimeout "body=20,MinRate=500"), so a body cannot be dripped to hold a connection.
  Duration request_body = std::chrono::seconds(20);
  Duration upstream_connect = std::chrono::seconds(5);
  Duration upstream_response = std::chrono::seconds(60);
  // The whole upstream response header, from the moment the request was sent: an upstream that drips
  // its header cannot stretch the wait (upstream_response only bounds the pause between two reads).
  Duration upstream_header = std::chrono::seconds(60);
  Duration shutdown = std::chrono::seconds(30);
};

struct Limits {
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_headers = 100;     // header fields in one request (-> 431)
  std::size_t max_request_body = 0;  // bytes; 0: unlimited (a route can set its own)
  // Bytes per second a request body must keep up, see Timeouts::request_body; 0: no body deadline.
  std::size_t min_request_body_rate = 500;
  // Per process, connections past their TLS handshake; those still in it count against
  // max_handshaking_connections instead, so idle pre-TLS sockets cannot lock established clients out.
  std::size_t max_connections = 100000;
  // Per process; at the cap the oldest handshake is closed to admit the new connection.
  std::size_t max_handshaking_connections = 1024;
  std::size_t max_connections_per_ip = 0;       // per process; 0: no limit
  std::size_t max_requests_per_connection = 0;  // 0: no limit; the last response says Connection: close
  Duration max_connection_age{0};               // 0: no limit; older keep-alive connections close
  // True when the config wrote max_connections or max_handshaking_connections: lowering a cap the
  // operator chose to fit the fd limit is a warning, lowering the defaults only an info line.
  bool connection_caps_written = false;
};

// What happens to request header names containing '_' (headers_with_underscores). CGI, WSGI, Rack and
// PHP upstreams read '_' and '-' as the same character, so such a name can pose as another header.
enum class UnderscoreHeaders { drop, reject, allow };

struct Logging {
  std::string access_log = "stdout";  // stdout | stderr | off | a file path
  std::string level = "info";         // trace | debug | info | warn | error
};

// The top-level `tls` block: session resumption (docs/tls.md).
// How resumed TLS sessions are found again (docs/tls.md): a process-wide in-memory cache (the default),
// stateless tickets (for several nodes sharing ticket keys), or not at all.
enum class SessionResumption { cache, tickets, off };

struct TlsSettings {
  SessionResumption session_resumption = SessionResumption::cache;
  std::size_t session_cache_size = 4096;              // cache: sessions kept (least recently stored go first)
  Duration session_lifetime = std::chrono::hours(1);  // cache: how long a session can be resumed
  // tickets: how often generated ticket keys rotate; also the ticket lifetime.
  Duration ticket_key_rotation = std::chrono::hours(1);
  std::string ticket_keys_file;  // resolved path; empty: keys are generated and rotated in memory
  SourceMark ticket_keys_mark;
};

// The `admin` block (docs/operations.md): a separate listener for metrics, status and reload. Off when
// the block is absent. Every request needs the bearer token, a client certificate from the admin CA, or
// both when both are configured.
struct AdminSettings {
  bool enabled = false;
  std::string address;  // host:port as written
  std::string host;
  uint16_t port = 0;
  std::string token_file;      // absolute; empty: no token
  std::string token;           // the file's content without surrounding whitespace
  std::string client_ca_file;  // absolute; set: the listener speaks TLS and wants a client certificate
  std::string cert_file;       // the admin listener's own certificate (required with client_ca_file)
  std::string key_file;
  SourceMark mark;
};

// `inventory`: the client-certificate inventory (docs/operations.md, "Client inventory").
struct InventorySettings {
  std::size_t max_entries = 100000;  // distinct client certificates kept (LRU); 0: no inventory
};

// `alerts`: certificate expiry alerts (docs/operations.md, "Expiry alerts"). The log lines need no
// settings; the webhook is optional.
struct AlertSettings {
  std::optional<HttpUrl> webhook_url;  // http:// or https://
  std::string webhook_ca_file;         // trust for an https webhook; empty: the system trust store
  Duration webhook_timeout{5000};      // one POST, connect included
  SourceMark mark;                     // of the `alerts` block, for errors found when files are read
};

struct Config {
  std::string file;  // the config file, absolute
  int workers = 0;   // 0: number of cores
  std::vector<Listener> listeners;
  CaSource client_ca;  // global trust
  MtlsSettings mtls;   // global defaults
  std::vector<Consumer> consumers;
  std::vector<Route> routes;
  Timeouts timeouts;
  Limits limits;
  UnderscoreHeaders headers_with_underscores = UnderscoreHeaders::drop;
  Logging logging;
  JwtSettings jwt;
  std::vector<AddressBlock> trusted_proxies;
  std::optional<ClientCertificateHeader> client_certificate_header;
  TlsSettings tls;
  Responses responses;
  AdminSettings admin;
  InventorySettings inventory;
  AlertSettings alerts;
};

}  // namespace certgate::config
