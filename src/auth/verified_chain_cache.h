// Verified chains, per worker (auth::WorkerState; no lock): a client that comes back on a new connection or a
// resumed session is not verified again while nothing that decides the result has changed: the same
// certificate bytes, the same trust bundle content and depth, and a time inside every certificate's validity
// period. Only successful verifications are kept. Revocation is not part of it: the revocation stage checks
// every request against the current state (auth/revocation_stage).
#pragma once

#include <cstring>
#include <ctime>
#include <memory>
#include <unordered_map>

#include "pki/chain_verifier.h"
#include "pki/digest.h"

namespace certgate::auth {

struct CertificateFacts;

class VerifiedChainCache {
 public:
  using Key = pki::Sha256;

  // Binds everything the verification depends on: bundle content, depth, leaf and intermediates (in order).
  static Key key(const pki::TrustBundle& bundle, int max_verify_depth, const pki::Sha256& leaf_digest,
                 STACK_OF(X509) * intermediates);

  // The outcome, if cached and `now` is within every certificate's validity; null otherwise.
  std::shared_ptr<const pki::VerifyOutcome> find(const Key& key, std::time_t now) const;
  void insert(const Key& key, std::shared_ptr<const pki::VerifyOutcome> outcome);  // successes only

  // Header and log forms of a leaf, shared by the connections of the same client.
  std::shared_ptr<const CertificateFacts> facts(const pki::Sha256& leaf_digest) const;
  void remember(const pki::Sha256& leaf_digest, std::shared_ptr<const CertificateFacts> facts);

 private:
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      std::size_t h;
      static_assert(sizeof(h) <= sizeof(Key));
      std::memcpy(&h, k.data(), sizeof(h));  // already a uniform hash
      return h;
    }
  };
  struct Entry {
    std::shared_ptr<const pki::VerifyOutcome> outcome;
    std::time_t valid_from;
    std::time_t valid_until;
  };
  static constexpr std::size_t kCapacity = 4096;  // entries per worker; a full cache starts over

  std::unordered_map<Key, Entry, KeyHash> chains_;
  std::unordered_map<Key, std::shared_ptr<const CertificateFacts>, KeyHash> facts_;
};

}  // namespace certgate::auth
