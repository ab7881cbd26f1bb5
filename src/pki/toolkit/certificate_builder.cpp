#include "pki/toolkit/certificate_builder.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "pki/toolkit/serial_number.h"

namespace certgate::pki::toolkit {
namespace {

using GeneralNamePtr = Owned<GENERAL_NAME, GENERAL_NAME_free>;

// Backdating notBefore a little keeps certificates usable on hosts whose clock is slightly behind.
constexpr long kBackdateSeconds = 5 * 60;

bool is_ca_profile(Profile profile) {
  return profile == Profile::root_ca || profile == Profile::intermediate_ca;
}

// i2d-encodes `value` as extension `nid`; OpenSSL copies it, the caller keeps ownership.
void add_extension(X509* cert, int nid, void* value, bool critical) {
  if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_REPLACE) != 1) {
    throw_openssl_error(std::string("cannot add the ") + OBJ_nid2ln(nid) + " extension");
  }
}

bool printable_ascii(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// Host names as TLS stacks match them: LDH labels (underscore tolerated, it occurs in practice), at most
// 63 octets each, 253 in all; a wildcard only as the whole leftmost label.
bool is_dns_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto end = std::min(name.find('.', start), name.size());
    const auto label = name.substr(start, end - start);
    if (label.empty() || label.size() > 63) return false;
    const bool wildcard = start == 0 && label == "*" && end < name.size();
    if (!wildcard && !std::all_of(label.begin(), label.end(),
                                  [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; })) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// URIs need a scheme ("https:", "spiffe:"); RFC 5280 forbids relative references in SANs.
bool has_uri_scheme(const std::string& uri) {
  const auto colon = uri.find(':');
  if (colon == std::string::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(uri[0])))
    return false;
  return std::all_of(uri.begin(), uri.begin() + static_cast<long>(colon),
                     [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; });
}

GeneralNamePtr ia5_name(int type, const std::string& value) {
  Owned<ASN1_IA5STRING, ASN1_IA5STRING_free> text(ASN1_IA5STRING_new());
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!text || !name || ASN1_STRING_set(text.get(), value.data(), static_cast<int>(value.size())) != 1) {
    throw_openssl_error("out of memory");
  }
  GENERAL_NAME_set0_value(name.get(), type, text.release());
  return name;
}

GeneralNamePtr ip_name(const std::string& ip) {
  Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> address(a2i_IPADDRESS(ip.c_str()));
  if (!address) {
    ERR_clear_error();
    throw std::runtime_error("not an IP address: " + ip);
  }
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!name) throw_openssl_error("out of memory");
  GENERAL_NAME_set0_value(name.get(), GEN_IPADD, address.release());
  return name;
}

GeneralNamePtr san_name(const SubjectAltName& san) {
  switch (san.kind) {
    case SubjectAltName::Kind::dns:
      if (!is_dns_name(san.value)) throw std::runtime_error("not a DNS name: '" + san.value + "'");
      return ia5_name(GEN_DNS, san.value);
    case SubjectAltName::Kind::email:
      if (!printable_ascii(san.value) || san.value.find('@') == std::string::npos) {
        throw std::runtime_error("not an email address: '" + san.value + "'");
      }
      return ia5_name(GEN_EMAIL, san.value);
    case SubjectAltName::Kind::uri:
      if (!is_absolute_uri(san.value)) {
        throw std::runtime_error("not an absolute URI: '" + san.value + "'");
      }
      return ia5_name(GEN_URI, san.value);
    case SubjectAltName::Kind::ip:
      return ip_name(san.value);
    case SubjectAltName::Kind::other:
      break;
  }
  throw std::runtime_error("unsupported subject alternative name");
}

void push_name(GENERAL_NAMES* names, GeneralNamePtr name) {
  if (!sk_GENERAL_NAME_push(names, name.get())) throw_openssl_error("out of memory");
  name.release();  // now owned by the stack
}

GeneralNamePtr uri_name(const std::string& url) {
  if (!is_absolute_uri(url)) throw std::runtime_error("not an absolute URL: '" + url + "'");
  return ia5_name(GEN_URI, url);
}

X509NamePtr make_subject(const CertificateSpec& spec) {
  X509NamePtr name(X509_NAME_new());
  if (!name) throw_openssl_error("out of memory");
  const auto add = [&](int nid, const std::string& value, const char* label) {
    if (value.empty()) return;
    if (X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      throw_openssl_error(std::string("invalid ") + label + " '" + value + "'");
    }
  };
  add(NID_organizationName, spec.organization, "organization");
  add(NID_commonName, spec.common_name, "common name");
  return name;
}

void set_validity(X509* cert, const CertificateSpec& spec, const Signer& signer) {
  std::time_t now = spec.now != 0 ? spec.now : std::time(nullptr);
  if (!X509_time_adj_ex(X509_getm_notBefore(cert), 0, -kBackdateSeconds, &now) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert), spec.days, 0, &now)) {
    throw_openssl_error("cannot set the validity period");
  }
  // Never outlive the issuer: a chain is only valid while every certificate in it is.
  if (signer.cert && ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(signer.cert)) > 0) {
    if (!X509_set1_notAfter(cert, X509_get0_notAfter(signer.cert)))
      throw_openssl_error("cannot set the validity period");
  }
}

void add_basic_constraints(X509* cert, const CertificateSpec& spec) {
  Owned<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free> bc(BASIC_CONSTRAINTS_new());
  if (!bc) throw_openssl_error("out of memory");
  bc->ca = is_ca_profile(spec.profile) ? 0xff : 0;
  if (bc->ca && spec.path_len) {
    bc->pathlen = ASN1_INTEGER_new();
    if (!bc->pathlen || !ASN1_INTEGER_set(bc->pathlen, *spec.path_len)) throw_openssl_error("out of memory");
  }
  // Critical on leaves too (CA:FALSE): RFC 5280 allows it and it stops a leaf being used as a CA by
  // verifiers that would otherwise ignore an unknown-to-them non-critical extension.
  add_extension(cert, NID_basic_constraints, bc.get(), true);
}

void add_key_usage(X509* cert, const CertificateSpec& spec, const EVP_PKEY* subject_key) {
  // Bit numbers from RFC 5280 section 4.2.1.3.
  enum Bit { digital_signature = 0, key_encipherment = 2, key_cert_sign = 5, crl_sign = 6 };
  std::vector<int> bits;
  if (is_ca_profile(spec.profile)) {
    bits = {key_cert_sign, crl_sign};
  } else {
    bits = {digital_signature};
    // TLS 1.2 RSA key exchange encrypts the premaster secret to the key: older clients need the bit.
    if (EVP_PKEY_get_base_id(subject_key) == EVP_PKEY_RSA) bits.push_back(key_encipherment);
  }
  Owned<ASN1_BIT_STRING, ASN1_BIT_STRING_free> usage(ASN1_BIT_STRING_new());
  if (!usage) throw_openssl_error("out of memory");
  for (int bit : bits) {
    if (!ASN1_BIT_STRING_set_bit(usage.get(), bit, 1)) throw_openssl_error("out of memory");
  }
  add_extension(cert, NID_key_usage, usage.get(), true);
}

void add_extended_key_usage(X509* cert, const CertificateSpec& spec) {
  if (is_ca_profile(spec.profile)) return;  // an EKU on a CA would restrict every leaf below it
  Owned<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free> usages(sk_ASN1_OBJECT_new_null());
  const int nid = spec.profile == Profile::client ? NID_client_auth : NID_server_auth;
  if (!usages || !sk_ASN1_OBJECT_push(usages.get(), OBJ_nid2obj(nid))) throw_openssl_error("out of memory");
  add_extension(cert, NID_ext_key_usage, usages.get(), false);
}

// RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING (what `openssl x509` computes too).
Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> key_identifier(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!X509_pubkey_digest(cert, EVP_sha1(), md, &len)) throw_openssl_error("cannot hash the public key");
  Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> id(ASN1_OCTET_STRING_new());
  if (!id || !ASN1_OCTET_STRING_set(id.get(), md, static_cast<int>(len)))
    throw_openssl_error("out of memory");
  return id;
}

void add_key_identifiers(X509* cert, const Signer& signer) {
  auto ski = key_identifier(cert);
  add_extension(cert, NID_subject_key_identifier, ski.get(), false);
  // The AKI must equal the issuer's SKI byte for byte, so reuse it when the issuer has one.
  Owned<AUTHORITY_KEYID, AUTHORITY_KEYID_free> aki(AUTHORITY_KEYID_new());
  if (!aki) throw_openssl_error("out of memory");
  const ASN1_OCTET_STRING* issuer_ski =
      signer.cert ? X509_get0_subject_key_id(const_cast<X509*>(signer.cert)) : ski.get();
  aki->keyid = issuer_ski ? ASN1_OCTET_STRING_dup(issuer_ski) : key_identifier(signer.cert).release();
  if (!aki->keyid) throw_openssl_error("out of memory");
  add_extension(cert, NID_authority_key_identifier, aki.get(), false);
}

void add_subject_alt_names(X509* cert, const CertificateSpec& spec) {
  if (spec.sans.empty()) return;
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) throw_openssl_error("out of memory");
  for (const auto& san : spec.sans)
    push_name(names.get(), san_name(san));
  // RFC 5280: the SAN must be critical when the subject DN is empty.
  add_extension(cert, NID_subject_alt_name, names.get(),
                spec.common_name.empty() && spec.organization.empty());
}

void add_crl_distribution_points(X509* cert, const CertificateSpec& spec) {
  if (spec.crl_urls.empty()) return;
  Owned<CRL_DIST_POINTS, CRL_DIST_POINTS_free> points(sk_DIST_POINT_new_null());
  if (!points) throw_openssl_error("out of memory");
  for (const auto& url : spec.crl_urls) {
    Owned<DIST_POINT, DIST_POINT_free> point(DIST_POINT_new());
    if (!point || !(point->distpoint = DIST_POINT_NAME_new()) ||
        !(point->distpoint->name.fullname = GENERAL_NAMES_new())) {
      throw_openssl_error("out of memory");
    }
    point->distpoint->type = 0;  // fullName
    push_name(point->distpoint->name.fullname, uri_name(url));
    if (!sk_DIST_POINT_push(points.get(), point.get())) throw_openssl_error("out of memory");
    point.release();
  }
  add_extension(cert, NID_crl_distribution_points, points.get(), false);
}

void add_ocsp_urls(X509* cert, const CertificateSpec& spec) {
  if (spec.ocsp_urls.empty()) return;
  Owned<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free> info(sk_ACCESS_DESCRIPTION_new_null());
  if (!info) throw_openssl_error("out of memory");
  for (const auto& url : spec.ocsp_urls) {
    Owned<ACCESS_DESCRIPTION, ACCESS_DESCRIPTION_free> access(ACCESS_DESCRIPTION_new());
    if (!access) throw_openssl_error("out of memory");
    ASN1_OBJECT_free(access->method);
    access->method = OBJ_nid2obj(NID_ad_OCSP);
    GENERAL_NAME_free(access->location);
    access->location = uri_name(url).release();
    if (!sk_ACCESS_DESCRIPTION_push(info.get(), access.get())) throw_openssl_error("out of memory");
    access.release();
  }
  add_extension(cert, NID_info_access, info.get(), false);
}

void add_extensions(X509* cert, const CertificateSpec& spec, const EVP_PKEY* subject_key,
                    const Signer& signer) {
  add_basic_constraints(cert, spec);
  add_key_usage(cert, spec, subject_key);
  add_extended_key_usage(cert, spec);
  add_key_identifiers(cert, signer);
  add_subject_alt_names(cert, spec);
  add_crl_distribution_points(cert, spec);
  add_ocsp_urls(cert, spec);
}

}  // namespace

std::string profile_name(Profile profile) {
  switch (profile) {
    case Profile::root_ca:
      return "root";
    case Profile::intermediate_ca:
      return "intermediate";
    case Profile::client:
      return "client";
    case Profile::server:
      return "server";
  }
  return "unknown";
}

bool is_absolute_uri(const std::string& text) {
  return printable_ascii(text) && has_uri_scheme(text);
}

const EVP_MD* signature_digest(const EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? nullptr : EVP_sha256();
}

X509Ptr build_certificate(const CertificateSpec& spec, const EVP_PKEY* subject_key, const Signer& signer) {
  ERR_clear_error();
  X509Ptr cert(X509_new());
  if (!cert) throw_openssl_error("out of memory");
  const auto subject = make_subject(spec);
  const X509_NAME* issuer = signer.cert ? X509_get_subject_name(signer.cert) : subject.get();
  if (!X509_set_version(cert.get(), X509_VERSION_3) ||
      !X509_set_serialNumber(cert.get(), random_serial().get()) ||
      !X509_set_subject_name(cert.get(), subject.get()) || !X509_set_issuer_name(cert.get(), issuer) ||
      !X509_set_pubkey(cert.get(), const_cast<EVP_PKEY*>(subject_key))) {
    throw_openssl_error("cannot fill in the certificate");
  }
  set_validity(cert.get(), spec, signer);
  add_extensions(cert.get(), spec, subject_key, signer);
  auto* signing_key = const_cast<EVP_PKEY*>(signer.key);
  if (X509_sign(cert.get(), signing_key, signature_digest(signing_key)) <= 0)
    throw_openssl_error("cannot sign the certificate");
  return cert;
}

}  // namespace certgate::pki::toolkit
