// The certificate a connection's client presented: its leaf, the intermediates it sent, and the
// verification result per trust bundle, computed on first use and cached for the connection's life.
// A keep-alive connection is verified once per trust bundle, however many requests it carries.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/certificate_attributes.h"
#include "auth/certificate_facts.h"
#include "auth/verified_chain_cache.h"
#include "pki/chain_verifier.h"
#include "pki/digest.h"
#include "pki/openssl_ptr.h"
#include "pki/trust_bundle.h"
#include "revocation/verdict.h"
#include "tls/connection_info.h"

namespace certgate::auth {

// The certificate in the encodings forwarded upstream (docs/forwarding.md), computed on first use.
struct CertificateForms {
  std::string escaped_pem;        // URL-escaped PEM of the leaf: nginx's $ssl_client_escaped_cert
  std::string escaped_chain_pem;  // the same for the leaf and the intermediates the client sent
  std::string der_base64;         // standard base64 of the leaf's DER
  std::string sha256_base64url;   // RFC 8705 x5t#S256
  std::string email;              // the first SAN email, else the subject's emailAddress
  std::vector<std::string> uri_sans;
  std::vector<std::string> dns_sans;
};

class PeerCertificate {
 public:
  PeerCertificate() = default;
  PeerCertificate(pki::X509Ptr leaf, pki::X509StackPtr intermediates);

  // After the handshake: the client's leaf and intermediates (from the ticket on a resumed session), with
  // the handshake's own verification (reject_connection) adopted.
  static PeerCertificate from_connection(tls::ConnectionInfo& tls);
  // A certificate that was presented but cannot be read (a malformed trusted header): present, without a
  // leaf, and every verification fails with invalid_certificate and `detail`.
  static PeerCertificate unreadable(std::string detail);

  bool present() const { return leaf_ != nullptr || unreadable_; }
  X509* leaf() const { return leaf_.get(); }  // null for an unreadable certificate
  STACK_OF(X509) * intermediates() const { return intermediates_.get(); }

  // The worker's cache of verified chains and facts, shared by its connections (authorize sets it).
  // It must outlive every later call on this certificate. Without one, nothing is shared.
  void use_cache(VerifiedChainCache& cache) { cache_ = &cache; }
  const pki::VerifyOutcome& verify(const pki::TrustBundle& bundle, int max_verify_depth);
  // Verify as of this time instead of now (`certgate check --at`).
  void set_verification_time(std::time_t at) { at_ = at; }
  // Takes a verification already done (reject_connection verifies in the handshake) into the cache.
  void adopt(const pki::TrustBundle& bundle, int max_verify_depth, pki::VerifyOutcome outcome);
  // The textual forms used in upstream headers and logs, computed once per connection.
  const CertificateFacts& facts();
  // The same, shared: the client-certificate inventory keeps it beyond the connection.
  std::shared_ptr<const CertificateFacts> shared_facts() {
    facts();
    return facts_;
  }
  // SHA-256 of the leaf's DER (its fingerprint), computed once.
  const pki::Sha256& leaf_digest();
  const CertificateForms& forms();
  // For identity mapping and policy; only routes that use them pay for it. Requires present().
  const CertificateAttributes& attributes();

  // The revocation stage's memo (auth/revocation_stage.cpp): the last verdict for this connection, so
  // that keep-alive requests re-check revocation at the cost of a comparison.
  struct RevocationMemo {
    const void* route = nullptr;  // the route it was computed for
    uint64_t crl_version = 0;     // of that route's crl_file at the time
    revocation::Verdict verdict;
  };
  RevocationMemo& revocation_memo() {
    if (!revocation_memo_) revocation_memo_ = std::make_unique<RevocationMemo>();
    return *revocation_memo_;
  }

 private:
  struct Cached {
    const pki::TrustBundle* bundle;
    int max_verify_depth;
    std::shared_ptr<const pki::VerifyOutcome> outcome;  // shared: references stay valid as the list grows
  };
  pki::X509Ptr leaf_;
  pki::X509StackPtr intermediates_;
  std::vector<Cached> verified_;
  std::shared_ptr<const CertificateFacts> facts_;
  std::optional<pki::Sha256> leaf_digest_;
  std::unique_ptr<CertificateAttributes> attributes_;  // large, for identity/policy routes only
  std::optional<std::time_t> at_;
  std::unique_ptr<RevocationMemo> revocation_memo_;  // routes that check revocation only
  std::unique_ptr<CertificateForms> forms_;          // large and often unused: allocated on first use
  VerifiedChainCache* cache_ = nullptr;              // the worker's, owned by its auth::WorkerState
  bool unreadable_ = false;
};

}  // namespace certgate::auth
