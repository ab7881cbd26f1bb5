#include "auth/header_certificate.h"

#include <vector>

#include "common/base64.h"
#include "common/text.h"
#include "http/cert_formats.h"
#include "http/xfcc.h"
#include "pki/pem.h"

namespace certgate::auth {
namespace {

constexpr std::size_t kMaxCertificates = 16;

// Leaf first; the rest become the intermediates offered for path building.
PeerCertificate from_list(std::vector<pki::X509Ptr> certs, std::string_view what) {
  if (certs.empty()) return PeerCertificate::unreadable(std::string(what) + " holds no certificate");
  if (certs.size() > kMaxCertificates)
    return PeerCertificate::unreadable(std::string(what) + " holds more than 16 certificates");
  pki::X509StackPtr rest(sk_X509_new_null());
  for (std::size_t i = 1; i < certs.size(); ++i)
    sk_X509_push(rest.get(), certs[i].release());
  return PeerCertificate(std::move(certs.front()), std::move(rest));
}

PeerCertificate from_escaped_pem(std::string_view value, std::string_view what) {
  const auto pem = http::unescape_percent(value);
  if (!pem) return PeerCertificate::unreadable(std::string(what) + " has a malformed %-escape");
  try {
    return from_list(pki::parse_certificates(*pem, std::string(what)), what);
  } catch (const std::exception& e) {
    return PeerCertificate::unreadable(e.what());
  }
}

PeerCertificate from_base64_der(std::string_view value) {
  const auto text = http::unescape_percent(value);
  if (!text) return PeerCertificate::unreadable("the certificate header has a malformed %-escape");
  std::vector<pki::X509Ptr> certs;
  std::string_view rest = *text;
  while (!rest.empty() && certs.size() <= kMaxCertificates) {
    const auto comma = rest.find(',');
    auto item = trim_ows(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.size() >= 2 && item.front() == ':' && item.back() == ':') item = item.substr(1, item.size() - 2);
    const auto der = base64_decode(item);
    if (!der) return PeerCertificate::unreadable("the certificate header is not base64 DER");
    const auto* p = reinterpret_cast<const unsigned char*>(der->data());
    pki::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
    if (!cert || p != reinterpret_cast<const unsigned char*>(der->data()) + der->size()) {
      ERR_clear_error();
      return PeerCertificate::unreadable("the certificate header holds base64 that is not a DER certificate");
    }
    certs.push_back(std::move(cert));
  }
  return from_list(std::move(certs), "the certificate header");
}

PeerCertificate from_xfcc(std::string_view value) {
  const auto elements = http::parse_xfcc(value);
  if (!elements) return PeerCertificate::unreadable("the X-Forwarded-Client-Cert header is malformed");
  if (elements->empty()) return {};
  // The last element is the one the nearest proxy (the trusted one) added for its client.
  const auto& element = elements->back();
  if (const auto* chain = http::xfcc_value(element, "Chain")) return from_escaped_pem(*chain, "XFCC Chain");
  if (const auto* cert = http::xfcc_value(element, "Cert")) return from_escaped_pem(*cert, "XFCC Cert");
  return PeerCertificate::unreadable("the last X-Forwarded-Client-Cert element has neither Cert nor Chain");
}

}  // namespace

PeerCertificate certificate_from_header(std::string_view value, config::CertificateHeaderFormat format) {
  if (trim_ows(value).empty()) return {};
  switch (format) {
    case config::CertificateHeaderFormat::escaped_pem:
      return from_escaped_pem(value, "the certificate header");
    case config::CertificateHeaderFormat::base64_der:
      return from_base64_der(value);
    case config::CertificateHeaderFormat::xfcc:
      return from_xfcc(value);
  }
  return {};
}

}  // namespace certgate::auth
