// The `inventory` and `alerts` blocks: defaults, values, and errors with file:line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_text_test_support.h"

using namespace certgate::config;
using ::testing::HasSubstr;

namespace {

class OperationsConfigTest : public certgate::config::testing::ConfigTextTest {
 protected:
  void SetUp() override { make_dir("operations", {"hook-ca.pem"}); }
};

constexpr const char* kOperationsBase = R"(listeners:
  - address: 127.0.0.1:8443
    certificates:
      - cert_file: c.pem
        key_file: k.pem
client_ca_file: ca.pem
routes: []
)";

TEST_F(OperationsConfigTest, Defaults) {
  const auto cfg = load(kOperationsBase);
  EXPECT_EQ(cfg.inventory.max_entries, 100000u);
  EXPECT_FALSE(cfg.alerts.webhook_url);
  EXPECT_EQ(cfg.alerts.webhook_timeout.count(), 5000);
}

TEST_F(OperationsConfigTest, Values) {
  const auto cfg = load(std::string(kOperationsBase) + R"(inventory: { max_entries: 500 }
alerts:
  webhook_url: https://hooks.example.com:8443/certgate?x=1
  webhook_ca_file: hook-ca.pem
  webhook_timeout: 2s
)");
  EXPECT_EQ(cfg.inventory.max_entries, 500u);
  ASSERT_TRUE(cfg.alerts.webhook_url);
  EXPECT_TRUE(cfg.alerts.webhook_url->https);
  EXPECT_EQ(cfg.alerts.webhook_url->host, "hooks.example.com");
  EXPECT_EQ(cfg.alerts.webhook_url->port, 8443);
  EXPECT_EQ(cfg.alerts.webhook_url->target, "/certgate?x=1");
  EXPECT_THAT(cfg.alerts.webhook_ca_file, ::testing::EndsWith("/hook-ca.pem"));
  EXPECT_EQ(cfg.alerts.webhook_timeout.count(), 2000);
  const auto plain =
      load(std::string(kOperationsBase) + "alerts: { webhook_url: 'http://127.0.0.1:9000/hook' }\n");
  EXPECT_FALSE(plain.alerts.webhook_url->https);
  EXPECT_EQ(plain.alerts.webhook_url->port, 9000);
  EXPECT_EQ(load(std::string(kOperationsBase) + "inventory: { max_entries: 0 }\n").inventory.max_entries, 0u);
}

TEST_F(OperationsConfigTest, ErrorsNameTheLine) {
  EXPECT_THAT(error(std::string(kOperationsBase) + "inventory: { max_entries: -1 }\n"),
              HasSubstr("certgate.yaml:8: inventory.max_entries"));
  EXPECT_THAT(error(std::string(kOperationsBase) + "inventory: { size: 10 }\n"),
              HasSubstr("certgate.yaml:8: unknown key 'size' in inventory"));
  EXPECT_THAT(error(std::string(kOperationsBase) + "alerts:\n  webhook_url: ftp://x\n"),
              HasSubstr("certgate.yaml:9: alerts.webhook_url must be an http:// or https:// URL"));
  EXPECT_THAT(error(std::string(kOperationsBase) +
                    "alerts:\n  webhook_url: http://x/\n  webhook_ca_file: hook-ca.pem\n"),
              HasSubstr("certgate.yaml:10: alerts.webhook_ca_file needs an https://"));
  EXPECT_THAT(
      error(std::string(kOperationsBase) + "alerts:\n  webhook_url: https://x/\n  webhook_timeout: 0s\n"),
      HasSubstr("certgate.yaml:10: alerts.webhook_timeout must be greater than zero"));
  EXPECT_THAT(error(std::string(kOperationsBase) +
                    "alerts:\n  webhook_url: https://x/\n  webhook_ca_file: missing.pem\n"),
              HasSubstr("certgate.yaml:10:"));
}

}  // namespace
