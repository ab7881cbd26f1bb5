// check_path over a verified path with a CRL file: leaf and chain scope, several CRLs in one file, a
// CRL file that changes on disk (and a broken change that keeps the previous CRLs), and an online
// source that cannot be reached (unknown, never reused).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include "config/config_error.h"
#include "pki/pem.h"
#include "revocation/checker.h"
#include "revocation/service.h"
#include "revocation/worker_client.h"
#include "revocation_test_pki.h"

using namespace certgate;
using namespace certgate::revocation;
using namespace revtest;
using ::testing::HasSubstr;

namespace {

class CheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::CaSource source;
    source.inline_pem = pki::to_pem(root.cert.get()) + pki::to_pem(inter.cert.get());
    bundle = pki::TrustBundle::load(source);
    chain = certs({&alice, &inter, &root});
  }

  std::shared_ptr<CrlFile> crl_file(const std::string& content) {
    config::CrlFileSource source;
    source.file = dir.write("crls.pem", content);
    source.mark = {"test.yaml", 7};
    return CrlFile::load(source, bundle);
  }

  Verdict check(const config::EffectiveMtls& mtls, const CrlFile* file,
                const std::vector<pki::X509Ptr>& path) {
    net::asio::io_context io;
    Verdict out;
    net::asio::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
          out = co_await check_path({mtls, file, bundle, path, client});
        },
        net::asio::detached);
    io.run();
    return out;
  }

  Service service;  // before the client, which refers to it
  WorkerClient client{service};
  Counters counters;  // the watcher's, for poll()
  TempDir dir;
  Issued root = make_ca("Checker Root");
  Issued inter = make_ca("Checker Issuing", &root);
  Issued alice = make_leaf(inter, "alice");
  std::shared_ptr<const pki::TrustBundle> bundle;
  std::vector<pki::X509Ptr> chain;
  config::EffectiveMtls mtls;
};

}  // namespace

TEST_F(CheckerTest, LeafScopeLooksAtTheLeafOnly) {
  // The root revoked the intermediate, but with crl_scope: leaf only alice's own status counts.
  auto file = crl_file(pem(make_crl(root, {inter.cert.get()}).get()) + pem(make_crl(inter, {}).get()));
  const auto v = check(mtls, file.get(), chain);
  EXPECT_EQ(v.status, Status::good) << v.detail;
  EXPECT_GT(v.valid_until, WallClock::now());
}

TEST_F(CheckerTest, ChainScopeFindsARevokedIntermediate) {
  auto file = crl_file(pem(make_crl(root, {inter.cert.get()}).get()) + pem(make_crl(inter, {}).get()));
  mtls.crl_scope = config::CrlScope::chain;
  const auto v = check(mtls, file.get(), chain);
  EXPECT_EQ(v.status, Status::revoked);
  EXPECT_THAT(v.detail, HasSubstr("CA certificate 'CN=Checker Issuing'"));
}

TEST_F(CheckerTest, RevokedLeaf) {
  auto file = crl_file(pem(make_crl(inter, {alice.cert.get()}).get()));
  const auto v = check(mtls, file.get(), chain);
  EXPECT_EQ(v.status, Status::revoked);
  EXPECT_THAT(v.detail, HasSubstr(serial_of(alice.cert.get())));
}

TEST_F(CheckerTest, MissingCrlForACaInScopeIsUnknown) {
  auto file = crl_file(pem(make_crl(inter, {}).get()));  // nothing from the root
  mtls.crl_scope = config::CrlScope::chain;
  const auto v = check(mtls, file.get(), chain);
  EXPECT_EQ(v.status, Status::unknown);
  EXPECT_THAT(v.detail, HasSubstr("no CRL from 'CN=Checker Root'"));
}

TEST_F(CheckerTest, ValidUntilTheCrlsNextUpdate) {
  auto file = crl_file(pem(make_crl(inter, {}, std::time(nullptr) - 60, 1).get()));
  mtls.revocation.cache_ttl = std::chrono::hours(48);
  const auto v = check(mtls, file.get(), chain);
  EXPECT_EQ(v.status, Status::good);
  EXPECT_LE(v.valid_until, WallClock::now() + std::chrono::hours(24));
}

TEST_F(CheckerTest, FileChangeIsPickedUpAndABrokenChangeKeepsThePrevious) {
  auto file = crl_file(pem(make_crl(inter, {}).get()));
  const auto v1 = file->version();
  EXPECT_EQ(check(mtls, file.get(), chain).status, Status::good);

  // Replaced atomically (rename), as publishing tools do.
  const auto next = dir.write("next.pem", pem(make_crl(inter, {alice.cert.get()}).get()));
  std::filesystem::rename(next, file->path());
  file->poll(counters);
  EXPECT_NE(file->version(), v1);
  EXPECT_EQ(check(mtls, file.get(), chain).status, Status::revoked);

  const auto v2 = file->version();
  dir.write("crls.pem", "garbage");
  file->poll(counters);
  EXPECT_EQ(file->version(), v2);
  EXPECT_EQ(check(mtls, file.get(), chain).status, Status::revoked);

  std::filesystem::remove(file->path());
  file->poll(counters);
  EXPECT_EQ(check(mtls, file.get(), chain).status, Status::revoked);
  EXPECT_EQ(counters.values[static_cast<std::size_t>(Counter::crl_file_reloads)].load(), 1u);
  EXPECT_EQ(counters.values[static_cast<std::size_t>(Counter::crl_file_reload_failures)].load(), 2u);
}

TEST_F(CheckerTest, BadFileAtLoadIsAConfigErrorWithItsLine) {
  try {
    crl_file("not a CRL");
    FAIL() << "no error";
  } catch (const config::ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("test.yaml:7: "));
    EXPECT_THAT(std::string(e.what()), HasSubstr("neither a PEM nor a DER CRL"));
  }
  // A CRL of a CA that no path has shown yet is a warning, not an error: it applies once one does.
  EXPECT_NO_THROW(crl_file(pem(make_crl(make_ca("Stranger"), {}).get())));
}

// The bundle holds the root only; the client sends the intermediate, whose CRL is in the file.
TEST_F(CheckerTest, CrlOfAClientSentIntermediateRevokesItsLeaves) {
  config::CaSource source;
  source.inline_pem = pki::to_pem(root.cert.get());
  bundle = pki::TrustBundle::load(source);
  Issued bob = make_leaf(inter, "bob");
  auto file = crl_file(pem(make_crl(inter, {alice.cert.get()}).get()));
  for (auto scope : {config::CrlScope::leaf, config::CrlScope::chain}) {
    mtls.crl_scope = scope;
    const auto revoked = check(mtls, file.get(), chain);
    EXPECT_EQ(revoked.status, Status::revoked);
    EXPECT_THAT(revoked.detail, HasSubstr(serial_of(alice.cert.get())));
    const auto good = check(mtls, file.get(), certs({&bob, &inter, &root}));
    // leaf scope: good; chain scope: the intermediate itself has no CRL from the root -> unknown.
    EXPECT_EQ(good.status, scope == config::CrlScope::leaf ? Status::good : Status::unknown) << good.detail;
  }
}

// Two intermediates that clients send: the upper one's CRL revokes the lower one (crl_scope: chain).
TEST_F(CheckerTest, ChainScopeAppliesIntermediateCrlsOnThePath) {
  config::CaSource source;
  source.inline_pem = pki::to_pem(root.cert.get());
  bundle = pki::TrustBundle::load(source);
  Issued lower = make_ca("Checker Lower", &inter);
  Issued carol = make_leaf(lower, "carol");
  const auto path = certs({&carol, &lower, &inter, &root});
  auto file = crl_file(pem(make_crl(root, {}).get()) + pem(make_crl(inter, {lower.cert.get()}).get()) +
                       pem(make_crl(lower, {}).get()));
  mtls.crl_scope = config::CrlScope::leaf;
  EXPECT_EQ(check(mtls, file.get(), path).status, Status::good);
  mtls.crl_scope = config::CrlScope::chain;
  const auto verdict = check(mtls, file.get(), path);
  EXPECT_EQ(verdict.status, Status::revoked);
  EXPECT_THAT(verdict.detail, HasSubstr("CA certificate 'CN=Checker Lower'"));
}

TEST_F(CheckerTest, UnreachableOcspResponderIsUnknownAndNotReused) {
  // A bound socket that does not listen: connecting is refused at once.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  auto bob = make_leaf(inter, "bob", {url + "crl"}, {url + "ocsp"});
  mtls.revocation.ocsp = true;
  mtls.revocation.crl_distribution_points = true;
  mtls.revocation.timeout = std::chrono::seconds(2);
  const auto v = check(mtls, nullptr, certs({&bob, &inter, &root}));
  ::close(fd);
  EXPECT_EQ(v.status, Status::unknown);
  EXPECT_THAT(v.detail, HasSubstr("OCSP " + url + "ocsp"));
  EXPECT_THAT(v.detail, HasSubstr("CRL " + url + "crl"));
  EXPECT_LE(v.valid_until, WallClock::now());
}

TEST(CheckerSettings, WhatCountsAsChecking) {
  config::EffectiveMtls mtls;
  EXPECT_FALSE(checks_revocation(mtls, false));
  EXPECT_TRUE(checks_revocation(mtls, true));
  mtls.revocation.ocsp = true;
  EXPECT_TRUE(checks_revocation(mtls, false));
  mtls.revocation.mode = config::RevocationMode::skip;
  EXPECT_FALSE(checks_revocation(mtls, true));
}
