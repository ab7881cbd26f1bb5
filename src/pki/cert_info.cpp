#include "pki/cert_info.h"

#include "pki/digest.h"

#include <arpa/inet.h>
#include <openssl/ec.h>

#include <array>

namespace certgate::pki {
namespace {

std::string asn1_string(const ASN1_STRING* s) {
  if (!s) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  const int len = ASN1_STRING_length(ip);
  const auto* data = ASN1_STRING_get0_data(ip);
  if (len == 4 && inet_ntop(AF_INET, data, buf, sizeof(buf))) return buf;
  if (len == 16 && inet_ntop(AF_INET6, data, buf, sizeof(buf))) return buf;
  return hex_lower(data, static_cast<std::size_t>(len));
}

std::string uri_of(const GENERAL_NAME* name) {
  return name->type == GEN_URI ? asn1_string(name->d.uniformResourceIdentifier) : std::string();
}

}  // namespace

std::string hex_lower(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  return out;
}

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string name_rfc2253(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string subject_dn(const X509* cert) {
  return name_rfc2253(X509_get_subject_name(cert));
}
std::string issuer_dn(const X509* cert) {
  return name_rfc2253(X509_get_issuer_name(cert));
}

std::string serial_hex(const X509* cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  std::string out(hex ? hex : "");
  OPENSSL_free(hex);
  // `openssl x509 -serial` prints whole bytes; BN_bn2hex prints "0" for zero.
  if (out.size() % 2 == 1 && out[0] != '-') out.insert(out.begin(), '0');
  return out;
}

std::string sha256_fingerprint_raw(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!X509_digest(cert, sha256(), md, &len)) return {};
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string sha256_fingerprint_hex(const X509* cert) {
  const auto raw = sha256_fingerprint_raw(cert);
  return hex_lower(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string spki_sha256_base64(const X509* cert) {
  // The pin format of HPKP, curl --pinnedpubkey and Envoy: SHA-256 over the DER SubjectPublicKeyInfo.
  // (X509_pubkey_digest would hash only the key's BIT STRING, which no other tool reproduces.)
  unsigned char* der = nullptr;
  const int der_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (der_len <= 0) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const int ok = EVP_Digest(der, static_cast<std::size_t>(der_len), md, &len, sha256(), nullptr);
  OPENSSL_free(der);
  return ok ? base64(md, len) : std::string();
}

std::vector<SubjectAltName> subject_alt_names(const X509* cert) {
  std::vector<SubjectAltName> out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    switch (name->type) {
      case GEN_DNS:
        // An empty dNSName (cfssl's `"hosts": [""]`) names nothing: no policy, mapping or header sees it.
        if (ASN1_STRING_length(name->d.dNSName) > 0)
          out.push_back({SubjectAltName::Kind::dns, asn1_string(name->d.dNSName)});
        break;
      case GEN_EMAIL:
        out.push_back({SubjectAltName::Kind::email, asn1_string(name->d.rfc822Name)});
        break;
      case GEN_URI:
        out.push_back({SubjectAltName::Kind::uri, asn1_string(name->d.uniformResourceIdentifier)});
        break;
      case GEN_IPADD:
        out.push_back({SubjectAltName::Kind::ip, ip_text(name->d.iPAddress)});
        break;
      default:
        break;
    }
  }
  return out;
}

std::string san_list(const std::vector<SubjectAltName>& sans) {
  std::string out;
  for (const auto& san : sans) {
    const char* prefix = "";
    switch (san.kind) {
      case SubjectAltName::Kind::dns:
        prefix = "DNS:";
        break;
      case SubjectAltName::Kind::email:
        prefix = "email:";
        break;
      case SubjectAltName::Kind::uri:
        prefix = "URI:";
        break;
      case SubjectAltName::Kind::ip:
        prefix = "IP:";
        break;
      case SubjectAltName::Kind::other:
        continue;
    }
    if (!out.empty()) out += ", ";
    out += prefix;
    out += san.value;
  }
  return out;
}

std::vector<std::string> subject_attribute(const X509* cert, int nid) {
  std::vector<std::string> out;
  const X509_NAME* name = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (len >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  return out;
}

std::vector<std::string> crl_distribution_point_urls(const X509* cert) {
  std::vector<std::string> out;
  auto* points =
      static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr));
  if (!points) return out;
  for (int i = 0; i < sk_DIST_POINT_num(points); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(points, i);
    if (!dp->distpoint || dp->distpoint->type != 0) continue;  // only full names
    const GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      auto uri = uri_of(sk_GENERAL_NAME_value(names, j));
      if (!uri.empty()) out.push_back(std::move(uri));
    }
  }
  CRL_DIST_POINTS_free(points);
  return out;
}

std::vector<std::string> ocsp_urls(const X509* cert) {
  std::vector<std::string> out;
  auto* info = static_cast<AUTHORITY_INFO_ACCESS*>(X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr));
  if (!info) return out;
  for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(info); ++i) {
    const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(info, i);
    if (OBJ_obj2nid(ad->method) != NID_ad_OCSP) continue;
    auto uri = uri_of(ad->location);
    if (!uri.empty()) out.push_back(std::move(uri));
  }
  AUTHORITY_INFO_ACCESS_free(info);
  return out;
}

bool is_ca(const X509* cert) {
  // X509_get_extension_flags caches extension parsing; EXFLAG_CA is set only by basicConstraints CA:TRUE.
  const uint32_t flags = X509_get_extension_flags(const_cast<X509*>(cert));
  return (flags & EXFLAG_BCONS) != 0 && (flags & EXFLAG_CA) != 0;
}

bool is_self_issued(const X509* cert) {
  return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

std::optional<bool> extension_critical(const X509* cert, int nid) {
  const int index = X509_get_ext_by_NID(cert, nid, -1);
  if (index < 0) return std::nullopt;
  return X509_EXTENSION_get_critical(X509_get_ext(cert, index)) != 0;
}

std::optional<BasicConstraints> basic_constraints(const X509* cert) {
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_basic_constraints, nullptr, nullptr));
  if (!bc) return std::nullopt;
  BasicConstraints out;
  out.ca = bc->ca != 0;
  if (bc->pathlen) out.path_len = ASN1_INTEGER_get(bc->pathlen);
  out.critical = extension_critical(cert, NID_basic_constraints).value_or(false);
  BASIC_CONSTRAINTS_free(bc);
  return out;
}

std::vector<std::string> key_usage_names(const X509* cert) {
  // Bit positions from RFC 5280 section 4.2.1.3.
  static constexpr std::array<const char*, 9> names = {
      "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
      "keyCertSign",      "cRLSign",        "encipherOnly",    "decipherOnly"};
  std::vector<std::string> out;
  auto* bits = static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(cert, NID_key_usage, nullptr, nullptr));
  if (!bits) return out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (ASN1_BIT_STRING_get_bit(bits, static_cast<int>(i))) out.emplace_back(names[i]);
  }
  ASN1_BIT_STRING_free(bits);
  return out;
}

std::vector<std::string> extended_key_usage_names(const X509* cert) {
  std::vector<std::string> out;
  auto* usages =
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr));
  if (!usages) return out;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usages); ++i) {
    const ASN1_OBJECT* usage = sk_ASN1_OBJECT_value(usages, i);
    const int nid = OBJ_obj2nid(usage);
    if (nid != NID_undef) {
      out.emplace_back(OBJ_nid2sn(nid));
    } else {
      char oid[128];
      OBJ_obj2txt(oid, sizeof(oid), usage, 1);
      out.emplace_back(oid);
    }
  }
  sk_ASN1_OBJECT_pop_free(usages, ASN1_OBJECT_free);
  return out;
}

std::string signature_algorithm_name(const X509* cert) {
  const int nid = X509_get_signature_nid(cert);
  return nid == NID_undef ? std::string("unknown") : std::string(OBJ_nid2ln(nid));
}

std::string key_description(const EVP_PKEY* key) {
  if (!key) return "none";
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_ED25519:
      return "Ed25519";
    case EVP_PKEY_ED448:
      return "Ed448";
    case EVP_PKEY_EC: {
      char group[64] = {};
      std::size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) return "EC";
      // Prefer the NIST name ("P-256") users know from TLS configs over "prime256v1".
      const char* nist = EC_curve_nid2nist(OBJ_sn2nid(group));
      return std::string("EC ") + (nist ? nist : group);
    }
    default: {
      const char* name = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
      return std::string(name ? name : "unknown") + " " + std::to_string(EVP_PKEY_get_bits(key));
    }
  }
}

std::string public_key_description(const X509* cert) {
  return key_description(X509_get0_pubkey(cert));
}

std::string subject_key_id_hex(const X509* cert) {
  const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(const_cast<X509*>(cert));
  return id ? hex_lower(ASN1_STRING_get0_data(id), static_cast<std::size_t>(ASN1_STRING_length(id))) : "";
}

std::string authority_key_id_hex(const X509* cert) {
  const ASN1_OCTET_STRING* id = X509_get0_authority_key_id(const_cast<X509*>(cert));
  return id ? hex_lower(ASN1_STRING_get0_data(id), static_cast<std::size_t>(ASN1_STRING_length(id))) : "";
}

std::optional<std::time_t> to_time_t(const ASN1_TIME* time) {
  struct tm tm {};
  if (!time || ASN1_TIME_to_tm(time, &tm) != 1) return std::nullopt;
  return timegm(&tm);
}

std::string rfc3339(std::time_t t) {
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string not_before_rfc3339(const X509* cert) {
  auto t = to_time_t(X509_get0_notBefore(cert));
  return t ? rfc3339(*t) : std::string();
}

std::string not_after_rfc3339(const X509* cert) {
  auto t = to_time_t(X509_get0_notAfter(cert));
  return t ? rfc3339(*t) : std::string();
}

}  // namespace certgate::pki
