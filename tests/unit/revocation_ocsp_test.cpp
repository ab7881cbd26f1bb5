// OCSP request building and response checking, with responses built here by OpenSSL's responder API:
// signed by the issuer, by a delegated responder (with and without id-kp-OCSPSigning), by a stranger,
// stale, unsuccessful, or about another certificate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "revocation/ocsp.h"
#include "revocation_test_pki.h"

using namespace certgate::revocation;
using namespace revtest;
using ::testing::HasSubstr;

namespace {

struct ResponseSpec {
  int status = V_OCSP_CERTSTATUS_GOOD;
  long this_update_offset = -60;  // seconds from now
  long next_update_offset = 3600;
  bool include_signer = true;
  int response_status = OCSP_RESPONSE_STATUS_SUCCESSFUL;
};

std::string build_response(const OCSP_CERTID* id, const Issued& signer, const ResponseSpec& spec) {
  if (spec.response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    pki::OcspResponsePtr response(OCSP_response_create(spec.response_status, nullptr));
    unsigned char* out = nullptr;
    const int len = i2d_OCSP_RESPONSE(response.get(), &out);
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    return der;
  }
  pki::OcspBasicResponsePtr basic(OCSP_BASICRESP_new());
  pki::Asn1TimePtr this_update(X509_gmtime_adj(nullptr, spec.this_update_offset));
  pki::Asn1TimePtr next_update(X509_gmtime_adj(nullptr, spec.next_update_offset));
  pki::Asn1TimePtr revoked_at(X509_gmtime_adj(nullptr, -3600));
  OCSP_basic_add1_status(basic.get(), const_cast<OCSP_CERTID*>(id), spec.status,
                         spec.status == V_OCSP_CERTSTATUS_REVOKED ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1,
                         spec.status == V_OCSP_CERTSTATUS_REVOKED ? revoked_at.get() : nullptr,
                         this_update.get(), next_update.get());
  OCSP_basic_sign(basic.get(), signer.cert.get(), signer.key.get(), EVP_sha256(), nullptr,
                  spec.include_signer ? 0 : OCSP_NOCERTS);
  pki::OcspResponsePtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  unsigned char* out = nullptr;
  const int len = i2d_OCSP_RESPONSE(response.get(), &out);
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  OPENSSL_free(out);
  return der;
}

// A responder certificate issued by `ca`, with or without the OCSPSigning extended key usage.
Issued make_responder(const Issued& ca, bool ocsp_signing) {
  Issued r;
  r.key = tk::generate_key(tk::KeyType::ec_p256);
  r.cert.reset(X509_new());
  X509_set_version(r.cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(r.cert.get()), 4242);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(r.cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("OCSP responder"), -1, -1, 0);
  X509_set_issuer_name(r.cert.get(), X509_get_subject_name(ca.cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(r.cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(r.cert.get()), 86400);
  X509_set_pubkey(r.cert.get(), r.key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca.cert.get(), r.cert.get(), nullptr, nullptr, 0);
  std::vector<std::pair<int, const char*>> exts = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                   {NID_key_usage, "critical,digitalSignature"}};
  if (ocsp_signing) exts.emplace_back(NID_ext_key_usage, "OCSPSigning");
  for (auto [nid, value] : exts) {
    pki::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    X509_add_ext(r.cert.get(), ext.get(), -1);
  }
  X509_sign(r.cert.get(), ca.key.get(), EVP_sha256());
  return r;
}

class OcspTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store.reset(X509_STORE_new());
    X509_STORE_add_cert(store.get(), root.cert.get());
    id = make_cert_id(alice.cert.get(), inter.cert.get());
  }
  OcspAnswer judge(const std::string& der) {
    return read_response(der, id.get(), inter.cert.get(), store.get());
  }

  Issued root = make_ca("OCSP Root");
  Issued inter = make_ca("OCSP Issuing", &root);  // not in the store: the client sent it
  Issued alice = make_leaf(inter, "alice");
  pki::X509StorePtr store;
  pki::OcspCertIdPtr id;
};

}  // namespace

TEST_F(OcspTest, RequestCarriesTheCertId) {
  const auto der = make_request(id.get());
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  pki::OcspRequestPtr request(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_TRUE(request);
  ASSERT_EQ(OCSP_request_onereq_count(request.get()), 1);
  const OCSP_CERTID* sent = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), 0));
  EXPECT_EQ(OCSP_id_cmp(sent, id.get()), 0);
  EXPECT_EQ(der_of(sent), der_of(id.get()));
}

TEST_F(OcspTest, GoodFromTheIssuer) {
  const auto a = judge(build_response(id.get(), inter, {}));
  EXPECT_TRUE(a.usable) << a.detail;
  EXPECT_EQ(a.status, Status::good);
  ASSERT_TRUE(a.next_update);
  EXPECT_NEAR(static_cast<double>(*a.next_update), static_cast<double>(std::time(nullptr) + 3600), 5);
}

TEST_F(OcspTest, GoodFromTheIssuerWithoutCertificatesInTheResponse) {
  ResponseSpec spec;
  spec.include_signer = false;
  const auto a = judge(build_response(id.get(), inter, spec));
  EXPECT_TRUE(a.usable) << a.detail;
  EXPECT_EQ(a.status, Status::good);
}

TEST_F(OcspTest, RevokedWithReason) {
  ResponseSpec spec;
  spec.status = V_OCSP_CERTSTATUS_REVOKED;
  const auto a = judge(build_response(id.get(), inter, spec));
  EXPECT_TRUE(a.usable) << a.detail;
  EXPECT_EQ(a.status, Status::revoked);
  EXPECT_THAT(a.detail, HasSubstr("keyCompromise"));
}

TEST_F(OcspTest, UnknownToTheResponderIsAUsableUnknown) {
  ResponseSpec spec;
  spec.status = V_OCSP_CERTSTATUS_UNKNOWN;
  const auto a = judge(build_response(id.get(), inter, spec));
  EXPECT_TRUE(a.usable);
  EXPECT_EQ(a.status, Status::unknown);
}

TEST_F(OcspTest, DelegatedResponderNeedsOcspSigning) {
  const auto delegated = make_responder(inter, true);
  const auto a = judge(build_response(id.get(), delegated, {}));
  EXPECT_TRUE(a.usable) << a.detail;
  EXPECT_EQ(a.status, Status::good);

  const auto plain = make_responder(inter, false);
  const auto b = judge(build_response(id.get(), plain, {}));
  EXPECT_FALSE(b.usable);
  EXPECT_THAT(b.detail, HasSubstr("not signed by the issuer or a responder it authorized"));
}

TEST_F(OcspTest, ResponderDelegatedByAnotherCaIsRefused) {
  // Signed by a responder the *root* authorized: valid path, but not the leaf's issuer.
  const auto delegated_by_root = make_responder(root, true);
  const auto a = judge(build_response(id.get(), delegated_by_root, {}));
  EXPECT_FALSE(a.usable);
}

TEST_F(OcspTest, WrongKeyIsRefused) {
  const auto stranger = make_ca("OCSP Issuing");  // same name as the issuer, self-signed, other key
  for (bool include : {true, false}) {
    ResponseSpec spec;
    spec.include_signer = include;
    const auto a = judge(build_response(id.get(), stranger, spec));
    EXPECT_FALSE(a.usable) << "include_signer=" << include;
    EXPECT_EQ(a.status, Status::unknown);
  }
}

TEST_F(OcspTest, StaleResponseIsRefused) {
  ResponseSpec spec;
  spec.this_update_offset = -7200;
  spec.next_update_offset = -3600;
  const auto a = judge(build_response(id.get(), inter, spec));
  EXPECT_FALSE(a.usable);
  EXPECT_THAT(a.detail, HasSubstr("not current"));
}

TEST_F(OcspTest, SmallClockSkewIsTolerated) {
  ResponseSpec spec;
  spec.this_update_offset = 120;  // the responder's clock is two minutes ahead
  EXPECT_TRUE(judge(build_response(id.get(), inter, spec)).usable);
}

TEST_F(OcspTest, UnsuccessfulResponseIsRefused) {
  ResponseSpec spec;
  spec.response_status = OCSP_RESPONSE_STATUS_TRYLATER;
  const auto a = judge(build_response(id.get(), inter, spec));
  EXPECT_FALSE(a.usable);
  EXPECT_THAT(a.detail, HasSubstr("trylater"));
}

TEST_F(OcspTest, ResponseAboutAnotherCertificateIsRefused) {
  const auto bob = make_leaf(inter, "bob");
  const auto other = make_cert_id(bob.cert.get(), inter.cert.get());
  const auto a = judge(build_response(other.get(), inter, {}));
  EXPECT_FALSE(a.usable);
  EXPECT_THAT(a.detail, HasSubstr("does not cover"));
}

TEST_F(OcspTest, GarbageIsRefused) {
  EXPECT_FALSE(judge("").usable);
  EXPECT_FALSE(judge("<html>not found</html>").usable);
}
