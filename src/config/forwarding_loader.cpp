#include "config/forwarding_loader.h"

#include <boost/beast/core/string.hpp>

#include "config/address_block.h"

namespace certgate::config {
namespace {

// A header name certgate may set or read: an RFC 9110 token, and none of the names whose meaning
// the gateway itself depends on.
void check_header_name(const YamlReader& r, const YAML::Node& n, const std::string& name,
                       std::string_view what) {
  static constexpr std::string_view kTchar = "!#$%&'*+-.^_`|~";
  if (name.empty()) r.fail(n, std::string(what) + " must not be empty");
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && kTchar.find(c) == std::string_view::npos)
      r.fail(n, std::string(what) + " '" + name + "' is not a valid header name");
  }
  static constexpr std::string_view kReserved[] = {"host",
                                                   "content-length",
                                                   "transfer-encoding",
                                                   "connection",
                                                   "keep-alive",
                                                   "te",
                                                   "trailer",
                                                   "upgrade",
                                                   "proxy-connection",
                                                   "expect",
                                                   "x-forwarded-for",
                                                   "x-forwarded-proto",
                                                   "x-forwarded-host"};
  for (auto reserved : kReserved) {
    if (boost::beast::iequals(name, reserved))
      r.fail(n, std::string(what) + " cannot be " + name + ": the gateway sets that header itself");
  }
}

// JWT lifetimes are whole seconds (iat and exp are).
Duration token_lifetime(const YamlReader& r, const YAML::Node& n, std::string_view what) {
  const auto d = r.duration(n, what);
  if (d < std::chrono::seconds(1)) r.fail(n, std::string(what) + " must be at least 1s");
  return d;
}

XfccMode xfcc_mode(const YamlReader& r, const YAML::Node& n) {
  const auto text = r.scalar(n, "headers.xfcc.mode");
  if (text == "sanitize") return XfccMode::sanitize;
  if (text == "forward_only") return XfccMode::forward_only;
  if (text == "append_forward") return XfccMode::append_forward;
  if (text == "sanitize_set") return XfccMode::sanitize_set;
  r.fail(n, "headers.xfcc.mode must be sanitize, forward_only, append_forward or sanitize_set (got '" + text +
                "')");
}

XfccSettings xfcc_settings(const YamlReader& r, const YAML::Node& n) {
  r.expect_map(n, "headers.xfcc", {"mode", "details"});
  XfccSettings s;
  if (auto m = n["mode"]) s.mode = xfcc_mode(r, m);
  if (auto d = n["details"]) {
    r.expect_sequence(d, "headers.xfcc.details");
    s.cert = s.chain = s.subject = s.uri = s.dns = false;
    for (const auto& item : d) {
      const auto text = r.scalar(item, "an xfcc detail");
      if (text == "cert") {
        s.cert = true;
      } else if (text == "chain") {
        s.chain = true;
      } else if (text == "subject") {
        s.subject = true;
      } else if (text == "uri") {
        s.uri = true;
      } else if (text == "dns") {
        s.dns = true;
      } else {
        r.fail(item,
               "headers.xfcc.details entries are cert, chain, subject, uri or dns (got '" + text + "')");
      }
    }
  }
  return s;
}

void client_cert_formats(const YamlReader& r, const YAML::Node& n, RouteHeaders& h) {
  r.expect_sequence(n, "headers.client_cert");
  for (const auto& item : n) {
    const auto text = r.scalar(item, "a client_cert format");
    if (text == "escaped_pem") {
      h.escaped_pem = true;
    } else if (text == "cloudflare") {
      h.cloudflare = true;
    } else if (text == "xfcc") {
      h.xfcc = XfccSettings{};
    } else {
      r.fail(item, "headers.client_cert entries are escaped_pem, cloudflare or xfcc (got '" + text + "')");
    }
  }
}

void jwt_settings(const YamlReader& r, const YAML::Node& n, JwtSettings& jwt) {
  r.expect_map(n, "jwt", {"signing_key_file", "issuer", "ttl"});
  jwt.configured = true;
  if (auto k = n["signing_key_file"]) {
    jwt.signing_key_mark = r.mark(k);
    jwt.signing_key_file = r.readable_file(k, "jwt.signing_key_file");
  }
  if (auto i = n["issuer"]) {
    jwt.issuer = r.scalar(i, "jwt.issuer");
    if (jwt.issuer.empty()) r.fail(i, "jwt.issuer must not be empty (leave it out for the default)");
  }
  if (auto t = n["ttl"]) jwt.ttl = token_lifetime(r, t, "jwt.ttl");
}

std::vector<AddressBlock> trusted_proxies(const YamlReader& r, const YAML::Node& n) {
  if (n.IsScalar()) r.fail(n, "trusted_proxies must be a list of addresses or CIDR blocks");
  r.expect_sequence(n, "trusted_proxies");
  std::vector<AddressBlock> out;
  for (const auto& item : n) {
    const auto text = r.scalar(item, "a trusted_proxies entry");
    auto block = parse_address_block(text);
    if (!block) {
      r.fail(item, "trusted_proxies entry '" + text +
                       "' is not an address or CIDR block (like 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32)");
    }
    out.push_back(std::move(*block));
  }
  return out;
}

ClientCertificateHeader client_certificate_header(const YamlReader& r, const YAML::Node& n) {
  r.expect_map(n, "client_certificate_header", {"name", "format"});
  ClientCertificateHeader h;
  const auto name = n["name"];
  if (!name) r.fail(n, "client_certificate_header needs 'name' (the header the load balancer sets)");
  h.name = r.scalar(name, "client_certificate_header.name");
  check_header_name(r, name, h.name, "client_certificate_header.name");
  if (auto f = n["format"]) {
    const auto text = r.scalar(f, "client_certificate_header.format");
    if (text == "escaped_pem") {
      h.format = CertificateHeaderFormat::escaped_pem;
    } else if (text == "base64_der") {
      h.format = CertificateHeaderFormat::base64_der;
    } else if (text == "xfcc") {
      h.format = CertificateHeaderFormat::xfcc;
    } else {
      r.fail(f,
             "client_certificate_header.format must be escaped_pem, base64_der or xfcc (got '" + text + "')");
    }
  }
  return h;
}

}  // namespace

void load_forwarding_settings(const YamlReader& r, const YAML::Node& root, Config& cfg) {
  if (auto j = root["jwt"]) jwt_settings(r, j, cfg.jwt);
  if (auto t = root["trusted_proxies"]) cfg.trusted_proxies = trusted_proxies(r, t);
  if (auto h = root["client_certificate_header"]) {
    cfg.client_certificate_header = client_certificate_header(r, h);
    // Without trusted sources the header would only ever be removed: say so instead of ignoring it.
    if (cfg.trusted_proxies.empty()) {
      r.fail(h, "client_certificate_header needs trusted_proxies: the addresses allowed to send it");
    }
  }
}

RouteHeaders load_route_headers(const YamlReader& r, const YAML::Node& n, const Config& cfg) {
  r.expect_map(n, "headers",
               {"identity", "client_cert", "escaped_pem_header", "xfcc", "jwt_assertion", "jwt_ttl"});
  RouteHeaders h;
  h.jwt_ttl = cfg.jwt.ttl;
  if (auto i = n["identity"]) h.identity = r.boolean(i, "headers.identity");
  if (auto c = n["client_cert"]) client_cert_formats(r, c, h);
  if (auto name = n["escaped_pem_header"]) {
    if (!h.escaped_pem) r.fail(name, "headers.escaped_pem_header needs escaped_pem in headers.client_cert");
    h.escaped_pem_header = r.scalar(name, "headers.escaped_pem_header");
    check_header_name(r, name, h.escaped_pem_header, "headers.escaped_pem_header");
  }
  if (auto x = n["xfcc"]) {
    if (!h.xfcc) r.fail(x, "headers.xfcc needs xfcc in headers.client_cert");
    h.xfcc = xfcc_settings(r, x);
  }
  if (auto j = n["jwt_assertion"]) h.jwt_assertion = r.boolean(j, "headers.jwt_assertion");
  if (auto t = n["jwt_ttl"]) {
    if (!h.jwt_assertion) r.fail(t, "headers.jwt_ttl needs jwt_assertion: true");
    h.jwt_ttl = token_lifetime(r, t, "headers.jwt_ttl");
  }
  return h;
}

}  // namespace certgate::config
