#include "auth/verified_chain_cache.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "pki/pem.h"

using namespace certgate;

namespace {

pki::EvpPkeyPtr key() {
  return pki::EvpPkeyPtr(EVP_EC_gen("P-256"));
}

pki::X509Ptr cert(const char* cn, EVP_PKEY* subject, X509* issuer, EVP_PKEY* issuer_key, bool ca, long from,
                  long until) {
  pki::X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1000 + static_cast<long>(cn[0]));
  X509_gmtime_adj(X509_getm_notBefore(x.get()), from);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), until);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x.get()));
  X509_set_pubkey(x.get(), subject);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
  for (auto [nid, value] :
       {std::pair{NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
        std::pair{NID_subject_key_identifier, "hash"}, std::pair{NID_authority_key_identifier, "keyid"},
        std::pair{NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "digitalSignature"},
        std::pair{NID_ext_key_usage, ca ? "" : "clientAuth"}}) {
    if (!*value || (nid == NID_authority_key_identifier && !issuer)) continue;
    pki::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    X509_add_ext(x.get(), ext.get(), -1);
  }
  X509_sign(x.get(), issuer_key, EVP_sha256());
  return x;
}

std::shared_ptr<const pki::TrustBundle> bundle_of(X509* root) {
  config::CaSource source;
  source.inline_pem = pki::to_pem(root);
  return pki::TrustBundle::load(source);
}

class VerifiedChainCacheTest : public ::testing::Test {
 protected:
  pki::EvpPkeyPtr root_key = key(), other_key = key(), leaf_key = key();
  pki::X509Ptr root = cert("root", root_key.get(), nullptr, root_key.get(), true, -3600, 86400 * 365);
  pki::X509Ptr other_root =
      cert("other", other_key.get(), nullptr, other_key.get(), true, -3600, 86400 * 365);
  pki::X509Ptr leaf = cert("leaf", leaf_key.get(), root.get(), root_key.get(), false, -60, 3600);
  std::shared_ptr<const pki::TrustBundle> bundle = bundle_of(root.get());
  std::shared_ptr<const pki::TrustBundle> other_bundle = bundle_of(other_root.get());

  pki::Sha256 leaf_digest() {
    pki::Sha256 d{};
    unsigned int len = 0;
    X509_digest(leaf.get(), pki::sha256(), d.data(), &len);
    return d;
  }
  std::shared_ptr<const pki::VerifyOutcome> verify() {
    pki::VerifyRequest request;
    request.leaf = leaf.get();
    return std::make_shared<const pki::VerifyOutcome>(pki::verify_client_chain(*bundle, request));
  }
};

}  // namespace

TEST_F(VerifiedChainCacheTest, KeyBindsBundleDepthAndIntermediates) {
  using Cache = auth::VerifiedChainCache;
  const auto k = Cache::key(*bundle, 1, leaf_digest(), nullptr);
  EXPECT_EQ(k, Cache::key(*bundle_of(root.get()), 1, leaf_digest(), nullptr));  // same content, same key
  EXPECT_NE(k, Cache::key(*other_bundle, 1, leaf_digest(), nullptr));
  EXPECT_NE(k, Cache::key(*bundle, 2, leaf_digest(), nullptr));
  pki::X509StackPtr chain(sk_X509_new_null());
  sk_X509_push(chain.get(), other_root.get());
  EXPECT_NE(k, Cache::key(*bundle, 1, leaf_digest(), chain.get()));
  sk_X509_zero(chain.get());
  auto other_leaf_digest = leaf_digest();
  other_leaf_digest[0] ^= 1;
  EXPECT_NE(k, Cache::key(*bundle, 1, other_leaf_digest, nullptr));
}

TEST_F(VerifiedChainCacheTest, ServesOnlyWithinEveryCertificatesValidity) {
  auth::VerifiedChainCache cache;
  const auto k = auth::VerifiedChainCache::key(*bundle, 1, leaf_digest(), nullptr);
  const auto outcome = verify();
  ASSERT_TRUE(outcome->ok) << outcome->detail;
  cache.insert(k, outcome);
  const auto now = std::time(nullptr);
  EXPECT_EQ(cache.find(k, now), outcome);
  EXPECT_EQ(cache.find(k, now + 3600 + 120), nullptr);  // the leaf has expired by then
  EXPECT_EQ(cache.find(k, now - 600), nullptr);         // the leaf is not valid yet then
}

TEST_F(VerifiedChainCacheTest, NeverKeepsAFailure) {
  auth::VerifiedChainCache cache;
  pki::VerifyRequest request;
  request.leaf = leaf.get();
  auto failed = std::make_shared<const pki::VerifyOutcome>(pki::verify_client_chain(*other_bundle, request));
  ASSERT_FALSE(failed->ok);
  const auto k = auth::VerifiedChainCache::key(*other_bundle, 1, leaf_digest(), nullptr);
  cache.insert(k, failed);
  EXPECT_EQ(cache.find(k, std::time(nullptr)), nullptr);
}
