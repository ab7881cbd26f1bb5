// mtls.allowed_signature_algorithms: the config key (names, errors with file:line, global and route
// merge) and the check on a path (every certificate but the trust anchor).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/objects.h>

#include "config_text_test_support.h"
#include "pki/signature_algorithms.h"
#include "revocation_test_pki.h"

using namespace certgate;
using ::testing::HasSubstr;

namespace {

class SignatureAlgorithmConfig : public config::testing::ConfigTextTest {
 protected:
  void SetUp() override { make_dir("sigalg-config"); }
  static std::string with(const std::string& global, const std::string& route) {
    return "listeners:\n  - address: 127.0.0.1:8443\n    certificates:\n      - cert_file: c.pem\n"
           "        key_file: k.pem\nclient_ca_file: ca.pem\n" +
           global + "routes:\n  - from: https://a.test\n    to: echo://\n" + route +
           "  - from: https://b.test\n    to: echo://\n";
  }
};

// A certificate signed with `digest` by `signer` (self-signed when `signer` is null).
pki::X509Ptr signed_with(const EVP_MD* digest, const revtest::Issued& subject,
                         const revtest::Issued* signer) {
  pki::X509Ptr cert(X509_dup(subject.cert.get()));
  const auto& by = signer ? *signer : subject;
  X509_set_issuer_name(cert.get(), X509_get_subject_name(by.cert.get()));
  X509_sign(cert.get(), by.key.get(), digest);
  return cert;
}

}  // namespace

TEST_F(SignatureAlgorithmConfig, NamesAreOpenSslShortOrLongNames) {
  const auto cfg = load(
      with("mtls:\n  allowed_signature_algorithms: [ecdsa-with-SHA256, sha256WithRSAEncryption, RSA-SHA384, "
           "rsassaPss, ED25519, ecdsa-with-SHA256]\n",
           "    mtls:\n      allowed_signature_algorithms: [ecdsa-with-SHA384]\n"));
  EXPECT_EQ(cfg.routes[0].mtls.allowed_signature_algorithms, std::vector<int>{NID_ecdsa_with_SHA384});
  EXPECT_EQ(cfg.routes[1].mtls.allowed_signature_algorithms,
            (std::vector<int>{NID_ecdsa_with_SHA256, NID_sha256WithRSAEncryption, NID_sha384WithRSAEncryption,
                              NID_rsassaPss, NID_ED25519}));
  EXPECT_TRUE(load(with("", "")).routes[0].mtls.allowed_signature_algorithms.empty());
}

TEST_F(SignatureAlgorithmConfig, UnknownNamesAreErrorsWithTheirLine) {
  EXPECT_THAT(
      error(with("mtls:\n  allowed_signature_algorithms:\n    - ecdsa-with-SHA256\n    - sha-257\n", "")),
      HasSubstr("certgate.yaml:10: mtls.allowed_signature_algorithms: 'sha-257' is not a signature "
                "algorithm"));
  // A digest or a key type alone is not a signature algorithm.
  EXPECT_THAT(error(with("", "    mtls: { allowed_signature_algorithms: [SHA256] }\n")),
              HasSubstr("certgate.yaml:10: mtls.allowed_signature_algorithms: 'SHA256'"));
  EXPECT_THAT(error(with("", "    mtls: { allowed_signature_algorithms: [rsaEncryption] }\n")),
              HasSubstr("'rsaEncryption' is not a signature algorithm"));
  EXPECT_THAT(error(with("mtls: { allowed_signature_algorithms: [] }\n", "")),
              HasSubstr("certgate.yaml:7: mtls.allowed_signature_algorithms must list at least one"));
  EXPECT_THAT(error(with("mtls: { allowed_signature_algorithms: ecdsa-with-SHA256 }\n", "")),
              HasSubstr("certgate.yaml:7: "));
}

TEST(SignatureAlgorithmCheck, EveryCertificateButTheAnchor) {
  const auto root = revtest::make_ca("Sig Root");
  const auto inter = revtest::make_ca("Sig Issuing", &root);
  const auto leaf = revtest::make_leaf(inter, "alice");
  const int sha256[] = {NID_ecdsa_with_SHA256};
  const int sha384[] = {NID_ecdsa_with_SHA384};
  auto chain = revtest::certs({&leaf, &inter, &root});
  EXPECT_EQ(pki::unlisted_signature_algorithm(chain, sha256), std::nullopt);
  EXPECT_EQ(pki::unlisted_signature_algorithm(chain, {}), std::nullopt);  // no list: anything
  const auto why = pki::unlisted_signature_algorithm(chain, sha384);
  ASSERT_TRUE(why);
  EXPECT_THAT(*why, HasSubstr("depth 0 (CN=alice) is signed with ecdsa-with-SHA256"));
  EXPECT_THAT(*why, HasSubstr("(ecdsa-with-SHA384)"));

  // The intermediate signed with SHA-384: refused at depth 1 when only SHA-256 is listed.
  chain[1] = signed_with(EVP_sha384(), inter, &root);
  EXPECT_THAT(pki::unlisted_signature_algorithm(chain, sha256).value_or(""),
              HasSubstr("depth 1 (CN=Sig Issuing) is signed with ecdsa-with-SHA384"));
  // The anchor's self-signature does not count.
  chain[1] = pki::share(inter.cert.get());
  chain[2] = signed_with(EVP_sha384(), root, nullptr);
  EXPECT_EQ(pki::unlisted_signature_algorithm(chain, sha256), std::nullopt);
}
