// Focused tests for verify_client_chain and each rule of pki/certificate_policy.h. Certificates are built
// here with OpenSSL: a P-256 root, optionally an intermediate, and a client leaf that passes every rule;
// each test changes one property and checks the outcome and the reason code it maps to. Keys with odd
// sizes or algorithms are public keys assembled from parameters (EVP_PKEY_fromdata), since only the
// issuer's key signs: no slow key generation.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <initializer_list>

#include "pki/cert_info.h"
#include "pki/certificate_policy.h"
#include "pki/chain_verifier.h"
#include "pki/pem.h"
#include "pki/trust_bundle.h"

using namespace certgate;
using namespace certgate::pki;
using certgate::Reason;

namespace {

constexpr std::time_t kNotBefore = 1704067200;  // 2024-01-01T00:00:00Z
constexpr std::time_t kNotAfter = 2019686400;   // 2034-01-01T00:00:00Z
constexpr std::time_t kAt = 1748736000;         // 2025-06-01T00:00:00Z: when the tests verify

EvpPkeyPtr ec_key(const char* curve = "P-256") {
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}
EvpPkeyPtr raw_key(const char* type) {
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, type));
}

BignumPtr random_bits(int bits) {
  BignumPtr bn(BN_new());
  BN_rand(bn.get(), bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD);
  return bn;
}

EvpPkeyPtr key_from_params(const char* type,
                           std::initializer_list<std::pair<const char*, const BIGNUM*>> params) {
  std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter<OSSL_PARAM_BLD_free>> bld(OSSL_PARAM_BLD_new());
  for (const auto& [name, value] : params)
    OSSL_PARAM_BLD_push_BN(bld.get(), name, value);
  std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM_free>> built(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  EVP_PKEY_fromdata_init(ctx.get());
  EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, built.get());
  return EvpPkeyPtr(key);
}

// An RSA public key of any size: a random odd modulus with the top bit set (never used to sign).
EvpPkeyPtr rsa_public_key(int bits) {
  BignumPtr e(BN_new());
  BN_set_word(e.get(), 65537);
  auto n = random_bits(bits);
  return key_from_params("RSA", {{OSSL_PKEY_PARAM_RSA_N, n.get()}, {OSSL_PKEY_PARAM_RSA_E, e.get()}});
}

// A DSA public key with 2048-bit p (never used to sign; the parameters need not form a group).
EvpPkeyPtr dsa_public_key() {
  BignumPtr g(BN_new());
  BN_set_word(g.get(), 2);
  auto p = random_bits(2048);
  auto q = random_bits(256);
  auto y = random_bits(2040);
  return key_from_params("DSA", {{OSSL_PKEY_PARAM_FFC_P, p.get()},
                                 {OSSL_PKEY_PARAM_FFC_Q, q.get()},
                                 {OSSL_PKEY_PARAM_FFC_G, g.get()},
                                 {OSSL_PKEY_PARAM_PUB_KEY, y.get()}});
}

// An extension as OpenSSL's config syntax writes it ("critical,permitted;DNS:example.com") ...
struct ConfExt {
  int nid;
  std::string value;
};
// ... or as raw DER, for forms the config syntax cannot produce.
struct RawExt {
  int nid;
  bool critical;
  std::vector<unsigned char> der;
};

struct Spec {
  std::string cn = "client";
  long version = X509_VERSION_3;
  std::vector<unsigned char> serial = {0x42, 0x17, 0x9a, 0x01, 0x33, 0x5c, 0x7e, 0x21};  // magnitude
  bool negative_serial = false;
  std::time_t not_before = kNotBefore;
  std::time_t not_after = kNotAfter;
  std::vector<ConfExt> conf;
  std::vector<RawExt> raw;

  Spec& set(int nid, std::string value) {
    drop(nid);
    conf.push_back({nid, std::move(value)});
    return *this;
  }
  Spec& set_raw(int nid, bool critical, std::vector<unsigned char> der) {
    drop(nid);
    raw.push_back({nid, critical, std::move(der)});
    return *this;
  }
  Spec& drop(int nid) {
    std::erase_if(conf, [nid](const ConfExt& e) { return e.nid == nid; });
    std::erase_if(raw, [nid](const RawExt& e) { return e.nid == nid; });
    return *this;
  }
};

Spec ca_spec(std::string cn) {
  Spec s;
  s.cn = std::move(cn);
  s.set(NID_basic_constraints, "critical,CA:TRUE");
  s.set(NID_key_usage, "critical,keyCertSign,cRLSign");
  s.set(NID_subject_key_identifier, "hash");
  s.set(NID_authority_key_identifier, "keyid:always");
  return s;
}

Spec leaf_spec() {
  Spec s;
  s.set(NID_basic_constraints, "critical,CA:FALSE");
  s.set(NID_key_usage, "critical,digitalSignature");
  s.set(NID_ext_key_usage, "clientAuth");
  s.set(NID_subject_key_identifier, "hash");
  s.set(NID_authority_key_identifier, "keyid:always");
  s.set(NID_subject_alt_name, "email:alice@example.com,DNS:alice.example.com");
  return s;
}

// Issues a certificate for `subject_key`; self-signed when `issuer` is null.
X509Ptr issue(const Spec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), spec.version);
  BignumPtr serial(BN_bin2bn(spec.serial.data(), static_cast<int>(spec.serial.size()), nullptr));
  BN_set_negative(serial.get(), spec.negative_serial ? 1 : 0);
  Asn1IntegerPtr asn1_serial(BN_to_ASN1_INTEGER(serial.get(), nullptr));
  X509_set_serialNumber(cert.get(), asn1_serial.get());
  X509NamePtr name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_set_subject_name(cert.get(), name.get());
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name.get());
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), spec.not_before);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), spec.not_after);
  X509_set_pubkey(cert.get(), subject_key);
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& e : spec.conf) {
    // A self-signed certificate's AKI is taken from its own SKI, which must already be present.
    X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &v3, e.nid, e.value.c_str()));
    EXPECT_TRUE(ext) << OBJ_nid2sn(e.nid) << "=" << e.value << ": " << take_openssl_errors();
    if (ext) X509_add_ext(cert.get(), ext.get(), -1);
  }
  for (const auto& e : spec.raw) {
    std::unique_ptr<ASN1_OCTET_STRING, OpenSslDeleter<ASN1_OCTET_STRING_free>> value(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(value.get(), e.der.data(), static_cast<int>(e.der.size()));
    X509ExtensionPtr ext(X509_EXTENSION_create_by_NID(nullptr, e.nid, e.critical ? 1 : 0, value.get()));
    X509_add_ext(cert.get(), ext.get(), -1);
  }
  EXPECT_GT(X509_sign(cert.get(), issuer_key, EVP_sha256()), 0) << take_openssl_errors();
  return cert;
}

class ChainVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_key_ = ec_key().release();
    root_ = issue(ca_spec("Test Root"), root_key_, nullptr, root_key_).release();
    ica_key_ = ec_key().release();
    ica_ = issue(ca_spec("Test Intermediate"), ica_key_, root_, root_key_).release();
    leaf_key_ = ec_key().release();
  }
  static void TearDownTestSuite() {
    X509_free(root_);
    X509_free(ica_);
    EVP_PKEY_free(root_key_);
    EVP_PKEY_free(ica_key_);
    EVP_PKEY_free(leaf_key_);
  }

  static std::shared_ptr<const TrustBundle> bundle_of(X509* anchor) {
    config::CaSource source;
    source.inline_pem = to_pem(anchor);
    return TrustBundle::load(source);
  }

  // Leaf issued by the root, verified against the root.
  static X509Ptr leaf(const Spec& spec, EVP_PKEY* key = nullptr) {
    return issue(spec, key ? key : leaf_key_, root_, root_key_);
  }
  static VerifyOutcome verify(X509* leaf, std::vector<X509*> intermediates = {}, std::time_t at = kAt,
                              X509* anchor = nullptr) {
    X509StackPtr untrusted(sk_X509_new_null());
    for (X509* c : intermediates)
      sk_X509_push(untrusted.get(), share(c).release());
    VerifyRequest request;
    request.leaf = leaf;
    request.untrusted = untrusted.get();
    request.max_verify_depth = 3;
    request.at = at;
    return verify_client_chain(*bundle_of(anchor ? anchor : root_), request);
  }
  static VerifyOutcome verify_leaf(const Spec& spec, EVP_PKEY* key = nullptr) {
    return verify(leaf(spec, key).get());
  }

  static inline EVP_PKEY* root_key_ = nullptr;
  static inline X509* root_ = nullptr;
  static inline EVP_PKEY* ica_key_ = nullptr;
  static inline X509* ica_ = nullptr;
  static inline EVP_PKEY* leaf_key_ = nullptr;
};

#define EXPECT_REJECTED(outcome, expected_reason, expected_rule, expected_depth)                  \
  do {                                                                                            \
    const VerifyOutcome& o_ = (outcome);                                                          \
    EXPECT_FALSE(o_.ok);                                                                          \
    EXPECT_EQ(certgate::to_string(o_.reason), certgate::to_string(expected_reason)) << o_.detail; \
    EXPECT_EQ(o_.policy_rule, std::string_view(expected_rule)) << o_.detail;                      \
    EXPECT_EQ(o_.error_depth, expected_depth) << o_.detail;                                       \
  } while (0)

#define EXPECT_ACCEPTED(outcome)                           \
  do {                                                     \
    const VerifyOutcome& o_ = (outcome);                   \
    EXPECT_TRUE(o_.ok) << o_.detail;                       \
    EXPECT_EQ(o_.reason, Reason::allowed);                 \
    EXPECT_TRUE(o_.policy_rule.empty()) << o_.policy_rule; \
  } while (0)

// --- The baseline: a conforming chain passes, and the outcome carries the path ---

TEST_F(ChainVerifierTest, AcceptsConformingLeafAndIntermediateChains) {
  const auto direct = verify_leaf(leaf_spec());
  EXPECT_ACCEPTED(direct);
  EXPECT_EQ(direct.chain.size(), 2u);
  auto via_ica = issue(leaf_spec(), leaf_key_, ica_, ica_key_);
  const auto indirect = verify(via_ica.get(), {ica_});
  EXPECT_ACCEPTED(indirect);
  EXPECT_EQ(indirect.chain.size(), 3u);
}

TEST_F(ChainVerifierTest, RefusesCaLeafAndMissingLeaf) {
  EXPECT_REJECTED(verify(ica_), Reason::ca_as_leaf, "", 0);
  EXPECT_EQ(verify(nullptr).reason, Reason::no_certificate);
}

// --- X.509 version ---

TEST_F(ChainVerifierTest, RefusesV1Leaf) {
  Spec v1;
  v1.version = X509_VERSION_1;  // v1 carries no extensions
  EXPECT_REJECTED(verify_leaf(v1), Reason::invalid_certificate, "x509-version", 0);
}

// --- Serial number ---

TEST_F(ChainVerifierTest, RefusesZeroSerial) {
  Spec s = leaf_spec();
  s.serial = {0x00};
  EXPECT_REJECTED(verify_leaf(s), Reason::invalid_certificate, "serial-number", 0);
}

TEST_F(ChainVerifierTest, RefusesNegativeSerial) {
  Spec s = leaf_spec();
  s.negative_serial = true;
  EXPECT_REJECTED(verify_leaf(s), Reason::invalid_certificate, "serial-number", 0);
}

TEST_F(ChainVerifierTest, SerialMayTakeTwentyOctetsOfDer) {
  Spec s = leaf_spec();
  s.serial.assign(20, 0x7f);  // top bit clear: 20 content octets
  EXPECT_ACCEPTED(verify_leaf(s));
  s.serial.assign(20, 0xff);  // top bit set: DER adds a 0x00, 21 octets
  EXPECT_REJECTED(verify_leaf(s), Reason::invalid_certificate, "serial-number", 0);
  s.serial.assign(21, 0x01);
  EXPECT_REJECTED(verify_leaf(s), Reason::invalid_certificate, "serial-number", 0);
}

TEST_F(ChainVerifierTest, SerialRuleCoversIntermediatesButNotAnchors) {
  Spec ica = ca_spec("Zero Serial Intermediate");
  ica.serial = {0x00};
  auto zero_ica = issue(ica, ica_key_, root_, root_key_);
  auto via_zero = issue(leaf_spec(), leaf_key_, zero_ica.get(), ica_key_);
  EXPECT_REJECTED(verify(via_zero.get(), {zero_ica.get()}), Reason::invalid_certificate, "serial-number", 1);

  // Old roots with serial 0 are in use (the online::fastly.com vector's anchor is one).
  Spec root = ca_spec("Zero Serial Root");
  root.serial = {0x00};
  auto zero_root = issue(root, root_key_, nullptr, root_key_);
  auto under_zero_root = issue(leaf_spec(), leaf_key_, zero_root.get(), root_key_);
  EXPECT_ACCEPTED(verify(under_zero_root.get(), {}, kAt, zero_root.get()));
}

// --- Public key algorithms and sizes ---

TEST_F(ChainVerifierTest, AcceptsApprovedKeyAlgorithms) {
  for (const char* curve : {"P-256", "P-384", "P-521"})
    EXPECT_ACCEPTED(verify_leaf(leaf_spec(), ec_key(curve).get()));
  EXPECT_ACCEPTED(verify_leaf(leaf_spec(), raw_key("ED25519").get()));
  EXPECT_ACCEPTED(verify_leaf(leaf_spec(), raw_key("ED448").get()));
  for (int bits : {2048, 3072, 4096, 8192})
    EXPECT_ACCEPTED(verify_leaf(leaf_spec(), rsa_public_key(bits).get()));
}

TEST_F(ChainVerifierTest, RefusesDsaKeys) {
  EXPECT_REJECTED(verify_leaf(leaf_spec(), dsa_public_key().get()), Reason::weak_key, "key-algorithm", 0);
}

TEST_F(ChainVerifierTest, RefusesRsaSizesOutsideThePolicy) {
  EXPECT_REJECTED(verify_leaf(leaf_spec(), rsa_public_key(2052).get()), Reason::weak_key, "rsa-key-size", 0);
  EXPECT_REJECTED(verify_leaf(leaf_spec(), rsa_public_key(8200).get()), Reason::weak_key, "rsa-key-size", 0);
  // Below 2048 bits OpenSSL's auth level 2 refuses first; the policy would too.
  auto small = rsa_public_key(1024);
  EXPECT_REJECTED(verify_leaf(leaf_spec(), small.get()), Reason::weak_key, "", 0);
  auto small_leaf = leaf(leaf_spec(), small.get());
  ASSERT_TRUE(check_public_key(small_leaf.get()));
  EXPECT_EQ(check_public_key(small_leaf.get())->rule, "rsa-key-size");
}

TEST_F(ChainVerifierTest, RefusesCurvesOtherThanNistP256P384P521) {
  EXPECT_REJECTED(verify_leaf(leaf_spec(), ec_key("secp256k1").get()), Reason::weak_key, "ec-curve", 0);
  EXPECT_REJECTED(verify_leaf(leaf_spec(), ec_key("brainpoolP256r1").get()), Reason::weak_key, "ec-curve", 0);
}

TEST_F(ChainVerifierTest, KeyRuleCoversTheTrustAnchor) {
  // An RSA-2052 root cannot sign here (its key is a bare modulus), so test the anchor position directly.
  auto odd_root = issue(ca_spec("Odd Root"), rsa_public_key(2052).get(), root_, root_key_);
  const auto v = check_certificate(odd_root.get(), ChainPosition::anchor, nullptr);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->rule, "rsa-key-size");
  EXPECT_EQ(v->reason, Reason::weak_key);
}

// --- Extended key usage ---

TEST_F(ChainVerifierTest, AcceptsALeafWithoutExtendedKeyUsage) {
  // docs/conformance.md: a leaf must allow clientAuth *when it has an EKU*; private PKIs often omit it.
  auto no_eku = leaf(leaf_spec().drop(NID_ext_key_usage));
  EXPECT_TRUE(verify(no_eku.get()).ok);
}

TEST_F(ChainVerifierTest, RequiresClientAuthInTheExtendedKeyUsage) {
  // OpenSSL's SSL-client purpose refuses it first; the policy rule agrees.
  auto server = leaf(leaf_spec().set(NID_ext_key_usage, "serverAuth"));
  EXPECT_REJECTED(verify(server.get()), Reason::bad_purpose, "", 0);
  const auto v = check_leaf_extended_key_usage(server.get());
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::bad_purpose);
  EXPECT_ACCEPTED(verify_leaf(leaf_spec().set(NID_ext_key_usage, "serverAuth,clientAuth")));
}

// --- Name constraints ---

TEST_F(ChainVerifierTest, RefusesNameConstraintsInTheLeaf) {
  EXPECT_REJECTED(verify_leaf(leaf_spec().set(NID_name_constraints, "critical,permitted;DNS:example.com")),
                  Reason::invalid_certificate, "name-constraints", 0);
  EXPECT_REJECTED(verify_leaf(leaf_spec().set(NID_name_constraints, "permitted;DNS:example.com")),
                  Reason::invalid_certificate, "name-constraints", 0);
}

class NameConstrainedChain : public ChainVerifierTest {
 protected:
  // root -> intermediate(nc) -> leaf(spec)
  static VerifyOutcome verify_under(const Spec& ica_spec, const Spec& leaf_spec) {
    auto ica = issue(ica_spec, ica_key_, root_, root_key_);
    auto leaf = issue(leaf_spec, leaf_key_, ica.get(), ica_key_);
    return verify(leaf.get(), {ica.get()});
  }
  static Spec constrained(std::string nc) {
    return ca_spec("Constrained CA").set(NID_name_constraints, std::move(nc));
  }
};

TEST_F(NameConstrainedChain, AcceptsWellFormedCriticalConstraints) {
  EXPECT_ACCEPTED(verify_under(constrained("critical,permitted;DNS:example.com,permitted;email:example.com"),
                               leaf_spec()));
}

TEST_F(NameConstrainedChain, RefusesNonCriticalConstraints) {
  EXPECT_REJECTED(
      verify_under(constrained("permitted;DNS:example.com,permitted;email:example.com"), leaf_spec()),
      Reason::invalid_certificate, "name-constraints", 1);
}

TEST_F(NameConstrainedChain, RefusesEmptyConstraints) {
  // NameConstraints ::= SEQUENCE {} and SEQUENCE { [0] {}, [1] {} }
  EXPECT_REJECTED(
      verify_under(ca_spec("Empty NC").set_raw(NID_name_constraints, true, {0x30, 0x00}), leaf_spec()),
      Reason::invalid_certificate, "name-constraints", 1);
  EXPECT_REJECTED(
      verify_under(
          ca_spec("Empty subtrees").set_raw(NID_name_constraints, true, {0x30, 0x04, 0xa0, 0x00, 0xa1, 0x00}),
          leaf_spec()),
      Reason::invalid_certificate, "name-constraints", 1);
}

TEST_F(NameConstrainedChain, RefusesDnsConstraintWithLeadingPeriod) {
  EXPECT_REJECTED(
      verify_under(constrained("critical,permitted;DNS:.example.com,permitted;email:example.com"),
                   leaf_spec().set(NID_subject_alt_name, "email:a@example.com,DNS:a.example.com")),
      Reason::invalid_certificate, "name-constraints", 1);
}

TEST_F(NameConstrainedChain, RefusesWildcardCoveringAnExcludedName) {
  const Spec wildcard = leaf_spec().set(NID_subject_alt_name, "DNS:*.example.com");
  EXPECT_REJECTED(
      verify_under(constrained("critical,permitted;DNS:example.com,excluded;DNS:bar.example.com"), wildcard),
      Reason::invalid_certificate, "name-constraints", 1);
  // A subtree two labels down is out of the wildcard's reach.
  EXPECT_ACCEPTED(verify_under(
      constrained("critical,permitted;DNS:example.com,excluded;DNS:a.bar.example.com"), wildcard));
}

// --- Extensions that must be critical ---

TEST_F(NameConstrainedChain, RefusesNonCriticalPolicyConstraintsAndInhibitAnyPolicy) {
  EXPECT_REJECTED(
      verify_under(ca_spec("PC").set(NID_policy_constraints, "requireExplicitPolicy:3"), leaf_spec()),
      Reason::invalid_certificate, "critical-extension", 1);
  EXPECT_REJECTED(verify_under(ca_spec("IAP").set(NID_inhibit_any_policy, "2"), leaf_spec()),
                  Reason::invalid_certificate, "critical-extension", 1);
  EXPECT_ACCEPTED(verify_under(ca_spec("PC").set(NID_policy_constraints, "critical,inhibitPolicyMapping:3"),
                               leaf_spec()));
}

// --- Authority key identifier ---

TEST_F(ChainVerifierTest, RefusesAuthorityKeyIdentifierWithoutKeyIdentifier) {
  // authorityCertIssuer + authorityCertSerialNumber only: RFC 5280 requires keyIdentifier. Below the anchor
  // OpenSSL's X509_V_FLAG_X509_STRICT refuses it first ("Missing Authority Key Identifier").
  auto cert = leaf(leaf_spec().set(NID_authority_key_identifier, "issuer:always"));
  EXPECT_REJECTED(verify(cert.get()), Reason::invalid_certificate, "", 0);
  const auto v = check_extensions(cert.get(), ChainPosition::leaf, nullptr);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->rule, "authority-key-identifier");
}

TEST_F(ChainVerifierTest, AuthorityKeyIdentifierRuleCoversTheTrustAnchor) {
  // A root whose AKI is an empty SEQUENCE (webpki::aki::root-with-aki-missing-keyidentifier).
  auto root = issue(ca_spec("Empty AKI Root").set_raw(NID_authority_key_identifier, false, {0x30, 0x00}),
                    root_key_, nullptr, root_key_);
  auto under = issue(leaf_spec(), leaf_key_, root.get(), root_key_);
  EXPECT_REJECTED(verify(under.get(), {}, kAt, root.get()), Reason::invalid_certificate,
                  "authority-key-identifier", 1);
}

// --- Authority information access ---

TEST_F(ChainVerifierTest, RefusesMalformedOrEmptyAuthorityInfoAccess) {
  const std::vector<unsigned char> not_der = {'m', 'a', 'l', 'f', 'o', 'r', 'm', 'e', 'd'};
  EXPECT_REJECTED(verify_leaf(leaf_spec().set_raw(NID_info_access, false, not_der)),
                  Reason::invalid_certificate, "authority-info-access", 0);
  EXPECT_REJECTED(verify_leaf(leaf_spec().set_raw(NID_info_access, false, {0x30, 0x00})),
                  Reason::invalid_certificate, "authority-info-access", 0);
  EXPECT_ACCEPTED(verify_leaf(leaf_spec().set(NID_info_access, "OCSP;URI:http://ocsp.example.com")));
}

// --- Subject alternative name syntax ---

TEST_F(ChainVerifierTest, RefusesMalformedSanNames) {
  for (const char* san : {"DNS:foo_bar.example.com", "DNS:8.8.8.8", "DNS:.example.com", "DNS:a..example.com",
                          "DNS:f*o.example.com", "email:invalid@address@example.com", "email:@example.com",
                          "email:alice@example_com"}) {
    SCOPED_TRACE(san);
    EXPECT_REJECTED(verify_leaf(leaf_spec().set(NID_subject_alt_name, san)), Reason::invalid_certificate,
                    "san-syntax", 0);
  }
}

TEST_F(ChainVerifierTest, AcceptsWellFormedSanNames) {
  EXPECT_ACCEPTED(verify_leaf(leaf_spec().set(NID_subject_alt_name,
                                              "DNS:*.example.com,DNS:host-1,email:first.last+tag@example.com,"
                                              "URI:spiffe://example.com/workload,IP:10.0.0.1")));
}

// A subjectAltName in DER: an empty dNSName followed by `tag` (0x81 rfc822Name, 0x82 dNSName) `value`.
std::vector<unsigned char> san_with_empty_dns(unsigned char tag, std::string_view value) {
  std::vector<unsigned char> der = {0x30, static_cast<unsigned char>(4 + value.size()), 0x82, 0x00,
                                    tag,  static_cast<unsigned char>(value.size())};
  for (char c : value)
    der.push_back(static_cast<unsigned char>(c));
  return der;
}

TEST_F(ChainVerifierTest, AcceptsAnEmptyDnsNameAndLeavesItOut) {
  // cfssl's `"hosts": [""]` recipe: an empty dNSName next to real names. It names nothing, so it is
  // accepted and dropped: no san_dns criterion, identity mapping or header sees it.
  const auto cert =
      leaf(leaf_spec().set_raw(NID_subject_alt_name, false, san_with_empty_dns(0x81, "alice@example.com")));
  EXPECT_ACCEPTED(verify(cert.get()));
  const auto sans = subject_alt_names(cert.get());
  ASSERT_EQ(sans.size(), 1u);
  EXPECT_EQ(sans[0].kind, SubjectAltName::Kind::email);
  // Still refused: a malformed non-empty name beside it.
  EXPECT_REJECTED(verify_leaf(leaf_spec().set_raw(NID_subject_alt_name, false,
                                                  san_with_empty_dns(0x82, "foo_bar.example.com"))),
                  Reason::invalid_certificate, "san-syntax", 0);
}

// --- Validity: notAfter is inclusive (RFC 5280 4.1.2.5) ---

TEST_F(ChainVerifierTest, NotAfterIsInclusive) {
  Spec s = leaf_spec();
  s.not_after = kAt;
  auto cert = leaf(s);
  EXPECT_ACCEPTED(verify(cert.get(), {}, kAt));
  EXPECT_REJECTED(verify(cert.get(), {}, kAt + 1), Reason::expired, "", 0);
  s.not_before = kAt + 1;
  s.not_after = kNotAfter;
  EXPECT_REJECTED(verify(leaf(s).get(), {}, kAt), Reason::not_yet_valid, "", 0);
}

// --- Reason codes OpenSSL errors map to ---

TEST_F(ChainVerifierTest, NamesMalformedLeafExtensionsInsteadOfAMissingIssuer) {
  // Two subjectKeyIdentifier extensions: OpenSSL marks the leaf invalid and will not find its issuer.
  Spec dup = leaf_spec();
  dup.raw.push_back({NID_subject_key_identifier, false, {0x04, 0x01, 0x01}});
  const auto outcome = verify_leaf(dup);
  EXPECT_REJECTED(outcome, Reason::invalid_certificate, "", 0);
  EXPECT_NE(outcome.detail.find("malformed or duplicate"), std::string::npos) << outcome.detail;
}

TEST_F(ChainVerifierTest, UntrustedIssuerAndDepth) {
  auto other_key = ec_key();
  auto other_root = issue(ca_spec("Other Root"), other_key.get(), nullptr, other_key.get());
  auto stranger = issue(leaf_spec(), leaf_key_, other_root.get(), other_key.get());
  EXPECT_REJECTED(verify(stranger.get()), Reason::untrusted_issuer, "", 0);

  auto via_ica = issue(leaf_spec(), leaf_key_, ica_, ica_key_);
  X509StackPtr untrusted(sk_X509_new_null());
  sk_X509_push(untrusted.get(), share(ica_).release());
  VerifyRequest request;
  request.leaf = via_ica.get();
  request.untrusted = untrusted.get();
  request.max_verify_depth = 1;  // the leaf must be issued by the anchor itself
  request.at = kAt;
  EXPECT_EQ(verify_client_chain(*bundle_of(root_), request).reason, Reason::depth_exceeded);
}

TEST(ReasonForVerifyError, MapsOpenSslErrors) {
  EXPECT_EQ(reason_for_verify_error(X509_V_OK), Reason::allowed);
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_CERT_HAS_EXPIRED), Reason::expired);
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY), Reason::untrusted_issuer);
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_INVALID_PURPOSE), Reason::bad_purpose);
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_EE_KEY_TOO_SMALL), Reason::weak_key);
  EXPECT_EQ(reason_for_verify_error(X509_V_ERR_EXCLUDED_VIOLATION), Reason::invalid_certificate);
}

// --- Syntax helpers ---

TEST(DnsNameSyntax, PreferredNameSyntax) {
  for (const char* ok :
       {"example.com", "a.b-c.example", "host1", "xn--bcher-kva.example", "EXAMPLE.com", "1a.com"}) {
    EXPECT_TRUE(is_valid_dns_name(ok, false)) << ok;
  }
  for (const char* bad :
       {"", ".example.com", "example.com.", "a..b", "foo_bar.example.com", "-a.com", "a-.com", "8.8.8.8",
        "example.123", "a b.com", "*.example.com", "exa\xc3\xa9mple.com"}) {
    EXPECT_FALSE(is_valid_dns_name(bad, false)) << bad;
  }
  EXPECT_FALSE(is_valid_dns_name(std::string(64, 'a') + ".com", false));
  EXPECT_TRUE(is_valid_dns_name(std::string(63, 'a') + ".com", false));
  EXPECT_FALSE(is_valid_dns_name(std::string(std::string_view("a\0b.com", 7)), false));
}

TEST(DnsNameSyntax, WildcardOnlyAsWholeLeftmostLabel) {
  EXPECT_TRUE(is_valid_dns_name("*.example.com", true));
  EXPECT_TRUE(is_valid_dns_name("*.local", true));
  for (const char* bad : {"*", "*.", "f*o.example.com", "*foo.example.com", "a.*.example.com",
                          "**.example.com", "*.*.example.com"}) {
    EXPECT_FALSE(is_valid_dns_name(bad, true)) << bad;
  }
}

TEST(MailboxSyntax, Rfc5321Mailbox) {
  for (const char* ok : {"alice@example.com", "first.last+tag@example.com", "*@example.com",
                         "\"quoted@local\"@example.com", "o'brien@example.com", "a{b}c@example.com"}) {
    EXPECT_TRUE(is_valid_mailbox(ok)) << ok;
  }
  for (const char* bad :
       {"", "alice", "@example.com", "alice@", "invalid@address@example.com", ".a@example.com",
        "a.@example.com", "a..b@example.com", "a b@example.com", "alice@example_com", "alice@[10.0.0.1]",
        "\"unterminated@example.com", "\"a\\\"@example.com"}) {
    EXPECT_FALSE(is_valid_mailbox(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_mailbox(std::string(65, 'a') + "@example.com"));
}

TEST(DnsSubtrees, WithinAndWildcardReach) {
  EXPECT_TRUE(dns_name_within("example.com", "example.com"));
  EXPECT_TRUE(dns_name_within("a.b.Example.COM", "example.com"));
  EXPECT_FALSE(dns_name_within("badexample.com", "example.com"));
  EXPECT_FALSE(dns_name_within("example.com", "a.example.com"));

  EXPECT_TRUE(wildcard_may_match_subtree("*.example.com", "bar.example.com"));  // CVE-2025-61727
  EXPECT_TRUE(wildcard_may_match_subtree("*.example.com", "BAR.example.com"));
  EXPECT_TRUE(wildcard_may_match_subtree("*.example.com", "example.com"));  // an ancestor: all of it
  EXPECT_TRUE(wildcard_may_match_subtree("*.a.example.com", "com"));
  EXPECT_FALSE(wildcard_may_match_subtree("*.example.com", "a.bar.example.com"));  // two labels down
  EXPECT_FALSE(wildcard_may_match_subtree("*.example.com", "example.org"));
  EXPECT_FALSE(wildcard_may_match_subtree("*.example.com", "xexample.com"));
  EXPECT_FALSE(wildcard_may_match_subtree("www.example.com", "example.com"));  // not a wildcard
}

}  // namespace
