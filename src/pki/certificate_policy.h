// certgate's certificate policy: the rules a client certificate chain must meet on top of OpenSSL's
// RFC 5280 path validation. OpenSSL builds the path and checks signatures, validity, basic constraints,
// path length, name constraints, key usage and (with X509_V_FLAG_X509_STRICT) much of the RFC 5280
// profile; the rules here close the gaps the x509-limbo vectors found (docs/conformance.md lists each
// rule with its reference and the vectors it settles).
//
// verify_client_chain() runs check_client_chain() on the path OpenSSL built, after OpenSSL accepted it.
// Every check is cheap: it reads what OpenSSL already cached (extension flags, key, AKI) and decodes DER
// only for extensions OpenSSL does not cache or expose (leaf SAN, name constraints, AIA), and only when
// they are present. Nothing allocates on the success path except those decodes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/reason.h"
#include "pki/openssl_ptr.h"

namespace certgate::pki {

// Where a certificate sits in the verified path; some rules apply to part of the path only.
enum class ChainPosition : uint8_t {
  leaf,          // the client certificate (depth 0)
  intermediate,  // a CA certificate between the leaf and the trust anchor
  anchor,        // the trust anchor from the trust bundle (the top of the path)
};

// Why a certificate breaks the policy. `rule` is a stable identifier (logs, metrics, docs); `message`
// is a sentence with the reference. Both point to static strings.
struct PolicyViolation {
  Reason reason = Reason::invalid_certificate;
  std::string_view rule;
  std::string_view message;
};
using PolicyResult = std::optional<PolicyViolation>;

struct ChainViolation {
  PolicyViolation violation;
  int depth = 0;  // 0 = leaf
};

// Runs every rule on a verified path (leaf first, trust anchor last).
std::optional<ChainViolation> check_client_chain(STACK_OF(X509) * chain);

// Every rule for one certificate at `position`. `leaf_sans` is the leaf's decoded subjectAltName (or
// null); it is needed to hold the leaf's wildcard names against CA name constraints.
PolicyResult check_certificate(X509* cert, ChainPosition position, const GENERAL_NAMES* leaf_sans);

// --- The individual rules (each documented in certificate_policy.cpp and docs/conformance.md) ---

// Leaf and intermediates are X.509 v3 (RFC 5280 4.1.2.1, CABF BR 7.1.1).
PolicyResult check_version(const X509* cert);
// Leaf and intermediates: serial positive and at most 20 octets as DER content (RFC 5280 4.1.2.2).
PolicyResult check_serial_number(const X509* cert);
// Every certificate: RSA 2048..8192 bits, a multiple of 8; EC on P-256/P-384/P-521 (named); Ed25519,
// Ed448. Anything else (DSA, other curves, unknown algorithms) is refused (CABF BR 6.1.5, 7.1.3.1).
PolicyResult check_public_key(const X509* cert);
// Leaf: an extendedKeyUsage extension that lists id-kp-clientAuth (RFC 5280 4.2.1.12, CABF 7.1.2.7.6).
PolicyResult check_leaf_extended_key_usage(X509* leaf);
// One pass over the extensions: name constraints only in CA certificates, critical, well formed;
// policyConstraints and inhibitAnyPolicy critical; authorityKeyIdentifier carries keyIdentifier;
// authorityInfoAccess decodes and is not empty.
PolicyResult check_extensions(X509* cert, ChainPosition position, const GENERAL_NAMES* leaf_sans);
// Name constraints structure: at least one non-empty subtree list; dNSName bases in preferred name
// syntax (no leading period, no wildcard) (RFC 5280 4.2.1.10, CABF 7.1.2.5.2).
PolicyResult check_name_constraints(const NAME_CONSTRAINTS* nc);
// Leaf wildcard dNSNames ("*.example.com") must not cover a name in an excluded dNSName subtree
// (CVE-2025-61727; OpenSSL compares the wildcard literally).
PolicyResult check_wildcards_against_excluded(const GENERAL_NAMES* leaf_sans, const NAME_CONSTRAINTS* nc);
// Leaf subjectAltName syntax: dNSName in preferred name syntax (a leftmost "*" label allowed),
// rfc822Name a valid mailbox (RFC 5280 4.2.1.6).
PolicyResult check_leaf_names(const GENERAL_NAMES* sans);

// --- Syntax helpers (pure, no allocation) ---

// RFC 1034 3.5 preferred name syntax as amended by RFC 1123 2.1: LDH labels of 1..63 octets, no empty
// label (so no leading, trailing or doubled period), at most 253 octets, and a last label that is not
// all digits (RFC 3696 2; an IPv4 address is not a domain name). With `allow_wildcard` the leftmost
// label may be exactly "*" when at least one more label follows.
bool is_valid_dns_name(std::string_view name, bool allow_wildcard);
// RFC 5321 4.1.2 Mailbox with a domain part (dot-atom or quoted local part, at most 64 octets).
bool is_valid_mailbox(std::string_view mailbox);
// Whether `name` is `subtree` or a subdomain of it (ASCII case-insensitive).
bool dns_name_within(std::string_view name, std::string_view subtree);
// Whether the wildcard name "*.B" can match some name in the dNSName subtree `subtree`: when the subtree
// is B or an ancestor of B, or exactly one label below B.
bool wildcard_may_match_subtree(std::string_view wildcard_name, std::string_view subtree);

}  // namespace certgate::pki
