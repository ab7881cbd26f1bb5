#include <gtest/gtest.h>

#include "config_text_test_support.h"

using namespace certgate::config;
using namespace std::chrono_literals;

namespace {

class TlsConfigTest : public certgate::config::testing::ConfigTextTest {
 protected:
  void SetUp() override { make_dir("tls-config", {"ticket.keys"}); }
};

std::string listeners(const char* protocol) {
  return std::string("listeners:\n  - address: 127.0.0.1:8443\n    protocol: ") + protocol +
         "\n    certificates:\n      - cert_file: c.pem\n        key_file: k.pem\nclient_ca_file: ca.pem\n";
}

}  // namespace

TEST_F(TlsConfigTest, TlsBlockDefaultsAndValues) {
  auto cfg = load(listeners("https") + "routes: []\n");
  EXPECT_EQ(cfg.tls.session_resumption, SessionResumption::cache);
  EXPECT_EQ(cfg.tls.session_cache_size, 4096u);
  EXPECT_EQ(cfg.tls.session_lifetime, 1h);
  EXPECT_EQ(cfg.tls.ticket_key_rotation, 1h);
  EXPECT_TRUE(cfg.tls.ticket_keys_file.empty());
  cfg = load(listeners("https") +
             "tls:\n  session_cache_size: 5\n  ticket_key_rotation: 15m\n  ticket_keys_file: "
             "ticket.keys\nroutes: []\n");
  EXPECT_EQ(cfg.tls.session_resumption, SessionResumption::tickets);  // implied by the key file
  EXPECT_EQ(cfg.tls.session_cache_size, 5u);
  EXPECT_EQ(cfg.tls.ticket_key_rotation, 15min);
  EXPECT_TRUE(
      cfg.tls.ticket_keys_file.ends_with("/tls-config-" + std::to_string(::getpid()) + "/ticket.keys"))
      << cfg.tls.ticket_keys_file;
  EXPECT_EQ(cfg.tls.ticket_keys_mark.line, 11);
  cfg = load(listeners("https") + "tls:\n  session_resumption: off\nroutes: []\n");
  EXPECT_EQ(cfg.tls.session_resumption, SessionResumption::off);
}

TEST_F(TlsConfigTest, TlsBlockErrors) {
  EXPECT_NE(
      error(listeners("https") + "tls:\n  ticket_key_rotation: 0s\nroutes: []\n").find("certgate.yaml:9: "),
      std::string::npos);
  EXPECT_NE(error(listeners("https") + "tls:\n  ticket_keys_file: missing.keys\nroutes: []\n")
                .find("certgate.yaml:9: tls.ticket_keys_file"),
            std::string::npos);
  EXPECT_NE(
      error(listeners("https") + "tls:\n  tickets: on\nroutes: []\n").find("unknown key 'tickets' in tls"),
      std::string::npos);
  EXPECT_NE(error(listeners("https") + "tls:\n  session_resumption: maybe\nroutes: []\n")
                .find("certgate.yaml:9: tls.session_resumption must be cache, tickets or off"),
            std::string::npos);
  EXPECT_NE(error(listeners("https") + "tls:\n  session_resumption: cache\n  ticket_keys_file: ticket.keys\n"
                                       "routes: []\n")
                .find("certgate.yaml:10: tls.ticket_keys_file needs session_resumption: tickets"),
            std::string::npos);
}

TEST_F(TlsConfigTest, RejectConnectionMode) {
  const auto cfg =
      load(listeners("https") +
           "mtls: { mode: reject_connection }\nroutes:\n  - from: https://a.test\n    to: echo://\n");
  EXPECT_EQ(cfg.routes[0].mtls.mode, MtlsMode::reject_connection);
}

TEST_F(TlsConfigTest, TcpRoutes) {
  const auto cfg =
      load(listeners("tls") +
           "routes:\n  - from: tls://db.test\n    to: tcp://127.0.0.1:5432\n    proxy_protocol: v2\n"
           "    idle_timeout: 10m\n  - from: https://other.test:8443\n    to: tcp://127.0.0.1:1\n");
  EXPECT_EQ(cfg.listeners[0].protocol, ListenerProtocol::tls);
  ASSERT_EQ(cfg.routes.size(), 2u);
  EXPECT_EQ(cfg.routes[0].host, "db.test");
  EXPECT_EQ(cfg.routes[0].to.kind, UpstreamKind::tcp);
  EXPECT_EQ(cfg.routes[0].tcp.proxy_protocol, ProxyProtocol::v2);
  EXPECT_EQ(cfg.routes[0].idle_timeout, 10min);
  EXPECT_EQ(cfg.routes[1].tcp.proxy_protocol, ProxyProtocol::none);
  EXPECT_FALSE(cfg.routes[1].idle_timeout);
}

TEST_F(TlsConfigTest, ListenerProtocolsMatchRoutes) {
  EXPECT_NE(error(listeners("https") + "routes:\n  - from: tls://db.test\n    to: tcp://127.0.0.1:1\n")
                .find("certgate.yaml:9: route tls://db.test forwards to tcp:// and needs a listener with "
                      "protocol: tls"),
            std::string::npos);
  EXPECT_NE(error(listeners("tls") + "routes:\n  - from: https://a.test\n    to: echo://\n")
                .find("certgate.yaml:9: route https://a.test is an HTTP route and needs a listener with "
                      "protocol: https"),
            std::string::npos);
  // A port no listener has stays allowed for HTTP routes (as before), but a tcp:// route must be served.
  EXPECT_EQ(error(listeners("https") + "routes:\n  - from: https://a.test:9999\n    to: echo://\n"),
            "no error");
  EXPECT_NE(error(listeners("tls") + "routes:\n  - from: tls://db.test:9999\n    to: tcp://127.0.0.1:1\n")
                .find("needs a listener on port 9999 with protocol: tls"),
            std::string::npos);
}
