// Unit tests of the PKI toolkit (src/pki/toolkit) and the cert_info functions it added.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "pki/cert_info.h"
#include "pki/pem.h"
#include "pki/toolkit/ca_directory.h"
#include "pki/toolkit/ca_index.h"
#include "pki/toolkit/ca_setup.h"
#include "pki/toolkit/certificate_builder.h"
#include "pki/toolkit/crl_builder.h"
#include "pki/toolkit/file_output.h"
#include "pki/toolkit/inspect.h"
#include "pki/toolkit/key_generator.h"
#include "pki/toolkit/leaf_issuance.h"
#include "pki/toolkit/pkcs12_export.h"
#include "pki/toolkit/revocation.h"
#include "pki/toolkit/serial_number.h"

namespace pki = certgate::pki;
namespace tk = certgate::pki::toolkit;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "certgate-pki-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct Ca {
  pki::EvpPkeyPtr key;
  pki::X509Ptr cert;
};

Ca make_root(tk::KeyType type = tk::KeyType::ec_p256, int days = 3650) {
  Ca ca;
  ca.key = tk::generate_key(type);
  tk::CertificateSpec spec;
  spec.profile = tk::Profile::root_ca;
  spec.common_name = "Unit Test Root";
  spec.days = days;
  ca.cert = tk::build_certificate(spec, ca.key.get(), tk::Signer{nullptr, ca.key.get()});
  return ca;
}

pki::X509Ptr make_leaf(const Ca& ca, tk::Profile profile, const EVP_PKEY* key,
                       std::vector<pki::SubjectAltName> sans = {}, int days = 365) {
  tk::CertificateSpec spec;
  spec.profile = profile;
  spec.common_name = "leaf";
  spec.sans = std::move(sans);
  spec.days = days;
  spec.crl_urls = {"http://crl.example.test/ca.crl"};
  spec.ocsp_urls = {"http://ocsp.example.test"};
  return tk::build_certificate(spec, key, tk::Signer{ca.cert.get(), ca.key.get()});
}

std::string der_spki_sha256_base64(const X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  unsigned char md[32];
  SHA256(der, static_cast<std::size_t>(len), md);
  OPENSSL_free(der);
  return pki::base64(md, sizeof(md));
}

int file_mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<int>(st.st_mode & 07777);
}

}  // namespace

// --- key generation ------------------------------------------------------------------------------

TEST(KeyGenerator, EveryTypeProducesTheAdvertisedKey) {
  const std::vector<std::pair<tk::KeyType, std::string>> cases = {
      {tk::KeyType::ec_p256, "EC P-256"},  {tk::KeyType::ec_p384, "EC P-384"},
      {tk::KeyType::rsa_2048, "RSA 2048"}, {tk::KeyType::rsa_3072, "RSA 3072"},
      {tk::KeyType::rsa_4096, "RSA 4096"}, {tk::KeyType::ed25519, "Ed25519"}};
  for (const auto& [type, description] : cases) {
    const auto key = tk::generate_key(type);
    ASSERT_TRUE(key) << description;
    EXPECT_EQ(pki::key_description(key.get()), description);
    // The PEM form must load back as the same key.
    const auto reloaded = pki::parse_private_key(tk::private_key_pem(key.get()), "test");
    EXPECT_EQ(EVP_PKEY_eq(key.get(), reloaded.get()), 1) << description;
  }
}

TEST(KeyGenerator, NamesRoundTripAndUnknownNamesAreRejected) {
  for (const auto& name : tk::key_type_names()) {
    const auto type = tk::parse_key_type(name);
    ASSERT_TRUE(type) << name;
    EXPECT_EQ(tk::key_type_name(*type), name);
  }
  EXPECT_FALSE(tk::parse_key_type("dsa-1024"));
  EXPECT_FALSE(tk::parse_key_type("EC-P256"));
  EXPECT_EQ(tk::key_type_name(tk::kDefaultKeyType), "ec-p256");
}

TEST(KeyGenerator, FreshKeysDiffer) {
  const auto a = tk::generate_key(tk::KeyType::ec_p256);
  const auto b = tk::generate_key(tk::KeyType::ec_p256);
  EXPECT_NE(EVP_PKEY_eq(a.get(), b.get()), 1);
}

// --- serial numbers ------------------------------------------------------------------------------

TEST(SerialNumber, RandomSerialsArePositive128BitAndUnique) {
  std::set<std::string> seen;
  int full_width = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto serial = tk::random_serial();
    pki::BignumPtr bn(ASN1_INTEGER_to_BN(serial.get(), nullptr));
    ASSERT_TRUE(bn);
    EXPECT_FALSE(BN_is_negative(bn.get()));
    EXPECT_FALSE(BN_is_zero(bn.get()));
    EXPECT_LE(BN_num_bits(bn.get()), 127);  // top bit of 128 cleared
    // DER content fits in 16 octets: no 0x00 padding byte is ever needed.
    EXPECT_LE(ASN1_STRING_length(serial.get()), 16);
    if (BN_num_bits(bn.get()) > 120) ++full_width;
    EXPECT_TRUE(seen.insert(tk::serial_to_hex(serial.get())).second);
  }
  // About 99.6% of serials use more than 120 bits; a broken RNG or a truncation would not.
  EXPECT_GT(full_width, 1900);
}

TEST(SerialNumber, NormalizesWhatUsersPaste) {
  EXPECT_EQ(tk::normalize_serial_hex("0a1b"), "0A1B");
  EXPECT_EQ(tk::normalize_serial_hex("0A:1B"), "0A1B");
  EXPECT_EQ(tk::normalize_serial_hex("0x0a1b"), "0A1B");
  EXPECT_EQ(tk::normalize_serial_hex("A1B"), "0A1B");
  EXPECT_EQ(tk::normalize_serial_hex("000A1B"), "0A1B");
  EXPECT_FALSE(tk::normalize_serial_hex(""));
  EXPECT_FALSE(tk::normalize_serial_hex("0"));
  EXPECT_FALSE(tk::normalize_serial_hex("xyz"));
  EXPECT_FALSE(tk::normalize_serial_hex("-12"));
  EXPECT_FALSE(tk::normalize_serial_hex(std::string(41, 'A')));
}

TEST(SerialNumber, HexMatchesCertInfo) {
  const auto root = make_root();
  EXPECT_EQ(tk::serial_to_hex(X509_get0_serialNumber(root.cert.get())), pki::serial_hex(root.cert.get()));
  const auto serial = tk::serial_from_hex(pki::serial_hex(root.cert.get()));
  EXPECT_EQ(ASN1_INTEGER_cmp(serial.get(), X509_get0_serialNumber(root.cert.get())), 0);
}

// --- certificate profiles ------------------------------------------------------------------------

TEST(CertificateBuilder, RootCaHasCriticalCaConstraintsAndKeyIds) {
  const auto root = make_root();
  const X509* cert = root.cert.get();
  const auto bc = pki::basic_constraints(cert);
  ASSERT_TRUE(bc);
  EXPECT_TRUE(bc->ca);
  EXPECT_TRUE(bc->critical);
  EXPECT_FALSE(bc->path_len);
  EXPECT_THAT(pki::key_usage_names(cert), ElementsAre("keyCertSign", "cRLSign"));
  EXPECT_EQ(pki::extension_critical(cert, NID_key_usage), true);
  EXPECT_TRUE(pki::extended_key_usage_names(cert).empty());
  EXPECT_EQ(pki::subject_key_id_hex(cert).size(), 40u);
  EXPECT_EQ(pki::authority_key_id_hex(cert), pki::subject_key_id_hex(cert));
  EXPECT_TRUE(pki::is_self_issued(cert));
  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
  EXPECT_EQ(X509_verify(const_cast<X509*>(cert), root.key.get()), 1);
  EXPECT_EQ(pki::signature_algorithm_name(cert), "ecdsa-with-SHA256");
}

TEST(CertificateBuilder, IntermediateCarriesPathLenAndParentAki) {
  const auto root = make_root();
  const auto key = tk::generate_key(tk::KeyType::ec_p256);
  tk::CertificateSpec spec;
  spec.profile = tk::Profile::intermediate_ca;
  spec.common_name = "Unit Test Intermediate";
  spec.path_len = 0;
  const auto cert = tk::build_certificate(spec, key.get(), tk::Signer{root.cert.get(), root.key.get()});
  const auto bc = pki::basic_constraints(cert.get());
  ASSERT_TRUE(bc);
  EXPECT_TRUE(bc->ca);
  EXPECT_EQ(bc->path_len, 0);
  EXPECT_EQ(pki::authority_key_id_hex(cert.get()), pki::subject_key_id_hex(root.cert.get()));
  EXPECT_EQ(pki::issuer_dn(cert.get()), pki::subject_dn(root.cert.get()));
  EXPECT_EQ(X509_verify(cert.get(), root.key.get()), 1);
}

TEST(CertificateBuilder, ClientLeafProfile) {
  const auto root = make_root();
  const auto key = tk::generate_key(tk::KeyType::ec_p256);
  const auto cert = make_leaf(root, tk::Profile::client, key.get(),
                              {{pki::SubjectAltName::Kind::email, "alice@example.com"},
                               {pki::SubjectAltName::Kind::uri, "spiffe://example.org/alice"}});
  const auto bc = pki::basic_constraints(cert.get());
  ASSERT_TRUE(bc);
  EXPECT_FALSE(bc->ca);
  EXPECT_TRUE(bc->critical);
  EXPECT_THAT(pki::extended_key_usage_names(cert.get()), ElementsAre("clientAuth"));
  EXPECT_THAT(pki::key_usage_names(cert.get()), ElementsAre("digitalSignature"));
  EXPECT_EQ(pki::authority_key_id_hex(cert.get()), pki::subject_key_id_hex(root.cert.get()));
  EXPECT_NE(pki::subject_key_id_hex(cert.get()), pki::subject_key_id_hex(root.cert.get()));
  EXPECT_EQ(pki::san_list(pki::subject_alt_names(cert.get())),
            "email:alice@example.com, URI:spiffe://example.org/alice");
  EXPECT_THAT(pki::crl_distribution_point_urls(cert.get()), ElementsAre("http://crl.example.test/ca.crl"));
  EXPECT_THAT(pki::ocsp_urls(cert.get()), ElementsAre("http://ocsp.example.test"));
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 0);
  EXPECT_EQ(X509_verify(cert.get(), root.key.get()), 1);
}

TEST(CertificateBuilder, ServerLeafWithRsaKeyAllowsKeyEncipherment) {
  const auto root = make_root();
  const auto key = tk::generate_key(tk::KeyType::rsa_2048);
  const auto cert = make_leaf(root, tk::Profile::server, key.get(),
                              {{pki::SubjectAltName::Kind::dns, "localhost"},
                               {pki::SubjectAltName::Kind::dns, "*.localhost"},
                               {pki::SubjectAltName::Kind::ip, "127.0.0.1"},
                               {pki::SubjectAltName::Kind::ip, "::1"}});
  EXPECT_THAT(pki::extended_key_usage_names(cert.get()), ElementsAre("serverAuth"));
  EXPECT_THAT(pki::key_usage_names(cert.get()), ElementsAre("digitalSignature", "keyEncipherment"));
  EXPECT_EQ(pki::san_list(pki::subject_alt_names(cert.get())),
            "DNS:localhost, DNS:*.localhost, IP:127.0.0.1, IP:::1");
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(pki::public_key_description(cert.get()), "RSA 2048");
}

TEST(CertificateBuilder, Ed25519CaSignsWithoutDigest) {
  const auto root = make_root(tk::KeyType::ed25519);
  EXPECT_EQ(X509_get_signature_nid(root.cert.get()), NID_ED25519);
  const auto key = tk::generate_key(tk::KeyType::ed25519);
  const auto leaf = make_leaf(root, tk::Profile::client, key.get());
  EXPECT_EQ(X509_verify(leaf.get(), root.key.get()), 1);
  EXPECT_EQ(pki::public_key_description(leaf.get()), "Ed25519");
  EXPECT_EQ(tk::signature_digest(key.get()), nullptr);
}

TEST(CertificateBuilder, LeafNeverOutlivesItsIssuer) {
  const auto root = make_root(tk::KeyType::ec_p256, 30);
  const auto key = tk::generate_key(tk::KeyType::ec_p256);
  const auto leaf = make_leaf(root, tk::Profile::client, key.get(), {}, 365);
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(leaf.get()), X509_get0_notAfter(root.cert.get())), 0);
}

TEST(CertificateBuilder, ValidityStartsSlightlyInThePast) {
  const auto root = make_root();
  const auto not_before = pki::to_time_t(X509_get0_notBefore(root.cert.get()));
  const auto not_after = pki::to_time_t(X509_get0_notAfter(root.cert.get()));
  ASSERT_TRUE(not_before && not_after);
  const std::time_t now = std::time(nullptr);
  EXPECT_LE(*not_before, now - 60);
  EXPECT_GE(*not_before, now - 600);
  EXPECT_NEAR(static_cast<double>(*not_after - now), 3650.0 * 86400, 120);
}

TEST(CertificateBuilder, RejectsInvalidNames) {
  const auto root = make_root();
  const auto key = tk::generate_key(tk::KeyType::ec_p256);
  using Kind = pki::SubjectAltName::Kind;
  EXPECT_THROW(make_leaf(root, tk::Profile::server, key.get(), {{Kind::ip, "1.2.3"}}), std::runtime_error);
  for (const char* bad :
       {"a b", "a,IP:1.2.3.4", "a..b", ".a", "a.", "*", "a.*.b", "*.", "", "x*.example.com"}) {
    EXPECT_THROW(make_leaf(root, tk::Profile::server, key.get(), {{Kind::dns, bad}}), std::runtime_error)
        << bad;
  }
  for (const char* good :
       {"localhost", "*.localhost", "a-b.example.com", "_srv.example.com", "xn--bcher-kva.de"}) {
    EXPECT_NO_THROW(make_leaf(root, tk::Profile::server, key.get(), {{Kind::dns, good}})) << good;
  }
  EXPECT_THROW(make_leaf(root, tk::Profile::client, key.get(), {{Kind::email, "alice"}}), std::runtime_error);
  EXPECT_THROW(make_leaf(root, tk::Profile::client, key.get(), {{Kind::uri, "no-scheme"}}),
               std::runtime_error);
  tk::CertificateSpec spec;
  spec.common_name = std::string(65, 'x');  // ub-common-name is 64
  EXPECT_THROW(tk::build_certificate(spec, key.get(), tk::Signer{root.cert.get(), root.key.get()}),
               std::runtime_error);
}

TEST(CertificateBuilder, AbsoluteUris) {
  EXPECT_TRUE(tk::is_absolute_uri("http://crl.example/ca.crl"));
  EXPECT_TRUE(tk::is_absolute_uri("spiffe://example.org/ns/app"));
  EXPECT_FALSE(tk::is_absolute_uri("crl.example/ca.crl"));
  EXPECT_FALSE(tk::is_absolute_uri("://x"));
  EXPECT_FALSE(tk::is_absolute_uri("http://a b"));
  EXPECT_FALSE(tk::is_absolute_uri(""));
}

// --- cert_info additions -------------------------------------------------------------------------

TEST(CertInfo, SpkiHashIsOverTheDerSubjectPublicKeyInfo) {
  const auto root = make_root();
  EXPECT_EQ(pki::spki_sha256_base64(root.cert.get()), der_spki_sha256_base64(root.cert.get()));
}

TEST(CertInfo, MissingExtensionsAreReportedAsAbsent) {
  const auto key = tk::generate_key(tk::KeyType::ec_p256);
  pki::X509Ptr bare(X509_new());
  X509_set_pubkey(bare.get(), key.get());
  EXPECT_FALSE(pki::basic_constraints(bare.get()));
  EXPECT_FALSE(pki::extension_critical(bare.get(), NID_key_usage));
  EXPECT_TRUE(pki::key_usage_names(bare.get()).empty());
  EXPECT_EQ(pki::subject_key_id_hex(bare.get()), "");
  EXPECT_EQ(pki::authority_key_id_hex(bare.get()), "");
}

// --- CA index ------------------------------------------------------------------------------------

TEST(CaIndex, RoundTripsThroughJson) {
  tk::CaIndex index;
  tk::IndexEntry valid{"0A1B", "CN=alice", "client", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
                       "ab",   {}};
  tk::IndexEntry revoked{"7F00",
                         "CN=bob",
                         "server",
                         "2026-01-01T00:00:00Z",
                         "2027-01-01T00:00:00Z",
                         "cd",
                         tk::Revocation{1767225600, tk::RevocationReason::key_compromise}};
  index.add(valid);
  index.add(revoked);
  const auto again = tk::CaIndex::from_json(index.to_json(), "index.json");
  ASSERT_EQ(again.entries().size(), 2u);
  const auto& a = again.entries()[0];
  EXPECT_EQ(a.serial, "0A1B");
  EXPECT_EQ(a.subject, "CN=alice");
  EXPECT_EQ(a.profile, "client");
  EXPECT_EQ(a.not_after, "2027-01-01T00:00:00Z");
  EXPECT_FALSE(a.revocation);
  const auto& b = again.entries()[1];
  ASSERT_TRUE(b.revocation);
  EXPECT_EQ(b.revocation->time, 1767225600);
  EXPECT_EQ(b.revocation->reason, tk::RevocationReason::key_compromise);
  EXPECT_EQ(again.to_json(), index.to_json());
  EXPECT_THAT(index.to_json(), HasSubstr("\"revocation_reason\": \"keyCompromise\""));
  EXPECT_THAT(index.to_json(), HasSubstr("\"revoked_at\": \"2026-01-01T00:00:00Z\""));
}

TEST(CaIndex, RejectsDuplicatesAndGarbage) {
  tk::CaIndex index;
  index.add({"01", "CN=a", "client", "", "", "", {}});
  EXPECT_THROW(index.add({"01", "CN=b", "client", "", "", "", {}}), std::runtime_error);
  EXPECT_THROW(tk::CaIndex::from_json("not json", "x"), std::runtime_error);
  EXPECT_THROW(tk::CaIndex::from_json(R"({"version": 2, "certificates": []})", "x"), std::runtime_error);
  EXPECT_THROW(tk::CaIndex::from_json(R"({"version": 1, "certificates": [{"serial": "zz"}]})", "x"),
               std::runtime_error);
  EXPECT_THROW(
      tk::CaIndex::from_json(
          R"({"version":1,"certificates":[{"serial":"01","subject":"CN=a","status":"revoked"}]})", "x"),
      std::runtime_error);
}

TEST(CaIndex, ReasonNamesRoundTrip) {
  EXPECT_EQ(tk::revocation_reason_names().size(), 7u);
  for (const auto& name : tk::revocation_reason_names()) {
    const auto reason = tk::parse_revocation_reason(name);
    ASSERT_TRUE(reason) << name;
    EXPECT_EQ(tk::revocation_reason_name(*reason), name);
  }
  EXPECT_EQ(static_cast<int>(*tk::parse_revocation_reason("certificateHold")), 6);
  EXPECT_FALSE(tk::parse_revocation_reason("removeFromCRL"));
}

TEST(CaIndex, ParsesOnlyTheTimeFormatItWrites) {
  EXPECT_EQ(tk::parse_rfc3339("2026-01-01T00:00:00Z"), 1767225600);
  EXPECT_FALSE(tk::parse_rfc3339("2026-01-01 00:00:00"));
  EXPECT_FALSE(tk::parse_rfc3339("2026-01-01T00:00:00Zjunk"));
}

// --- CRLs ----------------------------------------------------------------------------------------

TEST(CrlBuilder, ListsRevokedSerialsWithReasonsAndIsSigned) {
  const auto root = make_root();
  std::vector<tk::IndexEntry> revoked = {
      {"0A1B", "CN=a", "client", "", "", "", tk::Revocation{1767225600, tk::RevocationReason::superseded}},
      {"0C", "CN=b", "client", "", "", "", tk::Revocation{1767225600, tk::RevocationReason::unspecified}}};
  const auto crl = tk::build_crl(root.cert.get(), root.key.get(), revoked, tk::CrlSpec{42, 7, 0});
  EXPECT_EQ(X509_CRL_get_version(crl.get()), X509_CRL_VERSION_2);
  EXPECT_EQ(X509_CRL_verify(crl.get(), root.key.get()), 1);

  pki::Asn1IntegerPtr number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  ASSERT_TRUE(number);
  EXPECT_EQ(ASN1_INTEGER_get(number.get()), 42);
  auto* aki = static_cast<AUTHORITY_KEYID*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_authority_key_identifier, nullptr, nullptr));
  ASSERT_TRUE(aki && aki->keyid);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(aki->keyid, X509_get0_subject_key_id(root.cert.get())), 0);
  AUTHORITY_KEYID_free(aki);

  const auto next = pki::to_time_t(X509_CRL_get0_nextUpdate(crl.get()));
  const auto last = pki::to_time_t(X509_CRL_get0_lastUpdate(crl.get()));
  ASSERT_TRUE(next && last);
  EXPECT_EQ(*next - *last, 7 * 86400);

  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl.get());
  ASSERT_EQ(sk_X509_REVOKED_num(entries), 2);
  for (int i = 0; i < 2; ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(entries, i);
    const auto serial = tk::serial_to_hex(X509_REVOKED_get0_serialNumber(entry));
    auto* reason =
        static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr));
    if (serial == "0A1B") {
      ASSERT_TRUE(reason);
      EXPECT_EQ(ASN1_ENUMERATED_get(reason), 4);  // superseded
    } else {
      EXPECT_EQ(serial, "0C");
      EXPECT_EQ(reason, nullptr);  // RFC 5280: leave out "unspecified"
    }
    ASN1_ENUMERATED_free(reason);
    EXPECT_EQ(pki::to_time_t(X509_REVOKED_get0_revocationDate(entry)), 1767225600);
  }
}

TEST(CrlBuilder, Ed25519CaSignsCrl) {
  const auto root = make_root(tk::KeyType::ed25519);
  const auto crl = tk::build_crl(root.cert.get(), root.key.get(), {}, tk::CrlSpec{});
  EXPECT_EQ(X509_CRL_verify(crl.get(), root.key.get()), 1);
  EXPECT_THAT(tk::crl_to_pem(crl.get()), HasSubstr("-----BEGIN X509 CRL-----"));
}

// --- files ---------------------------------------------------------------------------------------

TEST(FileOutput, SecretFilesAre0600EvenWithAPermissiveUmask) {
  TempDir dir;
  const mode_t old = ::umask(0);
  tk::write_file_atomic(dir / "k.key", "secret", tk::FileMode::secret);
  tk::write_file_atomic(dir / "c.pem", "public", tk::FileMode::shared);
  ::umask(old);
  EXPECT_EQ(file_mode(dir / "k.key"), 0600);
  EXPECT_EQ(file_mode(dir / "c.pem"), 0666);
  EXPECT_EQ(pki::read_file(dir / "k.key"), "secret");
  // Overwriting keeps the mode and leaves no temporary file behind.
  tk::write_file_atomic(dir / "k.key", "again", tk::FileMode::secret);
  EXPECT_EQ(file_mode(dir / "k.key"), 0600);
  EXPECT_EQ(
      std::distance(std::filesystem::directory_iterator(dir / ""), std::filesystem::directory_iterator()), 2);
}

TEST(FileOutput, RefusesToOverwriteWithoutForce) {
  TempDir dir;
  tk::write_file_atomic(dir / "a", "x", tk::FileMode::shared);
  EXPECT_THROW(tk::check_can_write({dir / "b", dir / "a"}, false), std::runtime_error);
  EXPECT_NO_THROW(tk::check_can_write({dir / "a"}, true));
  EXPECT_NO_THROW(tk::check_can_write({dir / "b"}, false));
  EXPECT_THROW(tk::check_can_write({dir / "missing/b"}, true), std::runtime_error);
  EXPECT_THROW(tk::write_file_atomic(dir / "missing/x", "x", tk::FileMode::shared), std::runtime_error);
}

// --- PKCS#12 -------------------------------------------------------------------------------------

namespace {

// The MAC digest of a PKCS#12 file, e.g. NID_sha256.
int mac_digest_nid(PKCS12* p12) {
  const X509_ALGOR* algorithm = nullptr;
  PKCS12_get0_mac(nullptr, &algorithm, nullptr, nullptr, p12);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  return OBJ_obj2nid(oid);
}

}  // namespace

TEST(Pkcs12Export, BothFormatsOpenWithThePasswordAndHoldTheChain) {
  const auto root = make_root();
  const auto key = tk::generate_key(tk::KeyType::ec_p256);
  const auto leaf = make_leaf(root, tk::Profile::client, key.get());
  for (const auto format : {tk::Pkcs12Format::modern, tk::Pkcs12Format::legacy}) {
    tk::Pkcs12Request request{leaf.get(), key.get(), {root.cert.get()}, "changeit", "leaf", format};
    const auto der = tk::build_pkcs12(request);
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    pki::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
    ASSERT_TRUE(p12);
    EXPECT_EQ(PKCS12_verify_mac(p12.get(), "changeit", -1), 1);
    EXPECT_EQ(PKCS12_verify_mac(p12.get(), "wrong", -1), 0);
    EXPECT_EQ(mac_digest_nid(p12.get()), format == tk::Pkcs12Format::legacy ? NID_sha1 : NID_sha256);
    EVP_PKEY* out_key = nullptr;
    X509* out_cert = nullptr;
    STACK_OF(X509)* out_chain = nullptr;
    ASSERT_EQ(PKCS12_parse(p12.get(), "changeit", &out_key, &out_cert, &out_chain), 1);
    pki::EvpPkeyPtr parsed_key(out_key);
    pki::X509Ptr parsed_cert(out_cert);
    pki::X509StackPtr parsed_chain(out_chain);
    EXPECT_EQ(EVP_PKEY_eq(parsed_key.get(), key.get()), 1);
    EXPECT_EQ(X509_cmp(parsed_cert.get(), leaf.get()), 0);
    ASSERT_EQ(sk_X509_num(parsed_chain.get()), 1);
    EXPECT_EQ(X509_cmp(sk_X509_value(parsed_chain.get(), 0), root.cert.get()), 0);
  }
  ERR_clear_error();
}

TEST(Pkcs12Export, RefusesAKeyThatDoesNotMatch) {
  const auto root = make_root();
  const auto other = tk::generate_key(tk::KeyType::ec_p256);
  tk::Pkcs12Request request{root.cert.get(), other.get(), {}, "changeit", "", tk::Pkcs12Format::modern};
  EXPECT_THROW(tk::build_pkcs12(request), std::runtime_error);
}

// --- CA directory workflows ----------------------------------------------------------------------

namespace {

tk::CaOptions root_options(const std::string& dir) {
  tk::CaOptions options;
  options.dir = dir;
  options.name = "Workflow Root";
  options.crl_url = "http://crl.example.test/root.crl";
  return options;
}

tk::LeafOptions client_options(const std::string& ca_dir, const std::string& prefix) {
  tk::LeafOptions options;
  options.ca_dir = ca_dir;
  options.common_name = "alice";
  options.emails = {"alice@example.com"};
  options.out_prefix = prefix;
  return options;
}

}  // namespace

TEST(CaWorkflow, InitCaWritesTheDocumentedLayout) {
  TempDir tmp;
  tk::init_root_ca(root_options(tmp / "root"));
  const tk::CaPaths paths(tmp / "root");
  EXPECT_EQ(file_mode(paths.key()), 0600);
  EXPECT_EQ(tk::read_crl_number(paths), 1u);
  EXPECT_TRUE(tk::load_index(paths).entries().empty());
  const auto ca = tk::load_ca(tmp / "root");
  EXPECT_TRUE(ca.is_root());
  EXPECT_EQ(ca.settings.crl_url, "http://crl.example.test/root.crl");
  EXPECT_EQ(pki::subject_dn(ca.cert.get()), "CN=Workflow Root");
  // A second init refuses, --force replaces.
  EXPECT_THROW(tk::init_root_ca(root_options(tmp / "root")), std::runtime_error);
  auto forced = root_options(tmp / "root");
  forced.force = true;
  tk::init_root_ca(forced);
  EXPECT_NE(X509_cmp(tk::load_ca(tmp / "root").cert.get(), ca.cert.get()), 0);
}

TEST(CaWorkflow, IssueRecordsInIndexAndUsesCaSettings) {
  TempDir tmp;
  tk::init_root_ca(root_options(tmp / "root"));
  const auto report = tk::issue_leaf(client_options(tmp / "root", tmp / "alice"));
  EXPECT_FALSE(report.empty());
  EXPECT_EQ(file_mode(tmp / "alice.key"), 0600);
  EXPECT_FALSE(std::filesystem::exists(tmp / "alice-chain.pem"));  // issued by a root: no chain
  const auto cert = std::move(pki::load_certificates(tmp / "alice.pem").front());
  EXPECT_THAT(pki::crl_distribution_point_urls(cert.get()), ElementsAre("http://crl.example.test/root.crl"));
  const auto index = tk::load_index(tk::CaPaths(tmp / "root"));
  ASSERT_EQ(index.entries().size(), 1u);
  EXPECT_EQ(index.entries()[0].serial, pki::serial_hex(cert.get()));
  EXPECT_EQ(index.entries()[0].subject, "CN=alice");
  EXPECT_EQ(index.entries()[0].sha256_fingerprint, pki::sha256_fingerprint_hex(cert.get()));
  // Same prefix again: refused, nothing recorded.
  EXPECT_THROW(tk::issue_leaf(client_options(tmp / "root", tmp / "alice")), std::runtime_error);
  EXPECT_EQ(tk::load_index(tk::CaPaths(tmp / "root")).entries().size(), 1u);
}

TEST(CaWorkflow, IntermediateWritesChainAndRootAndLeafChain) {
  TempDir tmp;
  tk::init_root_ca(root_options(tmp / "root"));
  auto options = root_options(tmp / "inter");
  options.name = "Workflow Intermediate";
  options.parent_dir = tmp / "root";
  tk::init_intermediate_ca(options);
  const auto inter = tk::load_ca(tmp / "inter");
  EXPECT_FALSE(inter.is_root());
  ASSERT_EQ(inter.chain.size(), 1u);
  EXPECT_EQ(X509_cmp(inter.chain[0].get(), inter.cert.get()), 0);
  EXPECT_EQ(X509_cmp(inter.root.get(), tk::load_ca(tmp / "root").cert.get()), 0);
  EXPECT_EQ(tk::load_index(tk::CaPaths(tmp / "root")).entries().at(0).profile, "intermediate");

  tk::issue_leaf(client_options(tmp / "inter", tmp / "alice"));
  const auto chain = pki::load_certificates(tmp / "alice-chain.pem");
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(X509_cmp(chain[1].get(), inter.cert.get()), 0);

  // pathlen 0 below this intermediate: no further CA may be created under it.
  options.dir = tmp / "third";
  options.parent_dir = tmp / "inter";
  EXPECT_THROW(tk::init_intermediate_ca(options), std::runtime_error);
}

TEST(CaWorkflow, RevokeAndCrlNumberIncrements) {
  TempDir tmp;
  tk::init_root_ca(root_options(tmp / "root"));
  tk::issue_leaf(client_options(tmp / "root", tmp / "alice"));
  const auto cert = std::move(pki::load_certificates(tmp / "alice.pem").front());

  tk::RevokeOptions revoke;
  revoke.ca_dir = tmp / "root";
  revoke.cert_file = tmp / "alice.pem";
  revoke.reason = tk::RevocationReason::key_compromise;
  tk::revoke_certificate(revoke);
  EXPECT_THROW(tk::revoke_certificate(revoke), std::runtime_error);  // already revoked
  revoke.cert_file.clear();
  revoke.serial = "0123";
  EXPECT_THROW(tk::revoke_certificate(revoke), std::runtime_error);  // not issued here

  tk::CrlOptions crl{tmp / "root", 7, tmp / "crl.pem", false};
  for (std::uint64_t expected = 1; expected <= 3; ++expected) {
    crl.force = expected > 1;
    tk::publish_crl(crl);
    const auto crls = pki::parse_crls(pki::read_file(tmp / "crl.pem"), "crl.pem");
    pki::Asn1IntegerPtr number(
        static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crls[0].get(), NID_crl_number, nullptr, nullptr)));
    EXPECT_EQ(ASN1_INTEGER_get(number.get()), static_cast<long>(expected));
    X509_REVOKED* entry = nullptr;
    EXPECT_EQ(X509_CRL_get0_by_cert(crls[0].get(), &entry, const_cast<X509*>(cert.get())), 1);
    EXPECT_EQ(tk::read_crl_number(tk::CaPaths(tmp / "root")), expected + 1);
  }
  crl.force = false;
  EXPECT_THROW(tk::publish_crl(crl), std::runtime_error);  // output exists
}

TEST(CaWorkflow, MissingCaDirectoryIsAClearError) {
  TempDir tmp;
  try {
    tk::load_ca(tmp / "nope");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("does not exist"));
  }
}

// --- inspect -------------------------------------------------------------------------------------

TEST(Inspect, SummaryMatchesCertInfoAndBundlesBecomeArrays) {
  const auto root = make_root();
  const auto key = tk::generate_key(tk::KeyType::ec_p256);
  const auto leaf =
      make_leaf(root, tk::Profile::client, key.get(), {{pki::SubjectAltName::Kind::email, "a@example.com"}});
  const auto now = std::time(nullptr);
  const auto summary = tk::certificate_summary(leaf.get(), now);
  EXPECT_EQ(summary["subject"], "CN=leaf");
  EXPECT_EQ(summary["serial"], pki::serial_hex(leaf.get()));
  EXPECT_EQ(summary["sha256_fingerprint"], pki::sha256_fingerprint_hex(leaf.get()));
  EXPECT_EQ(summary["key_type"], "EC P-256");
  EXPECT_EQ(summary["extended_key_usage"], nlohmann::ordered_json::array({"clientAuth"}));
  EXPECT_EQ(summary["subject_alt_names"]["email"], nlohmann::ordered_json::array({"a@example.com"}));
  EXPECT_EQ(summary["basic_constraints"]["ca"], false);
  EXPECT_EQ(summary["expired"], false);
  // Whole days, rounded down; negative once expired.
  const auto not_after = *pki::to_time_t(X509_get0_notAfter(leaf.get()));
  EXPECT_EQ(tk::certificate_summary(leaf.get(), not_after - 365 * 86400)["days_left"], 365);
  EXPECT_EQ(tk::certificate_summary(leaf.get(), not_after - 365 * 86400 + 1)["days_left"], 364);
  EXPECT_EQ(tk::certificate_summary(leaf.get(), not_after + 1)["days_left"], -1);
  EXPECT_EQ(tk::certificate_summary(leaf.get(), not_after + 1)["expired"], true);

  const auto bundle = pki::to_pem(leaf.get()) + pki::to_pem(root.cert.get());
  const auto json = nlohmann::json::parse(tk::inspect_certificates(bundle, "bundle", true, now));
  ASSERT_TRUE(json.is_array());
  EXPECT_EQ(json.size(), 2u);
  EXPECT_EQ(json[1]["basic_constraints"]["ca"], true);
  const auto single =
      nlohmann::json::parse(tk::inspect_certificates(pki::to_der(leaf.get()), "der", true, now));
  EXPECT_TRUE(single.is_object());
  EXPECT_THAT(tk::inspect_certificates(bundle, "bundle", false, now), HasSubstr("Certificate 2 of 2"));
  EXPECT_THROW(tk::inspect_certificates("garbage", "garbage", false, now), std::runtime_error);
  ERR_clear_error();
}
