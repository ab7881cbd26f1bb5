// The x509-limbo crl::* vectors (tests/data/x509-limbo-clientauth.json) replayed through certgate's CRL
// checks: the CRLs loaded as a crl_file for the trust anchors, then the leaf's status at the vector's time.
// The chain verifier's conformance run (conformance_test.cpp) cannot reach them because their leaves are
// serverAuth only; revocation does not depend on the purpose, so they apply here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "pki/pem.h"
#include "revocation/crl_set.h"

using namespace certgate;
using namespace certgate::revocation;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

std::vector<json> crl_vectors() {
  std::ifstream in(std::string(CERTGATE_TEST_DATA_DIR) + "/x509-limbo-clientauth.json");
  if (!in) return {};
  const json all = json::parse(in);
  std::vector<json> out;
  for (const auto& tc : all["testcases"]) {
    if (tc["id"].get<std::string>().rfind("crl::", 0) == 0) out.push_back(tc);
  }
  return out;
}

std::time_t parse_time(const std::string& text) {
  std::tm tm{};
  std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
              &tm.tm_min, &tm.tm_sec);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

struct Outcome {
  std::string load_error;  // the CRL file was refused
  Status status = Status::unknown;
  std::string detail;
};

Outcome replay(const json& tc) {
  std::vector<pki::X509Ptr> anchors;
  for (const auto& pem : tc["trusted_certs"])
    anchors.push_back(std::move(pki::parse_certificates(pem, "anchor").front()));
  const auto leaf = pki::parse_certificate_any(tc["peer_certificate"], "leaf");
  std::string crls;
  for (const auto& pem : tc["crls"])
    crls += pem.get<std::string>();
  Outcome out;
  std::shared_ptr<const CrlSet> set;
  try {
    set = CrlSet::parse(crls, anchors, "limbo.crl");
  } catch (const std::exception& e) {
    out.load_error = e.what();
    return out;
  }
  for (const auto& anchor : anchors) {
    if (X509_check_issued(anchor.get(), leaf.get()) != X509_V_OK) continue;
    if (const VerifiedCrl* crl = set->find(anchor.get())) {
      const auto st = crl->status_of(leaf.get(), parse_time(tc["validation_time"]));
      out.status = st.status;
      out.detail = st.detail;
    } else {
      out.detail = "no CRL from the leaf's issuer";
    }
  }
  return out;
}

const json& vector_named(const std::string& id) {
  static const auto all = crl_vectors();
  for (const auto& tc : all) {
    if (tc["id"] == id) return tc;
  }
  static const json none;
  return none;
}

// The vectors live in tests/data; a checkout without them fails here rather than passing vacuously.
class RevocationLimbo : public ::testing::Test {
 protected:
  void SetUp() override {
    if (crl_vectors().empty()) {
      FAIL() << "x509-limbo-clientauth.json not found under " << CERTGATE_TEST_DATA_DIR;
    }
  }
};

}  // namespace

TEST_F(RevocationLimbo, AllCrlVectorsArePresent) {
  EXPECT_EQ(crl_vectors().size(), 8u);
}

TEST_F(RevocationLimbo, RevokedCertificateIsRevoked) {
  const auto o = replay(vector_named("crl::revoked-certificate-with-crl"));
  EXPECT_EQ(o.load_error, "");
  EXPECT_EQ(o.status, Status::revoked) << o.detail;
}

TEST_F(RevocationLimbo, CertificateNotOnTheCrlIsGood) {
  for (const char* id : {"crl::certificate-not-on-crl", "crl::certificate-serial-on-crl-different-issuer",
                         "crl::issuer-no-keyusage-extension", "crl::issuer-valid-crlsign-and-keycertsign"}) {
    const auto o = replay(vector_named(id));
    EXPECT_EQ(o.load_error, "") << id;
    EXPECT_EQ(o.status, Status::good) << id << ": " << o.detail;
  }
}

TEST_F(RevocationLimbo, UnusableCrlsAreRefusedAtLoad) {
  // crl::crlnumber-missing is accepted on purpose (docs/revocation.md): the number protects nothing in
  // certgate, and Debian's cfssl 1.2 issues CRLs without it.
  EXPECT_EQ(replay(vector_named("crl::crlnumber-missing")).load_error, "");
  EXPECT_THAT(replay(vector_named("crl::crlnumber-critical")).load_error, HasSubstr("marked critical"));
  EXPECT_THAT(replay(vector_named("crl::issuer-missing-crlsign")).load_error, HasSubstr("lacks cRLSign"));
}
