#include "auth/verified_chain_cache.h"

#include <algorithm>
#include <cstring>

#include "pki/cert_info.h"

namespace certgate::auth {
namespace {

void add_certificate(EVP_MD_CTX* md, X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, pki::sha256(), digest, &len);
  EVP_DigestUpdate(md, digest, len);
}

}  // namespace

VerifiedChainCache::Key VerifiedChainCache::key(const pki::TrustBundle& bundle, int max_verify_depth,
                                                const pki::Sha256& leaf_digest,
                                                STACK_OF(X509) * intermediates) {
  pki::EvpMdCtxPtr md(EVP_MD_CTX_new());
  EVP_DigestInit_ex(md.get(), pki::sha256(), nullptr);
  EVP_DigestUpdate(md.get(), bundle.digest().data(), bundle.digest().size());
  const int32_t depth = max_verify_depth;
  EVP_DigestUpdate(md.get(), &depth, sizeof(depth));
  EVP_DigestUpdate(md.get(), leaf_digest.data(), leaf_digest.size());
  for (int i = 0; intermediates && i < sk_X509_num(intermediates); ++i) {
    add_certificate(md.get(), sk_X509_value(intermediates, i));
  }
  Key out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(md.get(), out.data(), &len);
  return out;
}

std::shared_ptr<const pki::VerifyOutcome> VerifiedChainCache::find(const Key& key, std::time_t now) const {
  auto it = chains_.find(key);
  if (it == chains_.end() || now < it->second.valid_from || now > it->second.valid_until) return nullptr;
  return it->second.outcome;
}

void VerifiedChainCache::insert(const Key& key, std::shared_ptr<const pki::VerifyOutcome> outcome) {
  if (!outcome->ok || outcome->chain.empty()) return;
  Entry entry{outcome, std::numeric_limits<std::time_t>::min(), std::numeric_limits<std::time_t>::max()};
  for (const auto& cert : outcome->chain) {
    const auto from = pki::to_time_t(X509_get0_notBefore(cert.get()));
    const auto until = pki::to_time_t(X509_get0_notAfter(cert.get()));
    if (!from || !until) return;
    entry.valid_from = std::max(entry.valid_from, *from);
    entry.valid_until = std::min(entry.valid_until, *until);
  }
  if (chains_.size() >= kCapacity) chains_.clear();
  chains_.insert_or_assign(key, std::move(entry));
}

std::shared_ptr<const CertificateFacts> VerifiedChainCache::facts(const pki::Sha256& leaf_digest) const {
  auto it = facts_.find(leaf_digest);
  return it == facts_.end() ? nullptr : it->second;
}

void VerifiedChainCache::remember(const pki::Sha256& leaf_digest,
                                  std::shared_ptr<const CertificateFacts> facts) {
  if (facts_.size() >= kCapacity) facts_.clear();
  facts_.insert_or_assign(leaf_digest, std::move(facts));
}

}  // namespace certgate::auth
