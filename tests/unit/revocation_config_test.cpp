// The revocation keys of the mtls block: parsing, defaults, route overrides key by key, and errors with
// file:line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_error.h"
#include "config/loader.h"
#include "revocation_test_pki.h"

using namespace certgate;
using ::testing::HasSubstr;

namespace {

class RevocationConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir.write("server.pem", "x");
    dir.write("server.key", "x");
    dir.write("ca.pem", "x");
    dir.write("crl.pem", "x");
    dir.write("route-crl.pem", "x");
  }

  config::Config load(const std::string& mtls, const std::string& route_mtls = "") {
    std::string text =
        "listeners:\n"
        "  - address: 127.0.0.1:8443\n"
        "    certificates:\n"
        "      - cert_file: server.pem\n"
        "        key_file: server.key\n"
        "client_ca_file: ca.pem\n"
        "mtls:\n" +
        mtls +
        "routes:\n"
        "  - from: https://a.test\n"
        "    to: echo://\n"
        "  - from: https://b.test\n"
        "    to: echo://\n"
        "    mtls:\n"
        "      mode: required\n" +
        route_mtls;
    return config::load_config_text(text, dir.path() + "/certgate.yaml");
  }

  std::string error(const std::string& mtls, const std::string& route_mtls = "") {
    try {
      load(mtls, route_mtls);
    } catch (const config::ConfigError& e) {
      return e.what();
    }
    return "";
  }

  revtest::TempDir dir;
};

}  // namespace

TEST_F(RevocationConfigTest, Defaults) {
  const auto cfg = load("  mode: required\n");
  const auto& e = cfg.routes[0].mtls;
  EXPECT_TRUE(e.crl_file.file.empty());
  EXPECT_EQ(e.crl_scope, config::CrlScope::leaf);
  EXPECT_EQ(e.revocation.mode, config::RevocationMode::ignore_ca_error);
  EXPECT_FALSE(e.revocation.ocsp);
  EXPECT_FALSE(e.revocation.crl_distribution_points);
  EXPECT_EQ(e.revocation.cache_ttl, std::chrono::hours(1));
  EXPECT_EQ(e.revocation.timeout, std::chrono::seconds(5));
  EXPECT_EQ(e.revocation.max_crl_size, 10u * 1024 * 1024);
}

TEST_F(RevocationConfigTest, GlobalValuesAndRouteOverridesKeyByKey) {
  const auto cfg = load(
      "  crl_file: crl.pem\n"
      "  crl_scope: chain\n"
      "  revocation:\n"
      "    mode: strict\n"
      "    ocsp: true\n"
      "    crl_distribution_points: true\n"
      "    ocsp_responder: http://127.0.0.1:8888/ocsp\n"
      "    cache_ttl: 10m\n"
      "    timeout: 1s\n"
      "    max_crl_size: 1MiB\n",
      "      crl_file: route-crl.pem\n"
      "      revocation: { mode: ignore_ca_error, timeout: 500ms }\n");
  const auto& a = cfg.routes[0].mtls;
  EXPECT_EQ(a.crl_file.file, dir.path() + "/crl.pem");
  EXPECT_EQ(a.crl_scope, config::CrlScope::chain);
  EXPECT_EQ(a.revocation.mode, config::RevocationMode::strict);
  EXPECT_TRUE(a.revocation.ocsp);
  EXPECT_TRUE(a.revocation.crl_distribution_points);
  EXPECT_EQ(a.revocation.ocsp_responder, "http://127.0.0.1:8888/ocsp");
  EXPECT_EQ(a.revocation.cache_ttl, std::chrono::minutes(10));
  EXPECT_EQ(a.revocation.timeout, std::chrono::seconds(1));
  EXPECT_EQ(a.revocation.max_crl_size, 1024u * 1024);

  const auto& b = cfg.routes[1].mtls;
  EXPECT_EQ(b.crl_file.file, dir.path() + "/route-crl.pem");
  EXPECT_EQ(b.crl_scope, config::CrlScope::chain);
  EXPECT_EQ(b.revocation.mode, config::RevocationMode::ignore_ca_error);
  EXPECT_EQ(b.revocation.timeout, std::chrono::milliseconds(500));
  EXPECT_TRUE(b.revocation.ocsp);  // inherited
  EXPECT_EQ(b.revocation.cache_ttl, std::chrono::minutes(10));
}

TEST_F(RevocationConfigTest, EmptyCrlFileTurnsTheGlobalOneOffForARoute) {
  const auto cfg = load("  crl_file: crl.pem\n", "      crl_file: \"\"\n");
  EXPECT_FALSE(cfg.routes[0].mtls.crl_file.file.empty());
  EXPECT_TRUE(cfg.routes[1].mtls.crl_file.file.empty());
}

TEST_F(RevocationConfigTest, ErrorsNameTheLine) {
  // The mtls block starts at line 8.
  EXPECT_THAT(error("  crl_file: missing.pem\n"), HasSubstr("certgate.yaml:8: crl_file '"));
  EXPECT_THAT(error("  crl_file: missing.pem\n"), HasSubstr("does not exist"));
  EXPECT_THAT(error("  crl_scope: all\n"), HasSubstr("certgate.yaml:8: crl_scope must be leaf or chain"));
  EXPECT_THAT(error("  revocation:\n    mode: lenient\n"),
              HasSubstr("certgate.yaml:9: revocation.mode must be skip, ignore_ca_error or strict"));
  EXPECT_THAT(error("  revocation:\n    ocsp_responder: https://ocsp.example\n"),
              HasSubstr("certgate.yaml:9: revocation.ocsp_responder must be an http:// URL"));
  EXPECT_THAT(error("  revocation:\n    timeout: 0s\n"),
              HasSubstr("certgate.yaml:9: revocation.timeout must be"));
  EXPECT_THAT(error("  revocation:\n    max_crl_size: 100\n"), HasSubstr("at least 1KiB"));
  EXPECT_THAT(error("  revocation:\n    ocsp: maybe\n"),
              HasSubstr("certgate.yaml:9: revocation.ocsp must be true"));
  EXPECT_THAT(error("  revocation:\n    oscp: true\n"),
              HasSubstr("certgate.yaml:9: unknown key 'oscp' in revocation"));
  EXPECT_THAT(error("  mode: required\n", "      revocation: strict\n"),
              HasSubstr("certgate.yaml:16: revocation must be a map"));
}
