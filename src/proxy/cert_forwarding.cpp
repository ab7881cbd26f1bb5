#include "proxy/cert_forwarding.h"

#include <boost/beast/core/string.hpp>

#include "http/xfcc.h"

namespace certgate::proxy {
namespace {

constexpr std::string_view kXfcc = "X-Forwarded-Client-Cert";

void add_xfcc(boost::beast::http::fields& fields, const config::XfccSettings& settings,
              bool certificate_valid, auth::PeerCertificate& peer, ForwardingContext& context) {
  using config::XfccMode;
  const auto own = [&] {
    return certificate_valid ? xfcc_element(settings, peer, context.local_uri_sans()) : std::string();
  };
  std::string value;
  switch (settings.mode) {
    case XfccMode::sanitize:
      return;
    case XfccMode::forward_only:
      value = context.incoming_xfcc;
      break;
    case XfccMode::append_forward: {
      value = context.incoming_xfcc;
      const auto element = own();
      if (!value.empty() && !element.empty()) value.push_back(',');
      value += element;
      break;
    }
    case XfccMode::sanitize_set:
      value = own();
      break;
  }
  if (!value.empty()) fields.set(kXfcc, value);
}

}  // namespace

bool forwards_incoming_xfcc(const config::RouteHeaders& headers) {
  return headers.xfcc && (headers.xfcc->mode == config::XfccMode::forward_only ||
                          headers.xfcc->mode == config::XfccMode::append_forward);
}

void collect_incoming_xfcc(const boost::beast::http::fields& request, std::string& out) {
  for (const auto& field : request) {
    if (!boost::beast::iequals(field.name_string(), kXfcc)) continue;
    if (!out.empty()) out.push_back(',');
    out.append(field.value());
  }
}

std::string xfcc_element(const config::XfccSettings& settings, auth::PeerCertificate& peer,
                         std::span<const std::string> by) {
  const auto& forms = peer.forms();
  std::string out;
  out.reserve(128 + (settings.cert ? forms.escaped_pem.size() : 0) +
              (settings.chain ? forms.escaped_chain_pem.size() : 0));
  for (const auto& uri : by)
    http::append_xfcc_pair(out, "By", uri);
  http::append_xfcc_pair(out, "Hash", peer.facts().fingerprint);
  if (settings.cert) http::append_xfcc_pair(out, "Cert", forms.escaped_pem, true);
  if (settings.chain) http::append_xfcc_pair(out, "Chain", forms.escaped_chain_pem, true);
  if (settings.subject) http::append_xfcc_pair(out, "Subject", peer.facts().subject_dn, true);
  if (settings.uri) {
    // As Envoy: the key is there even when the certificate has no URI SAN.
    if (forms.uri_sans.empty()) http::append_xfcc_pair(out, "URI", "");
    for (const auto& uri : forms.uri_sans)
      http::append_xfcc_pair(out, "URI", uri);
  }
  if (settings.dns) {
    for (const auto& dns : forms.dns_sans)
      http::append_xfcc_pair(out, "DNS", dns);
  }
  return out;
}

void add_client_cert_formats(boost::beast::http::fields& fields, const config::RouteHeaders& headers,
                             const auth::Decision& decision, auth::PeerCertificate& peer,
                             ForwardingContext& context) {
  const bool valid = decision.certificate_valid() && peer.leaf();
  if (headers.xfcc) add_xfcc(fields, *headers.xfcc, valid, peer, context);
  if (!valid) return;
  if (headers.escaped_pem) fields.set(headers.escaped_pem_header, peer.forms().escaped_pem);
  if (headers.cloudflare) {
    fields.set("Cf-Client-Cert-Der-Base64", peer.forms().der_base64);
    fields.set("Cf-Client-Cert-Sha256", peer.facts().fingerprint);
  }
}

}  // namespace certgate::proxy
