#include "pki/certificate_policy.h"

#include <cstddef>

namespace certgate::pki {
namespace {

using NameConstraintsPtr = std::unique_ptr<NAME_CONSTRAINTS, OpenSslDeleter<NAME_CONSTRAINTS_free>>;
using AuthorityInfoAccessPtr =
    std::unique_ptr<AUTHORITY_INFO_ACCESS, OpenSslDeleter<AUTHORITY_INFO_ACCESS_free>>;

constexpr PolicyResult violation(Reason reason, std::string_view rule, std::string_view message) {
  return PolicyViolation{reason, rule, message};
}

constexpr PolicyResult invalid(std::string_view rule, std::string_view message) {
  return violation(Reason::invalid_certificate, rule, message);
}

constexpr PolicyResult weak(std::string_view rule, std::string_view message) {
  return violation(Reason::weak_key, rule, message);
}

std::string_view view(const ASN1_STRING* s) {
  if (!s) return {};
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<std::size_t>(ASN1_STRING_length(s))};
}

// ASCII only: certificate names are IA5String, and <cctype> would depend on the locale.
constexpr bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_ldh_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
  }
  return true;
}

bool all_digits(std::string_view label) {
  for (char c : label) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// RFC 5322 3.2.3 atext.
bool is_atext(char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_quoted_local_part(std::string_view local) {
  if (local.size() < 2 || local.front() != '"' || local.back() != '"') return false;
  const std::string_view inner = local.substr(1, local.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (c == '\\') {  // quoted-pair: a backslash and one printable character
      if (++i == inner.size() || inner[i] < 32 || inner[i] > 126) return false;
    } else if (c < 32 || c > 126 || c == '"') {
      return false;
    }
  }
  return true;
}

bool is_dot_string(std::string_view local) {
  if (local.empty() || local.front() == '.' || local.back() == '.') return false;
  char previous = '\0';
  for (char c : local) {
    if (c == '.' ? previous == '.' : !is_atext(c)) return false;
    previous = c;
  }
  return true;
}

}  // namespace

// --- Syntax helpers ---

bool is_valid_dns_name(std::string_view name, bool allow_wildcard) {
  if (name.empty() || name.size() > 253) return false;
  if (allow_wildcard && name.size() > 2 && name.starts_with("*.")) name.remove_prefix(2);
  for (std::size_t start = 0;;) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_ldh_label(label)) return false;
    if (dot == std::string_view::npos) return !all_digits(label);
    start = dot + 1;
  }
}

bool is_valid_mailbox(std::string_view mailbox) {
  const std::size_t at = mailbox.rfind('@');
  if (at == std::string_view::npos) return false;
  const std::string_view local = mailbox.substr(0, at);
  const std::string_view domain = mailbox.substr(at + 1);
  if (local.empty() || local.size() > 64 || !is_valid_dns_name(domain, false)) return false;
  return is_quoted_local_part(local) || is_dot_string(local);
}

bool dns_name_within(std::string_view name, std::string_view subtree) {
  if (subtree.empty()) return true;  // an empty dNSName base matches every name (OpenSSL's reading)
  if (name.size() == subtree.size()) return iequals(name, subtree);
  return name.size() > subtree.size() && name[name.size() - subtree.size() - 1] == '.' &&
         iequals(name.substr(name.size() - subtree.size()), subtree);
}

bool wildcard_may_match_subtree(std::string_view wildcard_name, std::string_view subtree) {
  if (!wildcard_name.starts_with("*.")) return false;
  const std::string_view base = wildcard_name.substr(2);
  // The subtree is B or an ancestor of B: every name "*.B" stands for lies inside it.
  if (dns_name_within(base, subtree)) return true;
  // The subtree is "x.B": "*.B" matches "x.B" itself (one label only, RFC 6125 6.4.3).
  if (subtree.size() <= base.size() + 1 || !dns_name_within(subtree, base)) return false;
  return subtree.substr(0, subtree.size() - base.size() - 1).find('.') == std::string_view::npos;
}

// --- Rules ---

// RFC 5280 4.1.2.1 and CABF BR 7.1.1: certificates are X.509 v3. OpenSSL accepts v1 end entities.
// Not applied to trust anchors: the operator chose them, and old v1 roots carry no constraints to check.
PolicyResult check_version(const X509* cert) {
  if (X509_get_version(cert) != X509_VERSION_3) {
    return invalid("x509-version", "the certificate is not X.509 v3 (RFC 5280 4.1.2.1, CABF BR 7.1.1)");
  }
  return std::nullopt;
}

// RFC 5280 4.1.2.2: the serial number is a positive integer of at most 20 octets. Revocation (CRL and
// OCSP) and the X-Client-Cert-Serial header identify a certificate by issuer and serial, so a serial that
// other tools decode differently (negative, zero, oversized) is refused. Trust anchors are exempt: some
// long-lived roots in use carry serial 0 (the online::fastly.com anchor does), and an anchor's serial
// plays no part in validation.
PolicyResult check_serial_number(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  const int length = serial ? ASN1_STRING_length(serial) : 0;
  if (!serial || length <= 0) return invalid("serial-number", "the serial number is missing");
  if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) {
    return invalid("serial-number", "the serial number is negative (RFC 5280 4.1.2.2)");
  }
  const unsigned char* magnitude = ASN1_STRING_get0_data(serial);  // big-endian, no sign octet
  bool zero = true;
  for (int i = 0; i < length && zero; ++i) {
    zero = magnitude[i] == 0;
  }
  if (zero) {
    return invalid("serial-number", "the serial number is zero (RFC 5280 4.1.2.2: a positive integer)");
  }
  // The DER content adds a 0x00 octet when the top bit of the magnitude is set.
  const int der_octets = length + ((magnitude[0] & 0x80) ? 1 : 0);
  if (der_octets > 20) {
    return invalid("serial-number", "the serial number is longer than 20 octets (RFC 5280 4.1.2.2)");
  }
  return std::nullopt;
}

// CABF BR 6.1.5 / 7.1.3.1 key algorithms, applied to every certificate in the path (a weak anchor or
// intermediate key forges the leaf as easily as a weak leaf key). OpenSSL's auth level 2 already refuses
// RSA/DSA below 2048 bits and EC below 224 bits; it accepts DSA, odd RSA sizes and any named curve.
// - RSA: 2048..8192 bits and a multiple of 8. Every mainstream generator (OpenSSL, Go, Java, Windows CNG,
//   PKCS#11 HSMs, PIV tokens) emits 2048/3072/4096; another size points at a broken generator, so
//   following the BR costs real users nothing. 8192 bounds the verification cost on the handshake path
//   (the limit rustls/webpki uses).
// - EC: P-256, P-384, P-521 as named curves (X509_V_FLAG_X509_STRICT refuses explicit parameters).
// - Ed25519 and Ed448 (RFC 8410) are accepted although the BR do not list them: `certgate pki` issues
//   Ed25519 client certificates, and the BR govern public TLS server certificates, not private client PKIs.
// - DSA (removed from TLS 1.3 and from the BR) and every other algorithm are refused.
PolicyResult check_public_key(const X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);  // decoded and cached by OpenSSL
  if (!key) return weak("key-algorithm", "the public key cannot be decoded");
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: {
      const int bits = EVP_PKEY_get_bits(key);
      if (bits < 2048) return weak("rsa-key-size", "the RSA key is smaller than 2048 bits (CABF BR 6.1.5)");
      if (bits > 8192) return weak("rsa-key-size", "the RSA key is larger than 8192 bits");
      if (bits % 8 != 0) {
        return weak("rsa-key-size", "the RSA modulus size is not a multiple of 8 bits (CABF BR 6.1.5)");
      }
      return std::nullopt;
    }
    case EVP_PKEY_EC: {
      char group[32];
      std::size_t length = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof(group), &length) == 1) {
        const std::string_view name(group, length);
        if (name == "prime256v1" || name == "secp384r1" || name == "secp521r1") return std::nullopt;
      }
      return weak("ec-curve", "the EC key is not on P-256, P-384 or P-521 as a named curve (CABF BR 6.1.5)");
    }
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
      return std::nullopt;
    case EVP_PKEY_DSA:
      return weak("key-algorithm", "DSA keys are not accepted (CABF BR 6.1.5)");
    default:
      return weak("key-algorithm", "unsupported public key algorithm (accepted: RSA, ECDSA, Ed25519, Ed448)");
  }
}

// RFC 5280 4.2.1.12: when the leaf has an extendedKeyUsage, it must list id-kp-clientAuth. A leaf
// without the extension is accepted (docs/conformance.md: a leaf "must allow clientAuth when it has an EKU"):
// many private client PKIs issue without EKU. x509-limbo marks rfc5280::eku::ee-without-eku (accept) and
// webpki::eku::ee-without-eku (reject, a Web PKI rule) as conflicting; certgate takes the RFC 5280 side.
PolicyResult check_leaf_extended_key_usage(X509* leaf) {
  if ((X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) == 0) return std::nullopt;
  if ((X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT) == 0) {
    return violation(Reason::bad_purpose, "eku-client-auth",
                     "the extendedKeyUsage does not include clientAuth (RFC 5280 4.2.1.12)");
  }
  return std::nullopt;
}

// RFC 5280 4.2.1.10 (and CABF BR 7.1.2.5.2): at least one of permittedSubtrees / excludedSubtrees, each
// non-empty (GeneralSubtrees is SIZE (1..MAX)); OpenSSL decodes empty forms and then constrains nothing.
// dNSName bases use the preferred name syntax: OpenSSL reads ".example.com" as "subdomains only", other
// verifiers reject it, so a CA's constraint would depend on who checks it. In an excluded subtree that
// reading lets example.com itself through.
PolicyResult check_name_constraints(const NAME_CONSTRAINTS* nc) {
  const STACK_OF(GENERAL_SUBTREE) * lists[] = {nc->permittedSubtrees, nc->excludedSubtrees};
  if (!lists[0] && !lists[1]) {
    return invalid("name-constraints",
                   "name constraints without permitted or excluded subtrees (RFC 5280 4.2.1.10)");
  }
  for (const auto* list : lists) {
    if (!list) continue;
    const int count = sk_GENERAL_SUBTREE_num(list);
    if (count == 0) {
      return invalid("name-constraints", "name constraints with an empty subtree list (RFC 5280 4.2.1.10)");
    }
    for (int i = 0; i < count; ++i) {
      const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(list, i)->base;
      if (base->type == GEN_DNS && !is_valid_dns_name(view(base->d.dNSName), false)) {
        return invalid("name-constraints",
                       "a dNSName name constraint is not in preferred name syntax, e.g. has a leading period "
                       "(RFC 5280 4.2.1.10)");
      }
    }
  }
  return std::nullopt;
}

// CVE-2025-61727: OpenSSL holds "*.example.com" against an excluded subtree "bar.example.com" as a
// literal string and lets it pass, yet the wildcard stands for bar.example.com. The gateway matches
// san_dns policy criteria against these names, so a wildcard that covers an excluded name is refused.
PolicyResult check_wildcards_against_excluded(const GENERAL_NAMES* leaf_sans, const NAME_CONSTRAINTS* nc) {
  if (!leaf_sans || !nc->excludedSubtrees) return std::nullopt;
  for (int i = 0; i < sk_GENERAL_NAME_num(leaf_sans); ++i) {
    const GENERAL_NAME* san = sk_GENERAL_NAME_value(leaf_sans, i);
    if (san->type != GEN_DNS) continue;
    const std::string_view name = view(san->d.dNSName);
    if (!name.starts_with("*.")) continue;
    for (int j = 0; j < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); ++j) {
      const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, j)->base;
      if (base->type == GEN_DNS && wildcard_may_match_subtree(name, view(base->d.dNSName))) {
        return invalid(
            "name-constraints",
            "a wildcard dNSName of the client certificate covers a name this CA's name constraints "
            "exclude (CVE-2025-61727)");
      }
    }
  }
  return std::nullopt;
}

// RFC 5280 4.2.1.6: a dNSName is in preferred name syntax (webpki additionally allows one leftmost "*"
// label, as certgate does); an rfc822Name is a Mailbox. OpenSSL checks neither, so "foo_bar.example.com",
// "8.8.8.8" as a dNSName or "a@b@example.com" would reach identity mapping, san_* policy criteria and the
// X-Client-Cert-SAN header, and under name constraints a malformed name can evade the subtree match.
// One exception: an empty dNSName (cfssl's common `"hosts": [""]` recipe makes them) names nothing, so it
// is accepted and then ignored: pki::subject_alt_names() drops it, so no san_dns criterion, identity
// mapping or header ever sees it, and OpenSSL's name constraints refuse it under a permitted dNSName subtree.
PolicyResult check_leaf_names(const GENERAL_NAMES* sans) {
  if (!sans) return std::nullopt;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* san = sk_GENERAL_NAME_value(sans, i);
    if (san->type == GEN_DNS && ASN1_STRING_length(san->d.dNSName) == 0) continue;
    if (san->type == GEN_DNS && !is_valid_dns_name(view(san->d.dNSName), true)) {
      return invalid("san-syntax",
                     "a subjectAltName dNSName is not in preferred name syntax (RFC 5280 4.2.1.6)");
    }
    if (san->type == GEN_EMAIL && !is_valid_mailbox(view(san->d.rfc822Name))) {
      return invalid("san-syntax", "a subjectAltName rfc822Name is not a valid mailbox (RFC 5280 4.2.1.6)");
    }
  }
  return std::nullopt;
}

// One pass over the extensions (OBJ_obj2nid is a table lookup; nothing is decoded unless present):
// - nameConstraints: only in CA certificates and critical (RFC 5280 4.2.1.10 "MUST be used only in a CA
//   certificate", "Conforming CAs MUST mark this extension as critical"); OpenSSL ignores one in a leaf
//   and applies a non-critical one. Then check_name_constraints and check_wildcards_against_excluded.
// - policyConstraints, inhibitAnyPolicy: critical (RFC 5280 4.2.1.11, 4.2.1.14: "MUST mark ... critical").
// - authorityKeyIdentifier: carries keyIdentifier (RFC 5280 4.2.1.1: "MUST be included in all
//   certificates generated by conforming CAs"; CABF BR 7.1.2.1.3). Read from OpenSSL's cache. X509_STRICT
//   already demands it below the trust anchor; this rule adds the anchor, when it has an AKI at all.
// - authorityInfoAccess: decodes and holds at least one AccessDescription (RFC 5280 4.2.2.1, SIZE
//   (1..MAX)). OpenSSL never decodes it during verification; certgate reads it for OCSP, and a malformed
//   AIA must not quietly switch revocation checking off.
PolicyResult check_extensions(X509* cert, ChainPosition position, const GENERAL_NAMES* leaf_sans) {
  const int count = X509_get_ext_count(cert);
  for (int i = 0; i < count; ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    switch (OBJ_obj2nid(X509_EXTENSION_get_object(ext))) {
      case NID_name_constraints: {
        if (position == ChainPosition::leaf) {
          return invalid("name-constraints",
                         "name constraints in an end-entity certificate (RFC 5280 4.2.1.10)");
        }
        if (X509_EXTENSION_get_critical(ext) != 1) {
          return invalid("name-constraints",
                         "the name constraints extension is not critical (RFC 5280 4.2.1.10)");
        }
        const NameConstraintsPtr nc(static_cast<NAME_CONSTRAINTS*>(X509V3_EXT_d2i(ext)));
        if (!nc) return invalid("name-constraints", "the name constraints extension cannot be decoded");
        if (auto v = check_name_constraints(nc.get())) return v;
        if (auto v = check_wildcards_against_excluded(leaf_sans, nc.get())) return v;
        break;
      }
      case NID_policy_constraints:
        if (X509_EXTENSION_get_critical(ext) != 1) {
          return invalid("critical-extension", "policyConstraints is not critical (RFC 5280 4.2.1.11)");
        }
        break;
      case NID_inhibit_any_policy:
        if (X509_EXTENSION_get_critical(ext) != 1) {
          return invalid("critical-extension", "inhibitAnyPolicy is not critical (RFC 5280 4.2.1.14)");
        }
        break;
      case NID_authority_key_identifier:
        if (!X509_get0_authority_key_id(cert)) {
          return invalid(
              "authority-key-identifier",
              "authorityKeyIdentifier without keyIdentifier (RFC 5280 4.2.1.1, CABF BR 7.1.2.1.3)");
        }
        break;
      case NID_info_access: {
        const AuthorityInfoAccessPtr aia(static_cast<AUTHORITY_INFO_ACCESS*>(X509V3_EXT_d2i(ext)));
        if (!aia || sk_ACCESS_DESCRIPTION_num(aia.get()) <= 0) {
          return invalid("authority-info-access",
                         "authorityInfoAccess is malformed or empty (RFC 5280 4.2.2.1)");
        }
        break;
      }
      default:
        break;
    }
  }
  return std::nullopt;
}

PolicyResult check_certificate(X509* cert, ChainPosition position, const GENERAL_NAMES* leaf_sans) {
  if (position != ChainPosition::anchor) {
    if (auto v = check_version(cert)) return v;
    if (auto v = check_serial_number(cert)) return v;
  }
  if (auto v = check_public_key(cert)) return v;
  if (position == ChainPosition::leaf) {
    if (auto v = check_leaf_extended_key_usage(cert)) return v;
    if (auto v = check_leaf_names(leaf_sans)) return v;
  }
  return check_extensions(cert, position, leaf_sans);
}

std::optional<ChainViolation> check_client_chain(STACK_OF(X509) * chain) {
  const int count = sk_X509_num(chain);
  if (count <= 0) return ChainViolation{{Reason::invalid_certificate, "empty-chain", "the path is empty"}, 0};
  X509* leaf = sk_X509_value(chain, 0);
  // Decoded once: the leaf's name syntax and every CA's name constraints need it. (OpenSSL caches the SAN
  // but offers no accessor for the cached copy.)
  const GeneralNamesPtr leaf_sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  for (int depth = 0; depth < count; ++depth) {
    const ChainPosition position = depth == 0           ? ChainPosition::leaf
                                   : depth == count - 1 ? ChainPosition::anchor
                                                        : ChainPosition::intermediate;
    if (auto v = check_certificate(sk_X509_value(chain, depth), position, leaf_sans.get())) {
      return ChainViolation{*v, depth};
    }
  }
  return std::nullopt;
}

}  // namespace certgate::pki
