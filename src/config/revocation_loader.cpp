#include "config/revocation_loader.h"

#include "config/http_url.h"

namespace certgate::config {
namespace {

constexpr std::size_t kMinCrlSize = 1024;

CrlFileSource crl_file(const YamlReader& r, const YAML::Node& n) {
  CrlFileSource out;
  out.mark = r.mark(n);
  // An empty value turns an inherited (global) crl_file off for one route.
  if (r.scalar(n, "crl_file").empty()) return out;
  out.file = r.readable_file(n, "crl_file");
  return out;
}

CrlScope crl_scope(const YamlReader& r, const YAML::Node& n) {
  const auto text = r.scalar(n, "crl_scope");
  if (text == "leaf") return CrlScope::leaf;
  if (text == "chain") return CrlScope::chain;
  r.fail(n, "crl_scope must be leaf or chain (got '" + text + "')");
}

RevocationMode revocation_mode(const YamlReader& r, const YAML::Node& n) {
  const auto text = r.scalar(n, "revocation.mode");
  if (text == "skip") return RevocationMode::skip;
  if (text == "ignore_ca_error") return RevocationMode::ignore_ca_error;
  if (text == "strict") return RevocationMode::strict;
  r.fail(n, "revocation.mode must be skip, ignore_ca_error or strict (got '" + text + "')");
}

std::string ocsp_responder(const YamlReader& r, const YAML::Node& n) {
  auto text = r.scalar(n, "revocation.ocsp_responder");
  if (!text.empty() && !parse_http_url(text)) {
    r.fail(n, "revocation.ocsp_responder must be an http:// URL (got '" + text + "')");
  }
  return text;
}

Duration positive(const YamlReader& r, const YAML::Node& n, std::string_view what) {
  const auto d = r.duration(n, what);
  if (d.count() <= 0) r.fail(n, std::string(what) + " must be greater than zero");
  return d;
}

RevocationOverrides revocation_block(const YamlReader& r, const YAML::Node& n) {
  r.expect_map(
      n, "revocation",
      {"mode", "ocsp", "crl_distribution_points", "ocsp_responder", "cache_ttl", "timeout", "max_crl_size"});
  RevocationOverrides o;
  if (auto v = n["mode"]) o.mode = revocation_mode(r, v);
  if (auto v = n["ocsp"]) o.ocsp = r.boolean(v, "revocation.ocsp");
  if (auto v = n["crl_distribution_points"])
    o.crl_distribution_points = r.boolean(v, "revocation.crl_distribution_points");
  if (auto v = n["ocsp_responder"]) o.ocsp_responder = ocsp_responder(r, v);
  if (auto v = n["cache_ttl"]) o.cache_ttl = r.duration(v, "revocation.cache_ttl");  // 0: no caching
  if (auto v = n["timeout"]) o.timeout = positive(r, v, "revocation.timeout");
  if (auto v = n["max_crl_size"]) {
    o.max_crl_size = r.size(v, "revocation.max_crl_size");
    if (*o.max_crl_size < kMinCrlSize) r.fail(v, "revocation.max_crl_size must be at least 1KiB");
  }
  return o;
}

template <class T>
T pick(const std::optional<T>& route, const std::optional<T>& global, T fallback) {
  return route ? *route : global.value_or(std::move(fallback));
}

}  // namespace

void read_revocation_keys(const YamlReader& reader, const YAML::Node& mtls, MtlsSettings& out) {
  if (auto n = mtls["crl_file"]) out.crl_file = crl_file(reader, n);
  if (auto n = mtls["crl_scope"]) out.crl_scope = crl_scope(reader, n);
  if (auto n = mtls["revocation"]) out.revocation = revocation_block(reader, n);
}

void merge_revocation(const MtlsSettings& route, const MtlsSettings& global, EffectiveMtls& out) {
  out.crl_file = pick(route.crl_file, global.crl_file, CrlFileSource{});
  out.crl_scope = pick(route.crl_scope, global.crl_scope, out.crl_scope);
  const auto& r = route.revocation;
  const auto& g = global.revocation;
  auto& e = out.revocation;
  e.mode = pick(r.mode, g.mode, e.mode);
  e.ocsp = pick(r.ocsp, g.ocsp, e.ocsp);
  e.crl_distribution_points =
      pick(r.crl_distribution_points, g.crl_distribution_points, e.crl_distribution_points);
  e.ocsp_responder = pick(r.ocsp_responder, g.ocsp_responder, e.ocsp_responder);
  e.cache_ttl = pick(r.cache_ttl, g.cache_ttl, e.cache_ttl);
  e.timeout = pick(r.timeout, g.timeout, e.timeout);
  e.max_crl_size = pick(r.max_crl_size, g.max_crl_size, e.max_crl_size);
}

std::string to_string(RevocationMode mode) {
  switch (mode) {
    case RevocationMode::skip:
      return "skip";
    case RevocationMode::ignore_ca_error:
      return "ignore_ca_error";
    case RevocationMode::strict:
      return "strict";
  }
  return "?";
}

}  // namespace certgate::config
