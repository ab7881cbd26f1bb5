#include <gtest/gtest.h>

#include "config_text_test_support.h"

using namespace certgate::config;

namespace {

class LoaderTest : public certgate::config::testing::ConfigTextTest {
 protected:
  void SetUp() override { make_dir("loader"); }
};

constexpr const char* kBase = R"(listeners:
  - address: 127.0.0.1:8443
    certificates:
      - cert_file: c.pem
        key_file: k.pem
client_ca_file: ca.pem
)";

}  // namespace

TEST_F(LoaderTest, AppliesDefaultsAndRouteOverrides) {
  auto cfg = load(std::string(kBase) + R"(mtls:
  max_verify_depth: 2
routes:
  - from: https://a.test/api
    to: http://127.0.0.1:9000/base
  - from: https://b.test
    to: echo://
    mtls: { mode: optional, max_verify_depth: 3 }
)");
  ASSERT_EQ(cfg.routes.size(), 2u);
  EXPECT_EQ(cfg.routes[0].mtls.mode, MtlsMode::required);  // deny by default
  EXPECT_EQ(cfg.routes[0].mtls.max_verify_depth, 2);
  EXPECT_EQ(cfg.routes[0].path_prefix, "/api");
  EXPECT_EQ(cfg.routes[0].to.base_path, "/base");
  EXPECT_EQ(cfg.routes[1].mtls.mode, MtlsMode::optional);
  EXPECT_EQ(cfg.routes[1].mtls.max_verify_depth, 3);
  EXPECT_EQ(cfg.routes[1].mtls.ca.file, cfg.client_ca.file);
  EXPECT_EQ(cfg.timeouts.handshake, std::chrono::seconds(10));
  EXPECT_EQ(cfg.limits.max_header_bytes, 64u * 1024);
}

TEST_F(LoaderTest, ErrorsCarryFileAndLine) {
  EXPECT_EQ(
      error(std::string(kBase) + "routes: []\nbogus: 1\n")
          .rfind(
              dir_ + "/certgate.yaml:8: unknown key 'bogus' in the config file (known: workers, listeners, ",
              0),
      0u);
  EXPECT_NE(error(std::string(kBase) +
                  "routes:\n  - from: https://a.test\n    to: echo://\n    mtls: { mode: maybe }\n")
                .find("certgate.yaml:10: mtls.mode must be"),
            std::string::npos);
  EXPECT_NE(error(std::string(kBase) + "timeouts: { idle: soon }\nroutes: []\n")
                .find("certgate.yaml:7: timeouts.idle"),
            std::string::npos);
  EXPECT_NE(error("listeners:\n  - address: nowhere\n").find("certgate.yaml:2: listener address"),
            std::string::npos);
  EXPECT_NE(error("listeners: [\n").find("certgate.yaml:"), std::string::npos);
}

TEST_F(LoaderTest, DuplicateRoutesAreAnError) {
  auto e = error(
      std::string(kBase) +
      "routes:\n  - from: https://a.test/x\n    to: echo://\n  - from: https://A.test/x\n    to: echo://\n");
  EXPECT_NE(e.find("certgate.yaml:10: route https://A.test/x duplicates the route at line 8"),
            std::string::npos)
      << e;
}

TEST_F(LoaderTest, EnvironmentOverridesTopLevelScalars) {
  ::setenv("CERTGATE_WORKERS", "3", 1);
  auto cfg = load(std::string(kBase) + "workers: 1\nroutes: []\n");
  EXPECT_EQ(cfg.workers, 3);
  ::setenv("CERTGATE_WORKERS", "many", 1);
  EXPECT_NE(error(std::string(kBase) + "routes: []\n").find("environment CERTGATE_WORKERS: workers must be"),
            std::string::npos);
  ::unsetenv("CERTGATE_WORKERS");
}

// yaml-cpp keeps every copy of a key and reads the first: a second copy must be an error, not ignored.
TEST_F(LoaderTest, DuplicateKeysAnywhereAreErrorsAtTheSecondCopy) {
  const std::string route_with_two_mtls =
      "routes:\n  - from: https://a.test\n    to: echo://\n    mtls: {mode: off}\n    mtls: {mode: "
      "required}\n";
  EXPECT_NE(error(std::string(kBase) + route_with_two_mtls).find("certgate.yaml:11: duplicate key 'mtls'"),
            std::string::npos)
      << error(std::string(kBase) + route_with_two_mtls);
  const std::string two_routes = "routes: []\nroutes:\n  - from: https://a.test\n    to: echo://\n";
  EXPECT_NE(error(std::string(kBase) + two_routes).find("certgate.yaml:8: duplicate key 'routes'"),
            std::string::npos)
      << error(std::string(kBase) + two_routes);
  const std::string flow =
      "routes:\n  - from: https://a.test\n    to: echo://\n    mtls: {mode: off, mode: required}\n";
  EXPECT_NE(error(std::string(kBase) + flow).find("certgate.yaml:10: duplicate key 'mode'"),
            std::string::npos)
      << error(std::string(kBase) + flow);
  const std::string nested = "mtls:\n  mode: optional\n  max_verify_depth: 2\n  mode: off\nroutes: []\n";
  EXPECT_NE(error(std::string(kBase) + nested).find("certgate.yaml:10: duplicate key 'mode'"),
            std::string::npos)
      << error(std::string(kBase) + nested);
}

TEST_F(LoaderTest, NulCharactersAreErrors) {
  const std::string escaped =
      std::string(kBase) + "routes:\n  - from: \"https://a.test\\0.evil\"\n    to: echo://\n";
  EXPECT_NE(error(escaped).find("certgate.yaml:8: a NUL character in a value"), std::string::npos)
      << error(escaped);
  std::string raw = std::string(kBase) + "routes:\n  - from: https://a.test\n    to: echo:";
  raw += '\0';
  raw += "//\n";
  EXPECT_NE(error(raw).find("certgate.yaml:9: a NUL character in the file"), std::string::npos) << error(raw);
}

TEST_F(LoaderTest, RecursiveAliasesAreAnErrorNotAHang) {
  EXPECT_NE(error(std::string(kBase) + "routes: []\nconsumers: &x\n  b: *x\n").find("nested more than"),
            std::string::npos);
}

TEST_F(LoaderTest, UpstreamHeaderTimeout) {
  const std::string routes = "routes:\n  - from: https://a.test\n    to: echo://\n";
  EXPECT_EQ(load(std::string(kBase) + routes).timeouts.upstream_header, std::chrono::seconds(60));
  EXPECT_EQ(load(std::string(kBase) + "timeouts: {upstream_header: 5s}\n" + routes).timeouts.upstream_header,
            std::chrono::seconds(5));
}

TEST_F(LoaderTest, HeadersWithUnderscores) {
  const std::string routes = "routes: []\n";
  EXPECT_EQ(load(std::string(kBase) + routes).headers_with_underscores, UnderscoreHeaders::drop);
  EXPECT_EQ(load(std::string(kBase) + "headers_with_underscores: allow\n" + routes).headers_with_underscores,
            UnderscoreHeaders::allow);
  EXPECT_EQ(load(std::string(kBase) + "headers_with_underscores: reject\n" + routes).headers_with_underscores,
            UnderscoreHeaders::reject);
  EXPECT_NE(error(std::string(kBase) + "headers_with_underscores: maybe\n" + routes)
                .find("certgate.yaml:7: headers_with_underscores must be drop, reject or allow"),
            std::string::npos);
}

TEST_F(LoaderTest, RequestLimits) {
  auto cfg = load(std::string(kBase) + "routes:\n  - from: https://a.test\n    to: echo://\n");
  EXPECT_EQ(cfg.limits.max_headers, 100u);
  EXPECT_EQ(cfg.limits.max_request_body, 0u);
  EXPECT_EQ(cfg.routes[0].max_request_body, 0u);
  cfg = load(std::string(kBase) +
             "limits: {max_headers: 20, max_request_body: 1MiB}\nroutes:\n"
             "  - from: https://a.test\n    to: echo://\n"
             "  - from: https://b.test\n    to: echo://\n    max_request_body: 0\n"
             "  - from: https://c.test\n    to: echo://\n    max_request_body: 10KiB\n");
  EXPECT_EQ(cfg.limits.max_headers, 20u);
  EXPECT_EQ(cfg.routes[0].max_request_body, 1024u * 1024);  // inherited
  EXPECT_EQ(cfg.routes[1].max_request_body, 0u);            // unlimited on this route
  EXPECT_EQ(cfg.routes[2].max_request_body, 10u * 1024);
  EXPECT_NE(error(std::string(kBase) + "limits: {max_headers: 0}\nroutes: []\n").find("limits.max_headers"),
            std::string::npos);
  EXPECT_NE(error(std::string(kBase) + "limits: {max_request_body: lots}\nroutes: []\n")
                .find("limits.max_request_body must be a size"),
            std::string::npos);
}

TEST_F(LoaderTest, RequestBodyPace) {
  const std::string routes = "routes: []\n";
  auto cfg = load(std::string(kBase) + routes);
  EXPECT_EQ(cfg.timeouts.request_body, std::chrono::seconds(20));
  EXPECT_EQ(cfg.limits.min_request_body_rate, 500u);
  cfg = load(std::string(kBase) + "timeouts: {request_body: 5s}\nlimits: {min_request_body_rate: 0}\n" +
             routes);
  EXPECT_EQ(cfg.timeouts.request_body, std::chrono::seconds(5));
  EXPECT_EQ(cfg.limits.min_request_body_rate, 0u);  // no body deadline
  EXPECT_EQ(load(std::string(kBase) + "limits: {min_request_body_rate: 1KiB}\n" + routes)
                .limits.min_request_body_rate,
            1024u);
}

// Found by fuzz/config_loader.cpp: a list or map as a key threw yaml-cpp's conversion error, which is no
// ConfigError, so `validate-config` aborted and a SIGHUP reload ended the running gateway.
TEST_F(LoaderTest, AListOrMapAsAKeyIsAConfigError) {
  EXPECT_EQ(error(std::string(kBase) + "? [a, b]\n: 1\n"),
            dir_ + "/certgate.yaml:7: a key in the config file must be a name, not a list or a map");
  EXPECT_NE(error(std::string(kBase) + "routes:\n  - from: https://a.test\n    to: echo://\n    {x: 1}: y\n")
                .find("certgate.yaml:10: a key in "),
            std::string::npos);
}
