#include "auth/certificate_attributes.h"
#include "common/text.h"

#include "pki/cert_info.h"

namespace certgate::auth {
namespace {

// Group names go into X-Consumer-Groups: no control characters, no list separator.
std::string group_safe(std::string text) {
  for (auto& c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ',') c = '?';
  }
  return text;
}

}  // namespace

CertificateAttributes read_certificate_attributes(const X509* cert) {
  CertificateAttributes a;
  a.subject = pki::subject_dn(cert);
  a.issuer = pki::issuer_dn(cert);
  a.common_names = pki::subject_attribute(cert, NID_commonName);
  a.fingerprint = pki::sha256_fingerprint_hex(cert);
  a.spki_hash = pki::spki_sha256_base64(cert);
  for (auto& san : pki::subject_alt_names(cert)) {
    switch (san.kind) {
      case pki::SubjectAltName::Kind::email:
        a.subject_names.push_back({san.value, true});
        a.san_emails.push_back(ascii_lower(std::move(san.value)));
        break;
      case pki::SubjectAltName::Kind::dns:
        a.subject_names.push_back({san.value, false});
        a.san_dns.push_back(std::move(san.value));
        break;
      case pki::SubjectAltName::Kind::uri:
        a.subject_names.push_back({san.value, false});
        a.san_uris.push_back(std::move(san.value));
        break;
      case pki::SubjectAltName::Kind::ip:
        a.subject_names.push_back({san.value, false});
        a.san_ips.push_back(std::move(san.value));
        break;
      case pki::SubjectAltName::Kind::other:
        break;
    }
  }
  for (const auto& cn : a.common_names)
    a.subject_names.push_back({cn, false});
  a.emails = a.san_emails;
  if (a.emails.empty()) {
    for (auto& e : pki::subject_attribute(cert, NID_pkcs9_emailAddress))
      a.emails.push_back(ascii_lower(std::move(e)));
  }
  for (const auto& cn : a.common_names) {
    a.cn_groups.push_back(group_safe(cn));
    a.cn_groups_header += (a.cn_groups_header.empty() ? "" : ", ") + a.cn_groups.back();
  }
  a.dn_group.push_back(a.subject);  // RFC 2253 output escapes control characters already
  return a;
}

}  // namespace certgate::auth
