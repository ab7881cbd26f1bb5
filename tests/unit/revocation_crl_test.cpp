// CRL checks without I/O: which CRLs are accepted for a trust bundle, and what they say about a
// certificate (revoked, good, unknown when expired or not yet valid).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "revocation/crl_set.h"
#include "revocation_test_pki.h"

using namespace certgate::revocation;
using namespace revtest;
using ::testing::HasSubstr;

namespace {

std::string error_of(const std::string& data, const std::vector<pki::X509Ptr>& issuers) {
  try {
    CrlSet::parse(data, issuers, "crls.pem");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

class CrlTest : public ::testing::Test {
 protected:
  Issued root = make_ca("Test Root");
  Issued inter = make_ca("Test Issuing", &root);
  Issued alice = make_leaf(inter, "alice");
  Issued bob = make_leaf(inter, "bob");
  std::time_t now = std::time(nullptr);
};

}  // namespace

TEST_F(CrlTest, RevokedSerialIsRevokedOthersAreGood) {
  auto set =
      CrlSet::parse(pem(make_crl(inter, {alice.cert.get()}).get()), certs({&root, &inter}), "crls.pem");
  const VerifiedCrl* crl = set->find(inter.cert.get());
  ASSERT_NE(crl, nullptr);
  const auto revoked = crl->status_of(alice.cert.get(), now);
  EXPECT_EQ(revoked.status, Status::revoked);
  EXPECT_THAT(revoked.detail, HasSubstr(serial_of(alice.cert.get())));
  EXPECT_THAT(revoked.detail, HasSubstr("keyCompromise"));
  EXPECT_EQ(crl->status_of(bob.cert.get(), now).status, Status::good);
}

TEST_F(CrlTest, OneFileHoldsOneCrlPerCa) {
  const auto data = pem(make_crl(root, {inter.cert.get()}).get()) + pem(make_crl(inter, {}).get());
  auto set = CrlSet::parse(data, certs({&root, &inter}), "crls.pem");
  EXPECT_EQ(set->size(), 2u);
  ASSERT_NE(set->find(root.cert.get()), nullptr);
  EXPECT_EQ(set->find(root.cert.get())->status_of(inter.cert.get(), now).status, Status::revoked);
  EXPECT_EQ(set->find(inter.cert.get())->status_of(alice.cert.get(), now).status, Status::good);
  EXPECT_EQ(set->find(alice.cert.get()), nullptr);
}

TEST_F(CrlTest, DerIsAcceptedToo) {
  auto set = CrlSet::parse(der(make_crl(inter, {bob.cert.get()}).get()), certs({&inter}), "crl.der");
  EXPECT_EQ(set->find(inter.cert.get())->status_of(bob.cert.get(), now).status, Status::revoked);
}

TEST_F(CrlTest, NewerCrlOfTheSameCaWins) {
  const auto older = pem(make_crl(inter, {}, now - 3600).get());
  const auto newer = pem(make_crl(inter, {alice.cert.get()}, now - 60).get());
  for (const auto& data : {older + newer, newer + older}) {
    auto set = CrlSet::parse(data, certs({&inter}), "crls.pem");
    EXPECT_EQ(set->size(), 1u);
    EXPECT_EQ(set->find(inter.cert.get())->status_of(alice.cert.get(), now).status, Status::revoked);
  }
}

TEST_F(CrlTest, ExpiredCrlGivesUnknown) {
  auto set = CrlSet::parse(pem(make_crl(inter, {alice.cert.get()}, now - 10 * 86400, 1).get()),
                           certs({&inter}), "old.pem");
  const auto st = set->find(inter.cert.get())->status_of(bob.cert.get(), now);
  EXPECT_EQ(st.status, Status::unknown);
  EXPECT_THAT(st.detail, HasSubstr("past its nextUpdate"));
  // Even a listed serial: an expired CRL is not an answer.
  EXPECT_EQ(set->find(inter.cert.get())->status_of(alice.cert.get(), now).status, Status::unknown);
}

TEST_F(CrlTest, CrlFromTheFutureGivesUnknownBeyondTheSkew) {
  auto soon = CrlSet::parse(pem(make_crl(inter, {}, now + 60).get()), certs({&inter}), "soon.pem");
  EXPECT_EQ(soon->find(inter.cert.get())->status_of(bob.cert.get(), now).status, Status::good);
  auto later = CrlSet::parse(pem(make_crl(inter, {}, now + 3600).get()), certs({&inter}), "later.pem");
  const auto st = later->find(inter.cert.get())->status_of(bob.cert.get(), now);
  EXPECT_EQ(st.status, Status::unknown);
  EXPECT_THAT(st.detail, HasSubstr("not valid yet"));
}

TEST_F(CrlTest, CrlSignedWithAnotherKeyIsRefused) {
  Issued impostor = make_ca("Test Issuing", &root);  // same name, other key
  EXPECT_THAT(error_of(pem(make_crl(impostor, {}).get()), certs({&root, &inter})),
              HasSubstr("does not verify with the key of 'CN=Test Issuing'"));
}

TEST_F(CrlTest, CrlOfAnIntermediateOutsideTheBundleAppliesToThatIntermediate) {
  // The bundle holds the root only; clients send the intermediate. The CRL is kept, not verified yet.
  auto set = CrlSet::parse(pem(make_crl(inter, {alice.cert.get()}).get()), certs({&root}), "crls.pem");
  EXPECT_EQ(set->size(), 1u);
  EXPECT_EQ(set->find(root.cert.get()), nullptr);
  // The intermediate from a verified path (another object, as a client sends it): checked once, then
  // the same answer without a new verification.
  pki::X509Ptr sent(X509_dup(inter.cert.get()));
  const VerifiedCrl* crl = set->find(sent.get());
  ASSERT_NE(crl, nullptr);
  EXPECT_EQ(crl->status_of(alice.cert.get(), now).status, Status::revoked);
  EXPECT_EQ(crl->status_of(bob.cert.get(), now).status, Status::good);
  EXPECT_EQ(set->find(inter.cert.get()), crl);
  // An intermediate with the same name and another key: the CRL does not verify, so no answer.
  Issued impostor = make_ca("Test Issuing", &root);
  EXPECT_EQ(set->find(impostor.cert.get()), nullptr);
  EXPECT_EQ(set->find(impostor.cert.get()), nullptr);
  EXPECT_EQ(set->find(inter.cert.get()), crl);
}

TEST_F(CrlTest, NewestVerifyingCrlOfAnIntermediateWins) {
  Issued impostor = make_ca("Test Issuing", &root);
  const auto older = pem(make_crl(inter, {}, now - 3600).get());
  const auto newer = pem(make_crl(inter, {alice.cert.get()}, now - 60).get());
  const auto newest_other_key = pem(make_crl(impostor, {}, now - 10).get());
  for (const auto& data : {older + newer + newest_other_key, newest_other_key + newer + older}) {
    auto set = CrlSet::parse(data, certs({&root}), "crls.pem");
    ASSERT_NE(set->find(inter.cert.get()), nullptr);
    EXPECT_EQ(set->find(inter.cert.get())->status_of(alice.cert.get(), now).status, Status::revoked);
    ASSERT_NE(set->find(impostor.cert.get()), nullptr);
    EXPECT_EQ(set->find(impostor.cert.get())->status_of(alice.cert.get(), now).status, Status::good);
  }
}

TEST_F(CrlTest, UnusableCrlOfAnIntermediateIsStillAnErrorAtLoad) {
  // What does not depend on the issuer is checked at load, even when the issuer is not known yet.
  pki::X509CrlPtr crl = make_crl(inter, {});
  const int at = X509_CRL_get_ext_by_NID(crl.get(), NID_crl_number, -1);
  ASSERT_GE(at, 0);
  X509_EXTENSION_set_critical(X509_CRL_get_ext(crl.get(), at), 1);
  ASSERT_GT(X509_CRL_sign(crl.get(), inter.key.get(), EVP_sha256()), 0);
  EXPECT_THAT(error_of(pem(crl.get()), certs({&root})),
              HasSubstr("crls.pem: the CRL number extension is marked critical"));
}

TEST_F(CrlTest, IntermediateCrlsAreSafeToQueryFromManyThreads) {
  auto set = CrlSet::parse(pem(make_crl(inter, {alice.cert.get()}).get()), certs({&root}), "crls.pem");
  std::vector<std::thread> threads;
  std::atomic<int> revoked{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        pki::X509Ptr sent(X509_dup(inter.cert.get()));
        const VerifiedCrl* crl = set->find(sent.get());
        if (crl && crl->status_of(alice.cert.get(), now).status == Status::revoked) ++revoked;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(revoked.load(), 800);
}

TEST_F(CrlTest, CrlWithoutCrlNumberIsAccepted) {
  // Debian's cfssl 1.2 issues CRLs without the extension; certgate does not use the number.
  pki::X509CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(inter.cert.get()));
  pki::Asn1TimePtr last(ASN1_TIME_set(nullptr, now - 60));
  pki::Asn1TimePtr next(ASN1_TIME_set(nullptr, now + 86400));
  X509_CRL_set1_lastUpdate(crl.get(), last.get());
  X509_CRL_set1_nextUpdate(crl.get(), next.get());
  X509_REVOKED* entry = X509_REVOKED_new();
  X509_REVOKED_set_serialNumber(entry, const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(alice.cert.get())));
  X509_REVOKED_set_revocationDate(entry, last.get());
  X509_CRL_add0_revoked(crl.get(), entry);
  X509_CRL_sort(crl.get());
  ASSERT_GT(X509_CRL_sign(crl.get(), inter.key.get(), EVP_sha256()), 0);
  EXPECT_FALSE(has_crl_number(crl.get()));
  EXPECT_TRUE(has_crl_number(make_crl(inter, {}).get()));
  auto set = CrlSet::parse(pem(crl.get()), certs({&root, &inter}), "cfssl.pem");
  EXPECT_EQ(set->find(inter.cert.get())->status_of(alice.cert.get(), now).status, Status::revoked);
  // Also for a client-sent intermediate.
  auto later = CrlSet::parse(pem(crl.get()), certs({&root}), "cfssl.pem");
  EXPECT_EQ(later->find(inter.cert.get())->status_of(alice.cert.get(), now).status, Status::revoked);
}

TEST_F(CrlTest, IssuerWithoutCrlSignIsRefused) {
  // A CA whose keyUsage allows keyCertSign only, signing a CRL anyway.
  Issued ca;
  ca.key = tk::generate_key(tk::KeyType::ec_p256);
  ca.cert.reset(X509_new());
  X509_set_version(ca.cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(ca.cert.get()), 7);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(ca.cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("No CRL Sign"), -1, -1, 0);
  X509_set_issuer_name(ca.cert.get(), X509_get_subject_name(ca.cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(ca.cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(ca.cert.get()), 86400);
  X509_set_pubkey(ca.cert.get(), ca.key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca.cert.get(), ca.cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,keyCertSign"}}) {
    pki::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    X509_add_ext(ca.cert.get(), ext.get(), -1);
  }
  X509_sign(ca.cert.get(), ca.key.get(), EVP_sha256());
  EXPECT_THAT(error_of(pem(make_crl(ca, {}).get()), certs({&ca})), HasSubstr("lacks cRLSign"));
}

TEST_F(CrlTest, GarbageIsRefused) {
  EXPECT_THAT(error_of("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", certs({&inter})),
              HasSubstr("cannot be parsed"));
  EXPECT_THAT(error_of("not a crl", certs({&inter})), HasSubstr("neither a PEM nor a DER CRL"));
  EXPECT_THAT(error_of("", certs({&inter})), HasSubstr("neither a PEM nor a DER CRL"));
}

TEST_F(CrlTest, IssuedByComparesNameAndKey) {
  auto set = CrlSet::parse(pem(make_crl(inter, {}).get()), certs({&inter}), "crls.pem");
  Issued impostor = make_ca("Test Issuing", &root);
  EXPECT_NE(set->find(inter.cert.get()), nullptr);
  // A copy of the same certificate (a client-sent intermediate is a different object).
  auto copy = pki::X509Ptr(X509_dup(inter.cert.get()));
  EXPECT_NE(set->find(copy.get()), nullptr);
  EXPECT_EQ(set->find(impostor.cert.get()), nullptr);
}
