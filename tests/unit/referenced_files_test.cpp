// config::referenced_files: what the reload watcher watches (every file the config names) and what it
// leaves to the revocation service (CRL files).
#include "config/referenced_files.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config_text_test_support.h"

namespace certgate::config {
namespace {

class ReferencedFilesTest : public testing::ConfigTextTest {
 protected:
  void SetUp() override {
    make_dir("referenced-files", {"admin-ca.pem", "crl.pem", "route-crl.pem", "tk.pem"});
    std::ofstream(dir_ + "/admin.token") << "0123456789abcdef0123456789abcdef\n";
  }
};

TEST_F(ReferencedFilesTest, ListsEveryNamedFileOnceAndTheCrlFilesApart) {
  const auto cfg = load(R"(
listeners:
  - address: 127.0.0.1:8443
    certificates:
      - cert_file: c.pem
        key_file: k.pem
client_ca_file: ca.pem
mtls:
  crl_file: crl.pem
tls:
  session_resumption: tickets
  ticket_keys_file: tk.pem
routes:
  - from: https://app.test
    to: echo://
  - from: https://admin.test
    to: echo://
    mtls:
      ca_file: admin-ca.pem
      crl_file: route-crl.pem
admin:
  address: 127.0.0.1:9901
  token_file: admin.token
)");
  const auto files = referenced_files(cfg);
  // The loader resolves the named files to normal paths; the config file stays as it was given.
  const auto d = std::filesystem::path(dir_).lexically_normal().string();
  std::vector<std::string> reload{cfg.file,      d + "/admin-ca.pem", d + "/admin.token", d + "/c.pem",
                                  d + "/ca.pem", d + "/k.pem",        d + "/tk.pem"};
  std::sort(reload.begin(), reload.end());
  EXPECT_EQ(files.reload, reload);
  EXPECT_EQ(files.crl_files, (std::vector<std::string>{d + "/crl.pem", d + "/route-crl.pem"}));
}

}  // namespace
}  // namespace certgate::config
